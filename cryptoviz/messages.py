"""Pure logic of `produce` and `consume`: input lines to messages, records to views.

No I/O here: `kafka_io` reads and writes, `cli` prints.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from cryptoviz.exceptions import CliError
from cryptoviz_core.schema import SchemaError, decode_quote
from indexer_service.batch import Record as ConsumedRecord


@dataclass(frozen=True)
class Outgoing:
    """One message to produce; ``topic`` None: the topic the command was given."""

    key: bytes | None
    value: bytes | None
    topic: str | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


def prepare(lines: Iterable[str], *, quotes: bool, key: str | None) -> list[Outgoing]:
    """The messages of JSON ``lines``, every one checked before any is sent.

    Blank lines are skipped. With ``quotes`` each line must be a schema-valid
    quote, keyed by its slug unless ``key`` is given (the scraper keys by slug,
    so one coin's quotes stay in one partition, in order). A line's bytes are
    sent as they are: what was validated is what the consumer reads. Raises
    CliError naming the first bad line's number.
    """
    out = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        value = text.encode()
        try:
            json.loads(text)
        except json.JSONDecodeError as err:
            raise CliError(f"line {number}: not valid JSON: {err}") from None
        message_key = key
        if quotes:
            try:
                quote = decode_quote(value)
            except SchemaError as err:
                raise CliError(
                    f"line {number}: not a valid quote ({err.reason}): {err}; "
                    "use --raw to send it anyway"
                ) from None
            message_key = key if key is not None else quote.slug
        out.append(Outgoing(None if message_key is None else message_key.encode(), value))
    if not out:
        raise CliError("nothing to produce: the input holds no JSON line")
    return out


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str, now: datetime) -> datetime:
    """``10m``, ``90s``, ``2h``, ``7d`` before ``now``, or an ISO-8601 time (UTC unless
    it says otherwise). Raises CliError for anything else."""
    match = _DURATION.match(text.strip().lower())
    if match:
        return now - timedelta(seconds=float(match[1]) * _UNIT_S[match[2]])
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"--since {text!r}: expected a duration like 10m, 2h, 7d or a time like "
            "2026-11-28T04:00:00Z"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_millis(moment: datetime) -> int:
    """Milliseconds since the epoch, Kafka's timestamp unit."""
    return int(moment.timestamp() * 1000)


def from_millis(millis: int) -> str:
    """A Kafka timestamp as UTC ISO-8601 with milliseconds."""
    moment = datetime.fromtimestamp(millis / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Record(ConsumedRecord, Protocol):
    """A consumed record as the command reads it: the indexer's view, plus the timestamp."""

    @property
    def timestamp(self) -> int: ...


def text(raw: bytes | None) -> str | None:
    """Bytes as text; bytes that are not UTF-8 show as backslash escapes."""
    return None if raw is None else raw.decode("utf-8", "backslashreplace")


def headers_of(record: Record) -> dict[str, str | None]:
    """A record's headers by name (the last one wins when a name repeats)."""
    return {name: text(value) for name, value in record.headers}


def view(record: Record) -> dict[str, Any]:
    """A record as one JSON-ready dict: the value parsed when it is JSON, else its text."""
    value: Any = text(record.value)
    if value is not None:
        with contextlib.suppress(json.JSONDecodeError):  # not JSON: shown as the text it is
            value = json.loads(value)
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": from_millis(record.timestamp),
        "key": text(record.key),
        "headers": headers_of(record),
        "value": value,
    }
