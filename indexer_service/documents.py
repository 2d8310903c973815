"""Pure mapping from a validated quote to the Elasticsearch document that stores it.

Exactly-once effect: the ``_id`` depends only on ``slug`` and ``scraped_at``, and
documents are written with the ``index`` op type, so a quote delivered twice
overwrites itself instead of creating a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from json.encoder import encode_basestring_ascii

from cryptoviz_core.schema import QuoteV1, format_timestamp

DATE_SUFFIX_FORMAT = "%Y.%m.%d"


@dataclass(frozen=True, slots=True)
class Document:
    """One bulk ``index`` action: target index, id and the source as JSON bytes."""

    index: str
    id: str
    source: bytes

    def bulk_lines(self) -> tuple[str, bytes]:
        """The action line and source line of this document in a ``_bulk`` body.

        Both are JSON already: the bulk helpers send strings as they are, where
        an action dict would cost a ``json.dumps`` per document on the hot path.
        """
        index, id_ = encode_basestring_ascii(self.index), encode_basestring_ascii(self.id)
        return f'{{"index":{{"_index":{index},"_id":{id_}}}}}', self.source


def index_for_day(prefix: str, day: date) -> str:
    """``<prefix>-YYYY.MM.DD``, the daily index holding quotes scraped on ``day`` (UTC)."""
    return f"{prefix}-{day.strftime(DATE_SUFFIX_FORMAT)}"


def index_name(prefix: str, scraped_at: datetime) -> str:
    """The daily index for a quote scraped at ``scraped_at`` (aware; its UTC day counts)."""
    return index_for_day(prefix, scraped_at.astimezone(UTC).date())


def document_id(quote: QuoteV1) -> str:
    """``<slug>@<scraped_at as UTC ISO-8601 millis>``, e.g. ``bitcoin@2026-11-28T04:52:12.123Z``.

    Readable in Kibana, unambiguous (slugs cannot contain ``@``) and far below
    the 512-byte id limit (slugs are at most 200 characters).
    """
    return f"{quote.slug}@{format_timestamp(quote.scraped_at)}"


def to_document(slug: str, scraped_at: datetime, message: bytes, prefix: str) -> Document:
    """The document for the quote of ``slug`` at ``scraped_at``: its source is ``message`` itself.

    Storing the bytes as received costs nothing per message, where serialising
    the quote again cost ~5 us of the indexer's ~25. It is sound because the
    schema accepted them: no field outside it, every number a JSON number, and
    ``scraped_at`` in its one wire form, so Elasticsearch reads what the quote
    holds. Same index and id as `index_name` and `document_id`.
    """
    stamp = format_timestamp(scraped_at)
    return Document(
        index=f"{prefix}-{stamp[:10].replace('-', '.')}",
        id=f"{slug}@{stamp}",
        source=message,
    )
