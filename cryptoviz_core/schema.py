"""Quote message schema v1: the one contract between scraper, indexer and tests.

A quote is one coin's listing row at one moment. The scraper builds it, Kafka
carries it as UTF-8 JSON keyed by slug, the indexer validates it again before
writing it to Elasticsearch. Anything that fails here is dead-lettered, never
stored: a missing value is ``None``, never 0 and never ``"--"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
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
from pydantic_core import SchemaValidator, core_schema

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
    as they are (Elasticsearch reads the same instant) and derive ids from it.
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


# Every check below runs inside pydantic-core (Rust): decoding is the indexer's hottest path.
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

    Raises MalformedMessage (not a JSON object), UnknownSchemaVersion (a newer
    producer wrote it) or SchemaError (a field is wrong; the message says which).
    """
    try:
        # Fast path, parsed and validated in Rust: valid messages are the norm and
        # this is the indexer's hottest call. Whatever it refuses takes the slower
        # path below, which says why.
        return QuoteV1.model_validate_json(raw or b"")
    except ValidationError:
        return _decode_slowly(raw)


def _real_instant(text: str) -> str:
    """``text``, once it names a real instant (the wire pattern has matched already)."""
    datetime.fromisoformat(text)  # ValueError for e.g. February 30th
    return text


# A timestamp checked as the model checks it, kept as its wire text: the indexer
# derives index and id from that text, and parsing it into a datetime only to
# format it back cost ~2.5 us of the ~8 us that decoding a message took.
_WIRE_TEXT_SCHEMA = core_schema.no_info_after_validator_function(
    _real_instant, core_schema.str_schema(pattern=_WIRE_TIMESTAMP.pattern)
)


def _fields_validator(
    model: type[BaseModel], *, timestamps_as_text: Collection[str]
) -> SchemaValidator:
    """Validates exactly the model's fields, from the model's own core schema, into a dict.

    Building the frozen model instance costs as much as the validation itself;
    a hot path that reads two fields does not need it. Built from the model's
    schema, so there is still one definition of a quote; the fields named in
    ``timestamps_as_text`` stay in their wire text instead of becoming datetimes.
    """
    schema = model.__pydantic_core_schema__
    fields = schema["schema"] if schema["type"] == "model" else None
    if fields is None or fields["type"] != "model-fields":
        # e.g. a model_validator wraps the fields: a dict validator would skip it.
        raise TypeError(f"{model.__name__}: only plain field validation can run without the model")
    return SchemaValidator(
        core_schema.typed_dict_schema(
            {
                name: core_schema.typed_dict_field(
                    _WIRE_TEXT_SCHEMA if name in timestamps_as_text else field["schema"],
                    required=field["schema"]["type"] != "default",
                )
                for name, field in fields["fields"].items()
            },
            extra_behavior=schema["config"]["extra_fields_behavior"],
        )
    )


_TIMESTAMPS_AS_TEXT = frozenset({"scraped_at"})
_QUOTE_FIELDS = _fields_validator(QuoteV1, timestamps_as_text=_TIMESTAMPS_AS_TEXT)


def decode_quote_fields(raw: bytes | None) -> dict[str, Any]:
    """`decode_quote`, returning the quote's fields as a dict instead of a QuoteV1.

    Same checks and errors, at about a third of the cost (the indexer's hot
    path); ``scraped_at`` stays in its wire text, e.g. ``2026-11-28T04:52:12.123Z``.
    """
    try:
        fields: dict[str, Any] = _QUOTE_FIELDS.validate_json(raw or b"")
    except ValidationError:
        fields = dict(_decode_slowly(raw))
        fields.update((name, format_timestamp(fields[name])) for name in _TIMESTAMPS_AS_TEXT)
    return fields


def _decode_slowly(raw: bytes | None) -> QuoteV1:
    """`decode_quote` in steps, so that a refused message gets its own error and reason."""
    try:
        payload = json.loads(raw or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MalformedMessage(f"not valid UTF-8 JSON: {err}") from None
    if not isinstance(payload, dict):
        raise MalformedMessage(f"expected a JSON object, got {type(payload).__name__}")
    version = payload.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise UnknownSchemaVersion(f"schema_version {version} is newer than {SCHEMA_VERSION}")
    try:
        return QuoteV1.model_validate(payload)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in err.errors()
        )
        raise SchemaError(problems) from None
