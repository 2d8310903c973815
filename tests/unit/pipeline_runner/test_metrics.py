"""Pure figures of the runner: lag, rates, freshness, top coins, the summary line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline_runner.metrics import (
    CoinRow,
    Sample,
    figures,
    freshness,
    rate,
    summary_line,
    top_coins,
    total_lag,
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


def test_lag_counts_uncommitted_partitions_from_zero_and_never_negative() -> None:
    assert total_lag({0: 10, 1: 5, 2: 3}, {0: 4, 1: None, 2: 9}) == 6 + 5 + 0


def test_lag_of_a_missing_topic_is_zero() -> None:
    assert total_lag({}, {}) == 0


def test_rate_is_per_second_and_none_without_elapsed_time() -> None:
    assert rate(100, 400, 3.0) == 100.0
    assert rate(100, 400, 0.0) is None
    assert rate(400, 100, 3.0) == 0.0  # an index deleted under us is not a negative rate


def test_freshness_is_seconds_since_newest_quote() -> None:
    assert freshness(NOW, NOW - timedelta(seconds=12)) == 12.0
    assert freshness(NOW, None) is None
    assert freshness(NOW, NOW + timedelta(seconds=1)) == 0.0  # clock skew reads as fresh


def test_figures_need_a_previous_sample_for_rates() -> None:
    first = figures(None, sample(10.0, 100, 50, lag=50), NOW)
    assert first.scraped_per_s is None
    assert first.freshness_s == 7.0
    assert first.lag == 50
    second = figures(sample(10.0, 100, 50), sample(12.0, 300, 250), NOW)
    assert second.scraped_per_s == 100.0
    assert second.indexed_per_s == 100.0


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
