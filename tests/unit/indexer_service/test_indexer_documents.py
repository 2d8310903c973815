"""Document ids, index names and sources."""

import json
from datetime import UTC, datetime, timedelta, timezone

from indexer_service.documents import Document, document_id, index_name, to_document
from indexer_service.testing import sample_quote


def test_id_depends_only_on_slug_and_scraped_at() -> None:
    a = sample_quote(1)
    b = sample_quote(1, price=42.0, rank=7, name="Other")
    assert document_id(a) == document_id(b) == "coin-1@2026-11-28T04:52:13.123Z"


def test_id_differs_by_millisecond_and_by_slug() -> None:
    a = sample_quote(1)
    later = sample_quote(1, scraped_at=a.scraped_at + timedelta(milliseconds=1))
    other = sample_quote(1, slug="coin-x")
    assert len({document_id(a), document_id(later), document_id(other)}) == 3


def test_id_is_the_same_whatever_the_timezone_of_scraped_at() -> None:
    utc = sample_quote(0)
    paris = sample_quote(0, scraped_at=utc.scraped_at.astimezone(timezone(timedelta(hours=1))))
    assert document_id(utc) == document_id(paris)


def test_index_is_the_utc_day_of_scraped_at() -> None:
    # 00:30 in UTC+2 is still the previous day in UTC.
    local = datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert index_name("crypto-quotes", local) == "crypto-quotes-2026.02.28"
    assert index_name("p", datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)) == "p-2026.12.31"


def test_document_source_is_the_message_and_action_is_an_index_op() -> None:
    quote = sample_quote(5)
    message = quote.to_json()
    doc = to_document(quote.slug, quote.scraped_at, message, "crypto-quotes")
    assert doc.source is message
    action, source = doc.bulk_lines()
    # index: overwrite, never duplicate or 409.
    assert json.loads(action) == {
        "index": {"_index": "crypto-quotes-2026.11.28", "_id": document_id(quote)}
    }
    assert source == doc.source


def test_document_index_and_id_match_index_name_and_document_id() -> None:
    utc = sample_quote(0, scraped_at=datetime(2026, 2, 28, 23, 59, 59, 999000, tzinfo=UTC))
    ahead = sample_quote(
        1, scraped_at=datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    )
    for quote in (utc, ahead):
        doc = to_document(quote.slug, quote.scraped_at, quote.to_json(), "p")
        assert doc.index == index_name("p", quote.scraped_at)
        assert doc.id == document_id(quote)
    assert to_document(ahead.slug, ahead.scraped_at, ahead.to_json(), "p").index == "p-2026.02.28"


def test_action_line_is_valid_json_whatever_the_names() -> None:
    doc = Document(index='odd"index\\', id="caf\u00e9@x", source=b"{}")
    action, _ = doc.bulk_lines()
    assert json.loads(action) == {"index": {"_index": doc.index, "_id": doc.id}}
