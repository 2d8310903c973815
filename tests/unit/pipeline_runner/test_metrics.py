"""Pure figures of the runner: lag, rates, freshness, top coins, the summary line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from pipeline_runner.metrics import (
    CoinRow,
    Sample,
    age,
    figures,
    freshness,
    rate,
    summary_line,
    top_coins,
    window_start,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def sample(taken_at: float, scraped: int, indexed: int, lag: int = 0) -> Sample:
    return Sample(
        taken_at=taken_at,
        scraped=scraped,
        dead_lettered=0,
        lag=lag,
        indexed=indexed,
        coins=1,
        predictions=0,
        last_scraped_at=NOW - timedelta(seconds=7),
    )


def test_rate_is_per_minute_and_none_without_elapsed_time() -> None:
    assert rate(100, 400, 30.0) == 600.0
    assert rate(100, 400, 0.0) is None
    assert rate(400, 100, 3.0) == 0.0  # an index deleted under us is not a negative rate


def test_freshness_is_seconds_since_newest_quote() -> None:
    assert freshness(NOW, NOW - timedelta(seconds=12)) == 12.0
    assert freshness(NOW, None) is None
    assert freshness(NOW, NOW + timedelta(seconds=1)) == 0.0  # clock skew reads as fresh


def test_figures_need_a_previous_sample_for_rates() -> None:
    first = figures(None, sample(10.0, 100, 50, lag=50), NOW)
    assert first.scraped_per_min is None
    assert first.freshness_s == 7.0
    assert first.lag == 50
    second = figures(sample(10.0, 100, 50), sample(40.0, 300, 250), NOW)
    assert second.scraped_per_min == 400.0
    assert second.indexed_per_min == 400.0
    assert second.dead_lettered_per_min == 0.0


def test_rates_span_the_last_minute_of_samples() -> None:
    history = [sample(t, 0, 0) for t in (0.0, 30.0, 50.0, 70.0)]
    # At t=100 the window opens at t=40: the sample at 50 is its start.
    assert window_start(history, sample(100.0, 0, 0)) == history[2]
    assert window_start(history, history[0]) is None


def test_top_coins_orders_by_market_cap_with_missing_caps_last() -> None:
    rows = [
        CoinRow("b", "B", None, 1.0, None),
        CoinRow("a", "A", 5.0, 1.0, None),
        CoinRow("c", "C", 9.0, 1.0, None),
    ]
    assert [c.slug for c in top_coins(rows, 2)] == ["c", "a"]
    assert [c.slug for c in top_coins(rows)] == ["c", "a", "b"]


def test_summary_line_is_exact() -> None:
    assert (
        summary_line(1200, 100, 3600, 2)
        == "indexed 1200 quotes for 100 coins, 3600 predictions, 2 dead-lettered"
    )


def test_a_forecast_outrun_by_the_prices_is_not_current() -> None:
    issued = NOW - timedelta(seconds=10)
    row = CoinRow("b", "B", 1.0, 100.0, None, quoted_at=NOW, yhat=101.0, issued_at=issued)
    # Used prices up to issued + 10 s (its step): the latest quote is no newer than that.
    assert row.forecast_is_current(30.0)
    stepped = replace(row, step_s=10.0)
    assert replace(stepped, quoted_at=NOW + timedelta(seconds=30)).forecast_is_current(30.0)
    assert not replace(stepped, quoted_at=NOW + timedelta(seconds=31)).forecast_is_current(30.0)
    # The previous run's forecast, ten minutes before the latest price: not current.
    old = CoinRow(
        "b", "B", 1.0, 100.0, None, quoted_at=NOW, yhat=101.0, issued_at=NOW - timedelta(minutes=10)
    )
    assert not old.forecast_is_current(30.0)
    assert not CoinRow("b", "B", 1.0, 100.0, None, quoted_at=NOW).forecast_is_current(30.0)


def test_age_is_short_and_never_negative() -> None:
    assert age(NOW, NOW - timedelta(seconds=42)) == "42s"
    assert age(NOW, NOW - timedelta(minutes=7)) == "7m"
    assert age(NOW, NOW - timedelta(hours=3)) == "3h"
    assert age(NOW, NOW + timedelta(seconds=5)) == "0s"
