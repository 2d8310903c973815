"""Bounded exponential backoff, the one retry primitive every service uses."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delays of ``initial * multiplier**n`` seconds, capped at ``maximum``, with full jitter.

    Pure: `delay(attempt)` only computes; the caller sleeps, logs and decides
    when to give up (``attempt >= max_attempts`` when that is set).
    """

    initial: float = 1.0
    maximum: float = 60.0
    multiplier: float = 2.0
    jitter: float = 0.2
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.maximum:
            raise ValueError("backoff needs 0 < initial <= maximum")
        if self.multiplier < 1 or not 0 <= self.jitter < 1:
            raise ValueError("backoff needs multiplier >= 1 and 0 <= jitter < 1")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        base = min(self.maximum, self.initial * self.multiplier ** min(attempt, 64))
        spread = base * self.jitter
        return max(0.0, base + (rng or random).uniform(-spread, spread))

    def exhausted(self, attempt: int) -> bool:
        """True once ``attempt`` retries have been made and the policy allows no more."""
        return self.max_attempts is not None and attempt >= self.max_attempts
