"""Pure mapping from a validated quote to the Elasticsearch document that stores it.

Exactly-once effect: the ``_id`` depends only on ``slug`` and ``scraped_at``, and
documents are written with the ``index`` op type, so a quote delivered twice
overwrites itself instead of creating a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from cryptoviz_core.schema import QuoteV1, format_timestamp

DATE_SUFFIX_FORMAT = "%Y.%m.%d"


@dataclass(frozen=True, slots=True)
class Document:
    """One bulk ``index`` action: target index, id and the source as a JSON string."""

    index: str
    id: str
    source: str

    def to_action(self) -> dict[str, str]:
        """The action dict the elasticsearch bulk helpers expect.

        The source is passed pre-serialized: the helpers send strings unchanged,
        which saves a json round trip per document.
        """
        return {"_op_type": "index", "_index": self.index, "_id": self.id, "_source": self.source}


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


def to_document(quote: QuoteV1, prefix: str) -> Document:
    """The document for ``quote``: its source is exactly the quote's JSON form."""
    return Document(
        index=index_name(prefix, quote.scraped_at),
        id=document_id(quote),
        source=quote.model_dump_json(),
    )
