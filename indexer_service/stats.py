"""Counters for the periodic stats line (pure)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    """What the service did since it started, plus the rate since the last report.

    Times are seconds from one monotonic clock (the caller's); wall-clock stamps
    are passed in as strings so this stays pure.
    """

    started_at: float
    indexed: int = 0
    dead_lettered: int = 0
    dead_letter_reasons: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    commit_failures: int = 0
    last_write_at: str | None = None
    _reported_at: float | None = None
    _reported_indexed: int = 0

    def record_batch(self, indexed: int, dead_reasons: list[str], written_at: str) -> None:
        """Count one batch written and committed (or whose commit failed, counted apart)."""
        self.batches += 1
        self.indexed += indexed
        self.dead_lettered += len(dead_reasons)
        self.dead_letter_reasons.update(dead_reasons)
        if indexed:
            self.last_write_at = written_at

    def report(self, now: float, lag: int | None, retries: int) -> dict[str, Any]:
        """The fields of one stats line; the rate covers the time since the previous call."""
        since = self.started_at if self._reported_at is None else self._reported_at
        elapsed = max(now - since, 1e-9)
        rate = (self.indexed - self._reported_indexed) / elapsed
        self._reported_at, self._reported_indexed = now, self.indexed
        return {
            "docs_per_s": round(rate, 1),
            "indexed_total": self.indexed,
            "dead_lettered_total": self.dead_lettered,
            "dead_letter_reasons": dict(self.dead_letter_reasons),
            "batches_total": self.batches,
            "bulk_retries_total": retries,
            "commit_failures_total": self.commit_failures,
            "consumer_lag": lag,
            "last_successful_write": self.last_write_at,
            "uptime_s": round(now - self.started_at, 1),
        }
