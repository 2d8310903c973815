"""Dead-letter headers say why and where from, and keep the original payload."""

from indexer_service.dead_letter import MAX_ERROR_CHARS, DeadLetter
from tests.support.indexer_fakes import FakeRecord


def test_headers_carry_reason_error_and_source_position() -> None:
    headers = (("trace", b"x"), ("empty", None))  # Kafka headers may have null values
    record = FakeRecord("crypto.quotes", 3, 1234, b"bitcoin", b"{not json", headers)
    letter = DeadLetter(record, "malformed-json", "not valid UTF-8 JSON")
    assert dict(letter.headers()) == {
        "trace": b"x",
        "empty": b"",
        "dlq.reason": b"malformed-json",
        "dlq.error": b"not valid UTF-8 JSON",
        "dlq.source.topic": b"crypto.quotes",
        "dlq.source.partition": b"3",
        "dlq.source.offset": b"1234",
    }


def test_error_detail_is_truncated_and_our_headers_win() -> None:
    record = FakeRecord("t", 0, 1, None, b"x", headers=(("dlq.reason", b"forged"),))
    letter = DeadLetter(record, "schema-invalid", "e" * (MAX_ERROR_CHARS + 50))
    headers = letter.headers()
    assert [v for k, v in headers if k == "dlq.reason"] == [b"schema-invalid"]
    assert len(dict(headers)["dlq.error"]) == MAX_ERROR_CHARS
