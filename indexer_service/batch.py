"""Consumed records and the batch that collects them until a bulk write (pure)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# (topic, partition): kept free of kafka types so the batch logic stays pure.
Partition = tuple[str, int]


class Record(Protocol):
    """One Kafka message as consumed: where it came from and its raw bytes.

    The shape of kafka-python's ConsumerRecord, which the consumer hands over as
    it is; tests build their own records of the same shape.
    """

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes | None]]: ...


@dataclass
class Batch:
    """Records waiting to be written, ready by count, bytes or age.

    ``linger_s`` counts from the first record appended; an empty batch is never ready.
    """

    max_docs: int
    max_bytes: int
    linger_s: float
    clock: Callable[[], float] = time.monotonic
    _records: list[Record] = field(default_factory=list, init=False)
    _bytes: int = field(default=0, init=False)
    _opened_at: float | None = field(default=None, init=False)

    def extend(self, records: Sequence[Record]) -> None:
        """Add records; the batch may grow past its limits (callers check `is_full`)."""
        if not records:
            return
        if self._opened_at is None:
            self._opened_at = self.clock()
        self._records.extend(records)
        self._bytes += sum(len(r.key or b"") + len(r.value or b"") for r in records)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records)

    @property
    def records(self) -> tuple[Record, ...]:
        """The records in consumption order."""
        return tuple(self._records)

    @property
    def size_bytes(self) -> int:
        """Sum of the records' sizes."""
        return self._bytes

    @property
    def room(self) -> int:
        """How many more records fit before the count limit."""
        return max(0, self.max_docs - len(self._records))

    def is_full(self) -> bool:
        """True once the count or byte limit is reached."""
        return len(self._records) >= self.max_docs or self._bytes >= self.max_bytes

    def age(self) -> float:
        """Seconds since the first record was appended; 0 when empty."""
        return 0.0 if self._opened_at is None else self.clock() - self._opened_at

    def is_ready(self) -> bool:
        """True when the batch should be written now: full, or non-empty and lingered."""
        return bool(self._records) and (self.is_full() or self.age() >= self.linger_s)

    def commit_offsets(self) -> dict[Partition, int]:
        """Offsets to commit once every record is written: max offset + 1 per partition."""
        offsets: dict[Partition, int] = {}
        for record in self._records:
            key = (record.topic, record.partition)
            if record.offset + 1 > offsets.get(key, -1):
                offsets[key] = record.offset + 1
        return offsets

    def clear(self) -> None:
        """Empty the batch, ready to collect the next one."""
        self._records = []
        self._bytes = 0
        self._opened_at = None
