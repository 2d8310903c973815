"""Pure logic of `dlq list` and `dlq replay`: dead letters read from their headers.

The indexer writes each dead letter with the original key and value and the
headers of `indexer_service.dead_letter` (reason, error, source topic, partition,
offset); this module reads them back, groups them and plans a replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptoviz.messages import Outgoing, Record, headers_of, text
from indexer_service.dead_letter import (
    HEADER_ERROR,
    HEADER_OFFSET,
    HEADER_PARTITION,
    HEADER_REASON,
    HEADER_TOPIC,
)

UNKNOWN_REASON = "unknown"
# Where a replayed message came from in the DLQ, ``<topic>:<partition>:<offset>``: should
# it fail again, its new dead letter still points back to the first.
HEADER_REPLAY_OF = "dlq.replay.of"
_OURS = {HEADER_REASON, HEADER_ERROR, HEADER_TOPIC, HEADER_PARTITION, HEADER_OFFSET}
SAMPLE_VALUE_CHARS = 300


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter as read back from the DLQ topic."""

    dlq_partition: int
    dlq_offset: int
    reason: str
    error: str
    source_topic: str | None
    source_partition: str | None
    source_offset: str | None
    key: bytes | None
    value: bytes | None
    other_headers: tuple[tuple[str, bytes], ...]
    replay_of: bytes | None

    @classmethod
    def of(cls, record: Record) -> DeadLetter:
        named = headers_of(record)
        return cls(
            dlq_partition=record.partition,
            dlq_offset=record.offset,
            reason=named.get(HEADER_REASON) or UNKNOWN_REASON,
            error=named.get(HEADER_ERROR) or "",
            source_topic=named.get(HEADER_TOPIC),
            source_partition=named.get(HEADER_PARTITION),
            source_offset=named.get(HEADER_OFFSET),
            key=record.key,
            value=record.value,
            other_headers=tuple(
                (name, value or b"")
                for name, value in record.headers
                if name not in _OURS and name != HEADER_REPLAY_OF
            ),
            replay_of=dict(record.headers).get(HEADER_REPLAY_OF),
        )

    def sample(self) -> dict[str, Any]:
        """What `dlq list` shows of one dead letter."""
        value = text(self.value) or ""
        return {
            "dlq_offset": f"{self.dlq_partition}:{self.dlq_offset}",
            "source": f"{self.source_topic}:{self.source_partition}:{self.source_offset}",
            "key": text(self.key),
            "error": self.error,
            "value": value[:SAMPLE_VALUE_CHARS] + ("…" if len(value) > SAMPLE_VALUE_CHARS else ""),
        }


@dataclass
class ReasonGroup:
    """The dead letters of one reason: how many, and the first few."""

    reason: str
    count: int = 0
    samples: list[DeadLetter] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "count": self.count,
            "samples": [letter.sample() for letter in self.samples],
        }


def by_reason(letters: Iterable[DeadLetter], samples: int) -> list[ReasonGroup]:
    """Dead letters grouped by reason, most frequent first, with up to ``samples`` each."""
    groups: dict[str, ReasonGroup] = {}
    for letter in letters:
        group = groups.setdefault(letter.reason, ReasonGroup(letter.reason))
        group.count += 1
        if len(group.samples) < samples:
            group.samples.append(letter)
    return sorted(groups.values(), key=lambda g: (-g.count, g.reason))


def plan_replay(
    letters: Sequence[DeadLetter], dlq_topic: str, default_topic: str, reason: str | None
) -> list[Outgoing]:
    """The messages to send back: one per distinct (topic, key, value), in DLQ order.

    A message dead-lettered more than once (e.g. replayed before its cause was
    fixed) goes back once. A dead letter without a source topic header goes to
    ``default_topic``. ``reason`` keeps only the dead letters of that reason.
    """
    seen: set[tuple[str, bytes | None, bytes | None]] = set()
    plan = []
    for letter in letters:
        if reason is not None and letter.reason != reason:
            continue
        topic = letter.source_topic or default_topic
        if (topic, letter.key, letter.value) in seen:
            continue
        seen.add((topic, letter.key, letter.value))
        origin = (
            letter.replay_of or f"{dlq_topic}:{letter.dlq_partition}:{letter.dlq_offset}".encode()
        )
        headers = (*letter.other_headers, (HEADER_REPLAY_OF, origin))
        plan.append(Outgoing(letter.key, letter.value, topic, headers))
    return plan
