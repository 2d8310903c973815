"""Input lines to messages, --since, and consumed records to views."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cryptoviz.exceptions import CliError
from cryptoviz.messages import parse_since, prepare, view
from tests.support.indexer_fakes import FakeRecord, sample_quote

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def quote_line(i: int, **overrides: Any) -> str:
    fields = sample_quote(i).to_dict() | overrides
    return json.dumps(fields)


def test_quotes_are_keyed_by_slug_and_sent_as_written() -> None:
    lines = [quote_line(0) + "\n", "\n", "  " + quote_line(1) + "  \n"]
    out = prepare(lines, quotes=True, key=None)
    assert [m.key for m in out] == [b"coin-0", b"coin-1"]
    assert out[1].value == quote_line(1).encode()


def test_a_given_key_wins_over_the_slug() -> None:
    assert prepare([quote_line(0)], quotes=True, key="k")[0].key == b"k"


def test_a_malformed_line_is_named_by_its_number() -> None:
    with pytest.raises(CliError, match=r"^line 3: not valid JSON"):
        prepare(['{"a": 1}', "", "{oops"], quotes=False, key=None)


def test_an_invalid_quote_is_named_with_line_field_and_reason() -> None:
    lines = [quote_line(0), quote_line(1, price=-1)]
    with pytest.raises(CliError, match=r"^line 2: not a valid quote \(schema-invalid\): price"):
        prepare(lines, quotes=True, key=None)


def test_raw_sends_any_json_without_a_key() -> None:
    out = prepare(['{"price": -1}'], quotes=False, key=None)
    assert out[0].key is None
    assert out[0].value == b'{"price": -1}'


def test_empty_input_is_refused() -> None:
    with pytest.raises(CliError, match="nothing to produce"):
        prepare(["", "  \n"], quotes=False, key=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", NOW - timedelta(minutes=10)),
        ("90s", NOW - timedelta(seconds=90)),
        ("2h", NOW - timedelta(hours=2)),
        ("1.5d", NOW - timedelta(hours=36)),
        ("2026-11-28T04:00:00Z", datetime(2026, 11, 28, 4, tzinfo=UTC)),
        ("2026-11-28T04:00:00", datetime(2026, 11, 28, 4, tzinfo=UTC)),
        ("2026-11-28T05:00:00+01:00", datetime(2026, 11, 28, 4, tzinfo=UTC)),
    ],
)
def test_since_reads_durations_and_times(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "10 minutes", "-5m", ""])
def test_since_refuses_anything_else(text: str) -> None:
    with pytest.raises(CliError, match="--since"):
        parse_since(text, NOW)


def record(value: bytes | None, headers: tuple[tuple[str, bytes | None], ...] = ()) -> Any:
    class Consumed(FakeRecord):
        timestamp = 1_764_305_532_123

    return Consumed("t", 2, 7, b"bitcoin", value, headers)


def test_a_json_value_is_parsed_and_headers_are_text() -> None:
    shown = view(record(b'{"price": 1.5}', (("dlq.reason", b"schema-invalid"), ("x", None))))
    assert shown == {
        "topic": "t",
        "partition": 2,
        "offset": 7,
        "timestamp": "2025-11-28T04:52:12.123Z",
        "key": "bitcoin",
        "headers": {"dlq.reason": "schema-invalid", "x": None},
        "value": {"price": 1.5},
    }


def test_text_and_bytes_that_are_not_json_show_as_text() -> None:
    assert view(record(b"not json"))["value"] == "not json"
    assert view(record(b"\xff{"))["value"] == "\\xff{"
    assert view(record(None))["value"] is None
