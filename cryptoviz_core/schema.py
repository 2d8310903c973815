"""Quote message schema v1: the one contract between scraper, indexer and tests.

A quote is one coin's listing row at one moment. The scraper builds it, Kafka
carries it as UTF-8 JSON keyed by slug, the indexer validates it again before
writing it to Elasticsearch. Anything that fails here is dead-lettered, never
stored: a missing value is ``None``, never 0 and never ``"--"``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

SCHEMA_VERSION = 1
# Bounds that no real listing row reaches; a value outside them is a parse bug
# or a corrupted page, and storing it would poison every chart downstream.
MAX_PRICE = 1e9
MAX_AMOUNT = 1e16  # market cap, volume and supplies (USDT supply is ~1.6e11)
MAX_CHANGE_PCT = 1e7


class SchemaError(ValueError):
    """A message cannot become a quote. Raised by `decode_quote`; callers dead-letter it."""

    reason = "schema-invalid"


class MalformedMessage(SchemaError):
    """The bytes are not a UTF-8 JSON object."""

    reason = "malformed-json"


class UnknownSchemaVersion(SchemaError):
    """The message was written by a newer producer; an older consumer must not guess."""

    reason = "unknown-schema-version"


# The one wire form of a timestamp, as `format_timestamp` writes it.
_WIRE_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def _utc_millis(value: object, parse: ValidatorFunctionWrapHandler) -> datetime:
    """A message's timestamp must be in the wire form; a Python datetime is normalised to it.

    Exactly one text form per instant lets the indexer store a message's bytes
    as they are (Elasticsearch reads the same instant) and derive ids from it:
    `format_timestamp` of the decoded instant gives back the text sent.
    """
    if isinstance(value, str):
        if not _WIRE_TIMESTAMP.fullmatch(value):
            raise ValueError(
                "expected UTC ISO-8601 with milliseconds, "
                f"like 2026-11-28T04:52:12.123Z; got {value!r}"
            )
        parsed: datetime = parse(value)
        return parsed
    if not isinstance(value, datetime):
        raise ValueError(f"expected a timestamp string, got {type(value).__name__}")
    if value.tzinfo is None:
        raise ValueError("scraped_at must carry a timezone")
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def format_timestamp(value: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a ``Z`` suffix, e.g. ``2026-11-28T04:52:12.123Z``."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


UtcTimestamp = Annotated[
    datetime,
    WrapValidator(_utc_millis),
    PlainSerializer(format_timestamp, return_type=str),
]


# Strict: a number must be a JSON number, never a numeric string, so that a valid
# message's bytes are a well-typed document as they are.
Amount = Annotated[float, Field(strict=True, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)] | None
ChangePct = (
    Annotated[float, Field(strict=True, ge=-100, le=MAX_CHANGE_PCT, allow_inf_nan=False)] | None
)
Price = Annotated[float, Field(strict=True, gt=0, le=MAX_PRICE, allow_inf_nan=False)]
# Strict: JSON true or 1.5 would otherwise coerce silently to an int.
WholeNumber = Annotated[int, Field(strict=True, gt=0)]


class QuoteV1(BaseModel):
    """One coin on one listing page at one moment. Immutable; validated on construction.

    Raises pydantic's ValidationError on construction with a bad field; use
    `decode_quote` to turn raw Kafka bytes into a quote or a `SchemaError`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    # Strict: a Literal[1] would accept JSON true, which is not a version number.
    schema_version: Annotated[int, Field(strict=True, ge=SCHEMA_VERSION, le=SCHEMA_VERSION)] = (
        SCHEMA_VERSION
    )
    source: Literal["coinmarketcap", "replay"]
    scraped_at: UtcTimestamp
    cmc_id: WholeNumber
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=200)
    name: str = Field(min_length=1, max_length=200)
    symbol: str = Field(min_length=1, max_length=50)
    rank: WholeNumber | None = None
    currency: str = Field(pattern=r"^[A-Z]{3,5}$")
    price: Price
    change_1h_pct: ChangePct = None
    change_24h_pct: ChangePct = None
    change_7d_pct: ChangePct = None
    market_cap: Amount = None
    volume_24h: Amount = None
    circulating_supply: Amount = None
    max_supply: Amount = None
    page: WholeNumber
    origin: Literal["dom", "json"]

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict: timestamps as strings, missing values as None."""
        return self.model_dump(mode="json")

    def to_json(self) -> bytes:
        """The Kafka message value: compact UTF-8 JSON."""
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False).encode()


def decode_quote(raw: bytes | None) -> QuoteV1:
    """Parse a Kafka message value into a quote.

    Raises MalformedMessage (not a UTF-8 JSON object), UnknownSchemaVersion (a
    newer producer wrote it) or SchemaError (a field is wrong; the message says
    which).
    """
    try:
        return QuoteV1.model_validate_json(raw or b"")
    except ValidationError as err:
        raise why_not_a_quote(raw or b"", err) from None


def why_not_a_quote(raw: bytes, err: ValidationError) -> SchemaError:
    """The error for ``raw``, which failed validation with ``err``.

    Read again with the standard library, so that what is not a UTF-8 JSON
    object and what a newer producer wrote get their own reasons; only messages
    that are dead-lettered take this path.
    """
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as parse_error:
        return MalformedMessage(f"not valid UTF-8 JSON: {parse_error}")
    if not isinstance(payload, dict):
        return MalformedMessage(f"expected a JSON object, got {type(payload).__name__}")
    version = payload.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        return UnknownSchemaVersion(f"schema_version {version} is newer than {SCHEMA_VERSION}")
    problems = "; ".join(
        f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in err.errors()
    )
    return SchemaError(problems)
