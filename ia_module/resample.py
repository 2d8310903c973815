"""Turn raw (time, price) observations into one regular UTC grid per coin. Pure.

Documented behaviour on bad input (never raises for bad values, only drops them):

- timestamps: timezone-aware values are converted to UTC; naive ones are taken
  as UTC (the Binance CSVs and Elasticsearch dates are UTC); unparseable -> dropped.
- prices: NaN, +/-inf, zero and negative prices are dropped and counted.
- duplicate timestamps: the last occurrence in input order wins.
- several observations in one step: the last one wins; a grid point is labelled
  by the start of its step (like a kline's open time) and holds the step's
  closing price.
- gaps: up to ``max_gap_steps`` consecutive missing points are forward-filled
  (marked ``observed=False``); a longer interior gap splits the history into
  segments, because a model fitted across it would learn a jump that never
  happened. The last segment is the grid; the earlier ones are kept beside it
  (``Grid.earlier``) so that their returns still inform the intervals, and the
  backtest uses every segment (`segments`). A longer gap at the end marks the
  series ``stale`` (the coin left the listing) and the grid stops at the last
  observation.
- a single point or a flat series comes out as a valid (short or constant) grid;
  deciding whether it is enough to forecast is the caller's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Grid:
    """A regular series: ``values[i]`` is the price for the step starting at ``times[i]``.

    ``observed[i]`` is False where the value was forward-filled across a short gap.
    ``dropped`` counts input rows rejected as bad. ``stale`` is True when the
    last observation is more than ``max_gap_steps`` before the requested end.
    ``earlier`` holds the segments before the last long gap, oldest first.
    """

    times: pd.DatetimeIndex
    values: np.ndarray
    observed: np.ndarray
    dropped: int = 0
    stale: bool = False
    earlier: tuple[Grid, ...] = ()

    def __len__(self) -> int:
        return len(self.values)

    @property
    def last_time(self) -> pd.Timestamp | None:
        """Label of the last grid point, or None for an empty grid."""
        return self.times[-1] if len(self.times) else None

    def observed_prices(self) -> dict[pd.Timestamp, float]:
        """Observed (not forward-filled) prices by grid label, in every segment: the actuals
        used for scoring."""
        out: dict[pd.Timestamp, float] = {}
        for part in (*self.earlier, self):
            out.update(
                (t, float(v))
                for t, v, o in zip(part.times, part.values, part.observed, strict=True)
                if o
            )
        return out

    @property
    def earlier_values(self) -> tuple[np.ndarray, ...]:
        """The earlier segments' values, oldest first."""
        return tuple(part.values for part in self.earlier)


def _empty(dropped: int, stale: bool = False) -> Grid:
    return Grid(
        times=pd.DatetimeIndex([], tz="UTC"),
        values=np.empty(0),
        observed=np.empty(0, dtype=bool),
        dropped=dropped,
        stale=stale,
    )


def _to_utc(times: Sequence[Any] | pd.Index | np.ndarray) -> pd.DatetimeIndex:
    parsed = pd.to_datetime(pd.Index(times), errors="coerce", utc=True, format="mixed")
    return pd.DatetimeIndex(parsed)


def clean(
    times: Sequence[Any] | pd.Index | np.ndarray, prices: Sequence[Any] | np.ndarray
) -> tuple[pd.Series, int]:
    """Valid observations sorted by UTC time, duplicates resolved; and how many rows were dropped.

    Raises ValueError only when ``times`` and ``prices`` differ in length.
    """
    if len(times) != len(prices):
        raise ValueError(f"{len(times)} timestamps for {len(prices)} prices")
    index = _to_utc(times)
    values = pd.to_numeric(pd.Series(prices, dtype=object), errors="coerce").to_numpy(float)
    keep = ~index.isna() & np.isfinite(values) & (values > 0)
    series = pd.Series(values[keep], index=index[keep])
    # A stable sort keeps input order among equal timestamps, so "last wins" holds.
    series = series.sort_index(kind="stable")
    series = series[~series.index.duplicated(keep="last")]
    return series, int((~keep).sum())


