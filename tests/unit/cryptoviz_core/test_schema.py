"""The quote schema v1: what it accepts, what it refuses, and how it serialises."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from cryptoviz_core.schema import (
    MalformedMessage,
    QuoteV1,
    SchemaError,
    UnknownSchemaVersion,
    decode_quote,
    format_timestamp,
)


def quote_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "source": "coinmarketcap",
        "scraped_at": "2026-11-28T04:52:12.123Z",
        "cmc_id": 1,
        "slug": "bitcoin",
        "name": "Bitcoin",
        "symbol": "BTC",
        "rank": 1,
        "currency": "USD",
        "price": 105469.75,
        "change_1h_pct": -0.24,
        "change_24h_pct": 4.0,
        "change_7d_pct": 1.15,
        "market_cap": 2097047168150.0,
        "volume_24h": 64530207815.0,
        "circulating_supply": 19880000.0,
        "max_supply": 21000000.0,
        "page": 1,
        "origin": "dom",
    }
    fields.update(overrides)
    return fields


def test_round_trip_through_json_keeps_every_field() -> None:
    quote = QuoteV1.model_validate(quote_fields())
    assert decode_quote(quote.to_json()) == quote
    assert json.loads(quote.to_json())["schema_version"] == 1


def test_timestamp_is_utc_with_milliseconds() -> None:
    paris = timezone(timedelta(hours=1))
    quote = QuoteV1.model_validate(
        quote_fields(scraped_at=datetime(2026, 11, 28, 5, 52, 12, 123987, tzinfo=paris))
    )
    assert quote.to_dict()["scraped_at"] == "2026-11-28T04:52:12.123Z"
    assert format_timestamp(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        QuoteV1.model_validate(quote_fields(scraped_at=datetime(2026, 1, 1)))  # noqa: DTZ001


def test_missing_values_are_null_not_zero() -> None:
    quote = QuoteV1.model_validate(quote_fields(market_cap=None, max_supply=None, rank=None))
    payload = json.loads(quote.to_json())
    assert payload["market_cap"] is None
    assert payload["max_supply"] is None
    assert payload["rank"] is None


def test_tiny_prices_and_huge_caps_survive_exactly() -> None:
    quote = QuoteV1.model_validate(quote_fields(price=1.234e-9, market_cap=3.5e13))
    back = decode_quote(quote.to_json())
    assert back.price == 1.234e-9
    assert back.market_cap == 3.5e13


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", 0, "greater than 0"),
        ("price", -1.0, "greater than 0"),
        ("price", math.inf, "finite"),
        ("price", "--", "valid number"),
        ("price", "105469.75", "valid number"),  # numbers are JSON numbers, never strings
        ("schema_version", True, "valid integer"),
        ("change_24h_pct", math.nan, "finite"),
        ("change_24h_pct", -150.0, "greater than or equal to -100"),
        ("market_cap", -5.0, "greater than or equal to 0"),
        ("market_cap", 1e20, "less than or equal"),
        ("slug", "Bit Coin", "pattern"),
        ("source", "web", "coinmarketcap"),
        ("origin", "html", "dom"),
        ("cmc_id", True, "valid integer"),
        ("rank", 1.5, "valid integer"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        QuoteV1.model_validate(quote_fields(**{field: value}))
    assert err.value.errors()[0]["loc"][0] == field


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        QuoteV1.model_validate(quote_fields(colour="red"))


def test_quotes_are_immutable() -> None:
    quote = QuoteV1.model_validate(quote_fields())
    with pytest.raises(ValidationError):
        quote.price = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b"", None, b"[1, 2]", b'"text"'])
def test_decode_malformed_bytes(raw: bytes | None) -> None:
    with pytest.raises(MalformedMessage) as err:
        decode_quote(raw)
    assert err.value.reason == "malformed-json"


def test_decode_newer_version_is_its_own_error() -> None:
    raw = json.dumps(quote_fields(schema_version=2)).encode()
    with pytest.raises(UnknownSchemaVersion) as err:
        decode_quote(raw)
    assert err.value.reason == "unknown-schema-version"


def test_decode_invalid_quote_names_each_problem() -> None:
    raw = json.dumps(quote_fields(price="abc", page=0)).encode()
    with pytest.raises(SchemaError) as err:
        decode_quote(raw)
    assert err.value.reason == "schema-invalid"
    assert "price" in str(err.value)
    assert "page" in str(err.value)


def test_decode_rejects_json_nan() -> None:
    raw = json.dumps(quote_fields()).replace("105469.75", "NaN").encode()
    with pytest.raises(SchemaError, match="finite"):
        decode_quote(raw)


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-28T04:52:12Z",  # no milliseconds
        "2026-11-28T04:52:12.123456Z",  # microseconds
        "2026-11-28T05:52:12.123+01:00",  # the same instant, with an offset
        "2026-11-28 04:52:12.123Z",  # space separator
        "2026-11-28T04:52:12.123",  # no zone
        1764305532123,  # epoch milliseconds
    ],
)
def test_message_timestamps_have_one_wire_form(stamp: Any) -> None:
    # The indexer stores a message's bytes as they are: one text per instant.
    raw = json.dumps(quote_fields(scraped_at=stamp)).encode()
    with pytest.raises(SchemaError, match="scraped_at") as err:
        decode_quote(raw)
    assert err.value.reason == "schema-invalid"


def test_impossible_date_in_the_wire_form_is_refused() -> None:
    raw = json.dumps(quote_fields(scraped_at="2026-02-30T04:52:12.123Z")).encode()
    with pytest.raises(SchemaError, match="scraped_at"):
        decode_quote(raw)


VALID = json.dumps(quote_fields()).encode()


@pytest.mark.parametrize(
    "stamp",
    ["2026-12-31T23:59:60.000Z", "2026-11-28T24:00:00.000Z"],  # leap second, hour 24
)
def test_times_outside_the_day_are_refused(stamp: str) -> None:
    with pytest.raises(SchemaError, match="scraped_at"):
        decode_quote(json.dumps(quote_fields(scraped_at=stamp)).encode())


def test_the_decoded_timestamp_gives_back_the_text_sent() -> None:
    # The indexer derives a document's index and id from this text.
    assert format_timestamp(decode_quote(VALID).scraped_at) == quote_fields()["scraped_at"]


@pytest.mark.parametrize("raw", [VALID.decode().encode("utf-16"), b"\xef\xbb\xbf" + VALID])
def test_only_utf8_json_is_a_message(raw: bytes) -> None:
    # The indexer stores valid messages' bytes as they are: they must be plain UTF-8.
    with pytest.raises(MalformedMessage):
        decode_quote(raw)
