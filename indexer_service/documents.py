"""Pure mapping from a validated quote to the Elasticsearch document that stores it.

Exactly-once effect: the ``_id`` depends only on ``slug`` and ``scraped_at``, and
documents are written with the ``index`` op type, so a quote delivered twice
overwrites itself instead of creating a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from json.encoder import encode_basestring_ascii

from cryptoviz_core.schema import QuoteV1, format_timestamp


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


def to_document(slug: str, scraped_at: str, message: bytes, prefix: str) -> Document:
    """The document for ``slug``'s quote at ``scraped_at`` (wire text); ``message`` is its source.

    The id, ``<slug>@<scraped_at>`` (e.g. ``bitcoin@2026-11-28T04:52:12.123Z``),
    is readable in Kibana, unambiguous (slugs cannot contain ``@``) and far
    below the 512-byte id limit (slugs are at most 200 characters).

    The bytes are stored as received. That is sound because the schema accepted
    them: no field outside it, every number a JSON number, and ``scraped_at`` in
    its one wire form, so Elasticsearch reads what the quote holds.
    """
    return Document(index=index_name(prefix, scraped_at), id=f"{slug}@{scraped_at}", source=message)


def quote_document(quote: QuoteV1, prefix: str) -> Document:
    """The document the indexer writes for ``quote``, for callers holding a quote, not its bytes."""
    return to_document(quote.slug, format_timestamp(quote.scraped_at), quote.to_json(), prefix)