def to_grid(
    times: Sequence[Any] | pd.Index | np.ndarray,
    prices: Sequence[Any] | np.ndarray,
    step: str | pd.Timedelta,
    *,
    end: pd.Timestamp | None = None,
    max_gap_steps: int = 3,
) -> Grid:
    """Resample observations to a regular grid of ``step`` ending at ``end`` (floored).

    ``end`` defaults to the last observation's step. Observations after ``end``
    are ignored. See the module docstring for gap and bad-input behaviour.
    """
    step = pd.Timedelta(step)
    series, dropped = clean(times, prices)
    if end is not None:
        end = (
            pd.Timestamp(end).tz_convert("UTC")
            if pd.Timestamp(end).tzinfo
            else pd.Timestamp(end, tz="UTC")
        )
        end = end.floor(step)
        series = series[series.index < end + step]
    if series.empty:
        return _empty(dropped)
    buckets = series.groupby(series.index.floor(step)).last()
    last_label = buckets.index[-1] if end is None else end
    labels = pd.date_range(buckets.index[0], last_label, freq=step)
    grid = buckets.reindex(labels)
    observed = grid.notna().to_numpy()

    stale = False
    trailing = len(observed) - 1 - int(np.flatnonzero(observed)[-1])
    if trailing > max_gap_steps:
        stale = True
        grid, observed = grid.iloc[: len(grid) - trailing], observed[: len(observed) - trailing]

    # Split at every interior gap longer than max_gap_steps.
    starts = [0]
    missing_run = 0
    for i, seen in enumerate(observed):
        if seen:
            if missing_run > max_gap_steps:
                starts.append(i)
            missing_run = 0
        else:
            missing_run += 1
    parts = []
    for first, stop in zip(starts, [*starts[1:], len(observed)], strict=True):
        # A segment ends at its last observation: the gap after it is not forward-filled.
        last = first + int(np.flatnonzero(observed[first:stop])[-1]) + 1
        if stop == len(observed):
            last = stop
        part = grid.iloc[first:last]
        parts.append(
            Grid(
                times=pd.DatetimeIndex(part.index),
                values=part.ffill().to_numpy(float),
                observed=observed[first:last].copy(),
                dropped=dropped,
                stale=stale,
            )
        )
    return replace(parts[-1], earlier=tuple(parts[:-1]))


def retimed(
    times: Sequence[Any] | pd.Index | np.ndarray,
    prices: Sequence[Any] | np.ndarray,
    step: str | pd.Timedelta,
) -> Grid:
    """Quotes at their own irregular times as a path on the grid's clock, for bands only.

    Each move between consecutive quotes, ``dt`` apart, is scaled (in log terms)
    by ``sqrt(step / dt)``: under a random walk that is the spread of a move of
    one ``step``. So the path's one-step relative changes estimate one grid
    step's changes from quotes closer together than a step, before a coin has
    two grid points (a first start). ``times`` stay the quotes' own; values
    start at the first price.
    """
    series, dropped = clean(times, prices)
    if len(series) < 2:
        return _empty(dropped)
    seconds = (series.index[1:] - series.index[:-1]).total_seconds().to_numpy()
    moves = np.diff(np.log(series.to_numpy(float))) * np.sqrt(
        pd.Timedelta(step).total_seconds() / seconds
    )
    values = float(series.iloc[0]) * np.exp(np.concatenate([[0.0], np.cumsum(moves)]))
    return Grid(
        times=pd.DatetimeIndex(series.index),
        values=values,
        observed=np.ones(len(values), dtype=bool),
        dropped=dropped,
    )


def segments(grid: Grid) -> list[Grid]:
    """Every contiguous segment of ``grid``'s history, oldest first (the grid itself last)."""
    return [*grid.earlier, replace(grid, earlier=())]
