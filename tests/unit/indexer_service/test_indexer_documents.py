"""Document ids, index names and sources."""

import json
from datetime import UTC, datetime, timedelta, timezone

from indexer_service.documents import Document, index_name, quote_document, to_document
from tests.support.indexer_fakes import sample_quote


def test_id_depends_only_on_slug_and_scraped_at() -> None:
    a = sample_quote(1)
    b = sample_quote(1, price=42.0, rank=7, name="Other")
    ids = {quote_document(q, "p").id for q in (a, b)}
    assert ids == {"coin-1@2026-11-28T04:52:13.123Z"}


def test_id_differs_by_millisecond_and_by_slug() -> None:
    a = sample_quote(1)
    later = sample_quote(1, scraped_at=a.scraped_at + timedelta(milliseconds=1))
    other = sample_quote(1, slug="coin-x")
    assert len({quote_document(q, "p").id for q in (a, later, other)}) == 3


def test_id_and_index_are_the_same_whatever_the_timezone_of_scraped_at() -> None:
    # 00:30 on March 1st in UTC+2 is February 28th in UTC.
    local = datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    utc = sample_quote(0, scraped_at=local.astimezone(UTC))
    t = datetime(2026, 3, 1, tzinfo=UTC)
    assert quote_document(sample_quote(0, scraped_at=local), "p", t) == quote_document(utc, "p", t)
    assert quote_document(utc, "p").index == "p-2026.02.28"


def test_index_is_named_by_the_day_of_the_wire_timestamp() -> None:
    assert index_name("crypto-quotes", "2026-12-31T23:59:59.999Z") == "crypto-quotes-2026.12.31"
    assert index_name("p", "2026-01-01T00:00:00.000Z") == "p-2026.01.01"


def test_document_source_is_the_message_plus_when_and_how_late_it_was_indexed() -> None:
    message = sample_quote(5).to_json() + b"\n"  # whitespace after the object is valid JSON
    indexed_at = "2026-11-28T04:52:18.623Z"
    doc = to_document("coin-5", "2026-11-28T04:52:17.123Z", message, "crypto-quotes", indexed_at)
    assert json.loads(doc.source) == {
        **json.loads(message),
        "indexed_at": "2026-11-28T04:52:18.623Z",
        "ingest_latency_ms": 1500,
    }
    action, source = doc.bulk_lines()
    # index: overwrite, never duplicate or 409.
    assert json.loads(action) == {
        "index": {"_index": "crypto-quotes-2026.11.28", "_id": "coin-5@2026-11-28T04:52:17.123Z"}
    }
    assert source == doc.source


def test_action_line_is_valid_json_whatever_the_names() -> None:
    doc = Document(index='odd"index\\', id="caf\u00e9@x", source=b"{}")
    action, _ = doc.bulk_lines()
    assert json.loads(action) == {"index": {"_index": doc.index, "_id": doc.id}}
