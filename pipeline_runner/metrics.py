"""Pure pipeline figures: rates, freshness and lag computed from raw numbers.

`sources` reads the raw numbers (offsets, counts, timestamps); this module
only does arithmetic on them, so the view and the summary are unit-tested
without a broker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class CoinRow:
    """One coin of the view: its latest quote and, when one exists, its latest forecast.

    ``quoted_at`` is the latest quote's time; ``issued_at`` the forecast's grid
    label and ``step_s`` its grid step, so the forecast used prices up to
    ``issued_at + step_s``.
    """

    slug: str
    symbol: str
    market_cap: float | None
    price: float
    change_24h_pct: float | None
    quoted_at: datetime | None = None
    yhat: float | None = None
    lo80: float | None = None
    hi80: float | None = None
    issued_at: datetime | None = None
    step_s: float = 0.0

    def forecast_is_current(self, ia_interval_s: float) -> bool:
        """False when there is no forecast, or when the coin's latest price came more than
        one IA interval after the last price the forecast used: a newer forecast is due,
        and the old one must not pass for it."""
        if self.yhat is None or self.issued_at is None:
            return False
        if self.quoted_at is None:
            return True
        used_until = self.issued_at + timedelta(seconds=self.step_s)
        return (self.quoted_at - used_until).total_seconds() <= ia_interval_s


def age(now: datetime, then: datetime) -> str:
    """A short age such as ``42s``, ``7m`` or ``3h`` (never negative)."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


@dataclass(frozen=True)
class IngestLatency:
    """Average and largest ``indexed_at - scraped_at`` over recent quotes, in seconds."""

    average_s: float
    max_s: float


@dataclass(frozen=True)
class Sample:
    """Everything read in one refresh, at ``taken_at`` (monotonic seconds).

    Offsets are summed over partitions; a missing topic reads as 0.
    """

    taken_at: float
    scraped: int
    dead_lettered: int
    lag: int
    indexed: int
    coins: int
    predictions: int
    last_scraped_at: datetime | None
    top: tuple[CoinRow, ...] = field(default_factory=tuple)
    # Seconds from scraped_at to indexed_at of the quotes indexed in the last minute.
    ingest: IngestLatency | None = None


# Rates are averaged over the last minute: the scraper publishes in bursts, once
# per interval, so a rate between two 3-second refreshes is mostly zero.
RATE_WINDOW_S = 60.0


@dataclass(frozen=True)
class Figures:
    """What the view shows besides the coin table; rates per minute, None until known."""

    scraped_per_min: float | None
    indexed_per_min: float | None
    dead_lettered_per_min: float | None
    freshness_s: float | None
    lag: int


def rate(previous: int, current: int, seconds: float) -> float | None:
    """Per-minute increase between two readings ``seconds`` apart; None when no time passed.

    A decrease (a topic recreated, an index deleted) reads as 0, not negative.
    """
    if seconds <= 0:
        return None
    return max(0, current - previous) / seconds * 60


def freshness(now: datetime, last: datetime | None) -> float | None:
    """Seconds from the newest scraped quote to ``now`` (both aware); None before any quote."""
    if last is None:
        return None
    return max(0.0, (now - last).total_seconds())


def window_start(history: Iterable[Sample], current: Sample) -> Sample | None:
    """The oldest earlier sample at most ``RATE_WINDOW_S`` before ``current``, if any."""
    earliest = current.taken_at - RATE_WINDOW_S
    return next((s for s in history if earliest <= s.taken_at < current.taken_at), None)


def figures(previous: Sample | None, current: Sample, now: datetime) -> Figures:
    """The view's figures for ``current``, rates taken against ``previous`` when given."""
    if previous is None:
        return Figures(None, None, None, freshness(now, current.last_scraped_at), current.lag)
    seconds = current.taken_at - previous.taken_at
    return Figures(
        scraped_per_min=rate(previous.scraped, current.scraped, seconds),
        indexed_per_min=rate(previous.indexed, current.indexed, seconds),
        dead_lettered_per_min=rate(previous.dead_lettered, current.dead_lettered, seconds),
        freshness_s=freshness(now, current.last_scraped_at),
        lag=current.lag,
    )


def top_coins(latest: list[CoinRow], n: int = 10) -> list[CoinRow]:
    """The ``n`` coins of largest market cap; coins without one come last, by slug."""
    return sorted(latest, key=lambda c: (c.market_cap is None, -(c.market_cap or 0.0), c.slug))[:n]


def summary_line(indexed: int, coins: int, predictions: int, dead_lettered: int) -> str:
    """The last line a DURATION run prints; tests and scripts parse it."""
    return (
        f"indexed {indexed} quotes for {coins} coins, "
        f"{predictions} predictions, {dead_lettered} dead-lettered"
    )
