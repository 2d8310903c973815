"""Pure mapping from a validated quote to the Elasticsearch document that stores it.

Exactly-once effect: the ``_id`` depends only on ``slug`` and ``scraped_at``, and
documents are written with the ``index`` op type, so a quote delivered twice
overwrites itself instead of creating a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii

from cryptoviz_core.schema import QuoteV1, format_timestamp

# What the indexer adds to each quote's fields (the template maps both). The latency
# is stored as a number as well: Elasticsearch without scripting cannot subtract two
# dates, and a dashboard charts a number.
INDEXED_AT = "indexed_at"
INGEST_LATENCY_MS = "ingest_latency_ms"


@dataclass(frozen=True, slots=True)
class Document:
    """One bulk ``index`` action: target index, id and the source as JSON bytes."""

    index: str
    id: str
    source: bytes

    def bulk_lines(self) -> tuple[str, bytes]:
        """The action line and source line of this document in a ``_bulk`` body.

        Both are JSON already and the bulk helpers send strings as they are, so
        Elasticsearch stores the message's bytes exactly as they were received.
        """
        index, id_ = encode_basestring_ascii(self.index), encode_basestring_ascii(self.id)
        return f'{{"index":{{"_index":{index},"_id":{id_}}}}}', self.source


def index_name(prefix: str, scraped_at: str) -> str:
    """``<prefix>-YYYY.MM.DD``: the daily index of a quote scraped at ``scraped_at``.

    ``scraped_at`` is wire text (`format_timestamp`: always UTC), so the day is
    the UTC day; a ``date.isoformat()`` names the same index.
    """
    return f"{prefix}-{scraped_at[:10].replace('-', '.')}"


def to_document(
    slug: str, scraped_at: str, message: bytes, prefix: str, indexed_at: str
) -> Document:
    """The document for ``slug``'s quote at ``scraped_at``, written at ``indexed_at`` (both
    wire text, `format_timestamp`).

    Its source is ``message`` with `INDEXED_AT` and `INGEST_LATENCY_MS` added.

    The id, ``<slug>@<scraped_at>`` (e.g. ``bitcoin@2026-11-28T04:52:12.123Z``),
    is readable in Kibana, unambiguous (slugs cannot contain ``@``) and far
    below the 512-byte id limit (slugs are at most 200 characters).

    Extending the bytes as received, rather than serialising the quote again, is
    sound because the schema accepted them: one JSON object with no field outside
    it (so none of the two added), every number a JSON number, and ``scraped_at``
    in its one wire form, so Elasticsearch reads what the quote holds.
    """
    elapsed = datetime.fromisoformat(indexed_at) - datetime.fromisoformat(scraped_at)
    latency_ms = round(elapsed.total_seconds() * 1000)
    added = f',"{INDEXED_AT}":"{indexed_at}","{INGEST_LATENCY_MS}":{latency_ms}}}'
    source = message.rstrip()[:-1] + added.encode()
    return Document(index=index_name(prefix, scraped_at), id=f"{slug}@{scraped_at}", source=source)


def quote_document(quote: QuoteV1, prefix: str, indexed_at: datetime | None = None) -> Document:
    """The document the indexer writes for ``quote`` at ``indexed_at`` (default: now), for
    callers holding a quote, not its bytes."""
    scraped_at = format_timestamp(quote.scraped_at)
    written = format_timestamp(indexed_at or datetime.now(UTC))
    return to_document(quote.slug, scraped_at, quote.to_json(), prefix, written)
