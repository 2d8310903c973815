"""Resampling to a regular grid: gaps, bad input, duplicates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ia_module.resample import clean, retimed, segments, to_grid

T0 = pd.Timestamp("2026-11-28 00:00", tz="UTC")
STEP = pd.Timedelta(minutes=5)


def minutes(*offsets: float) -> list[pd.Timestamp]:
    return [T0 + pd.Timedelta(minutes=m) for m in offsets]


def test_last_quote_in_a_step_wins_and_labels_are_step_starts() -> None:
    grid = to_grid(minutes(0, 1, 4, 5, 9), [1.0, 2.0, 3.0, 4.0, 5.0], "5min")
    assert list(grid.times) == [T0, T0 + pd.Timedelta(minutes=5)]
    assert grid.values.tolist() == [3.0, 5.0]
    assert grid.observed.tolist() == [True, True]


def test_bad_prices_are_dropped_and_counted() -> None:
    grid = to_grid(minutes(0, 5, 10, 15, 20), [1.0, np.nan, 0.0, -3.0, 2.0], "5min")
    assert grid.dropped == 3
    # The three dropped points are a gap of 3 steps, within the default ffill limit.
    assert grid.values.tolist() == [1.0, 1.0, 1.0, 1.0, 2.0]
    assert grid.observed.tolist() == [True, False, False, False, True]


def test_infinite_and_unparseable_values_are_dropped() -> None:
    series, dropped = clean(
        ["2026-11-28T00:00:00Z", "not a date", "2026-11-28T00:05:00Z"], [1.0, 2.0, np.inf]
    )
    assert dropped == 2
    assert series.tolist() == [1.0]


def test_duplicate_timestamps_keep_the_last_occurrence() -> None:
    series, dropped = clean(minutes(0, 0, 5), [1.0, 9.0, 2.0])
    assert dropped == 0
    assert series.tolist() == [9.0, 2.0]


def test_naive_timestamps_are_utc_and_aware_ones_are_converted() -> None:
    series, _ = clean(["2026-11-28 01:00", "2026-11-28T03:00:00+01:00"], [1.0, 2.0])
    assert list(series.index) == [T0 + pd.Timedelta(hours=1), T0 + pd.Timedelta(hours=2)]


def test_long_interior_gap_splits_the_history_into_segments() -> None:
    grid = to_grid(
        minutes(0, 5, 15, 45, 50, 90), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "5min", max_gap_steps=3
    )
    assert list(grid.times) == minutes(90)
    assert grid.values.tolist() == [6.0]
    parts = segments(grid)
    # The short gap (one step) is filled; the long ones split; no segment runs into a gap.
    assert [p.values.tolist() for p in parts] == [[1.0, 2.0, 2.0, 3.0], [4.0, 5.0], [6.0]]
    assert [list(p.times) for p in parts[1:]] == [minutes(45, 50), minutes(90)]
    assert grid.earlier_values[0].tolist() == [1.0, 2.0, 2.0, 3.0]
    # Scoring still sees every observed price, before and after the gaps.
    assert sorted(grid.observed_prices().values()) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_trailing_gap_longer_than_limit_marks_the_coin_stale() -> None:
    end = T0 + pd.Timedelta(minutes=60)
    grid = to_grid(minutes(0, 5, 10), [1.0, 2.0, 3.0], "5min", end=end, max_gap_steps=3)
    assert grid.stale
    assert grid.last_time == T0 + pd.Timedelta(minutes=10)


def test_short_trailing_gap_is_forward_filled_to_the_end() -> None:
    end = T0 + pd.Timedelta(minutes=20)
    grid = to_grid(minutes(0, 5, 10), [1.0, 2.0, 3.0], "5min", end=end, max_gap_steps=3)
    assert not grid.stale
    assert grid.last_time == end
    assert grid.values.tolist() == [1.0, 2.0, 3.0, 3.0, 3.0]
    assert grid.observed_prices() == {
        T0: 1.0,
        T0 + pd.Timedelta(minutes=5): 2.0,
        T0 + pd.Timedelta(minutes=10): 3.0,
    }


def test_observations_after_end_are_ignored() -> None:
    grid = to_grid(minutes(0, 5, 10), [1.0, 2.0, 3.0], "5min", end=T0 + pd.Timedelta(minutes=5))
    assert grid.values.tolist() == [1.0, 2.0]


def test_single_point_and_empty_input() -> None:
    single = to_grid(minutes(0), [5.0], "5min")
    assert len(single) == 1
    assert single.earlier == ()
    empty = to_grid([], [], "5min")
    assert len(empty) == 0
    assert empty.last_time is None
    all_bad = to_grid(minutes(0, 5), [0.0, np.nan], "5min")
    assert len(all_bad) == 0
    assert all_bad.dropped == 2


def test_flat_series_is_a_valid_grid() -> None:
    grid = to_grid(minutes(*range(0, 150, 5)), [7.0] * 30, "5min")
    assert len(grid) == 30
    assert np.ptp(grid.values) == 0


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 timestamps for 1 prices"):
        clean(minutes(0, 5), [1.0])


def test_retimed_scales_each_move_to_one_grid_step_by_the_square_root_of_time() -> None:
    t0 = pd.Timestamp("2026-12-01 12:00", tz="UTC")
    # Moves over 60 s, 60 s and 300 s, on a 5-minute grid: the first two are
    # scaled by sqrt(5), the last one (already one step) is kept.
    times = [t0, t0 + pd.Timedelta(seconds=60), t0 + pd.Timedelta(seconds=120), t0 + STEP * 1.4]
    prices = [100.0, 101.0, 100.0, 102.0]
    path = retimed(times, prices, STEP)
    assert list(path.times) == times
    assert path.values[0] == 100.0
    log_moves = np.diff(np.log(path.values))
    expected = np.diff(np.log(prices)) * np.sqrt([5.0, 5.0, 1.0])
    np.testing.assert_allclose(log_moves, expected)
    assert path.observed.all()


def test_retimed_needs_two_valid_quotes() -> None:
    t0 = pd.Timestamp("2026-12-01 12:00", tz="UTC")
    assert len(retimed([t0], [1.0], STEP)) == 0
    lone = retimed([t0, t0 + pd.Timedelta(seconds=60)], [1.0, -1.0], STEP)
    assert len(lone) == 0
    assert lone.dropped == 1
