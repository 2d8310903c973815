"""Rolling-origin backtest and model selection on series with a known right answer."""

from __future__ import annotations

import numpy as np
import pytest

from ia_module.backtest import (
    SELECT_MIN_ORIGINS,
    evaluate,
    interval_score,
    relative_mae,
    rolling_origins,
    select_model,
)
from ia_module.cycle import forecast_series

H = 12
MODELS = ("naive", "drift", "ets")
ORIGINS = 6


def test_origins_are_spaced_by_horizon_and_respect_min_train() -> None:
    assert rolling_origins(100, 12, 3, 20) == [64, 76, 88]
    assert rolling_origins(30, 12, 3, 20) == []


def test_linear_trend_drift_beats_naive() -> None:
    rng = np.random.default_rng(1)
    y = 100 + 0.5 * np.arange(288) + rng.normal(0, 0.05, 288)
    scores = evaluate(y, MODELS, H, rolling_origins(288, H, 5, 24))
    assert scores["naive"].mase == 1.0
    assert scores["drift"].mase < 0.2
    assert select_model(y, MODELS, H, ORIGINS, 24).model in {"drift", "ets"}


def test_without_enough_origins_naive_stays_even_against_an_exact_model() -> None:
    y = np.arange(1.0, 301.0)
    assert select_model(y, MODELS, H, SELECT_MIN_ORIGINS - 1, 24).model == "naive"
    assert select_model(y, MODELS, H, SELECT_MIN_ORIGINS, 24).model == "drift"


def test_on_random_walks_the_selection_keeps_naive() -> None:
    # Drift and ETS win some windows by chance; without evidence they are never chosen.
    rng = np.random.default_rng(4)
    chosen = []
    for _ in range(30):
        y = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, 288)))
        chosen.append(select_model(y, MODELS, H, ORIGINS, 24).model)
    assert chosen == ["naive"] * 30


def test_random_walk_naive_is_not_beaten_significantly() -> None:
    rng = np.random.default_rng(2)
    pooled = {m: [] for m in MODELS}
    for _ in range(20):
        y = 100 * np.exp(np.cumsum(rng.normal(0, 0.003, 400)))
        for model, s in evaluate(
            y, MODELS, H, rolling_origins(400, H, 8, 288), train_window=288
        ).items():
            pooled[model].append(s.mase)
    for model in ("drift", "ets"):
        assert np.mean(pooled[model]) > 0.9, model


def test_constant_series_selects_naive_with_mase_one() -> None:
    y = np.full(100, 5.0)
    selection = select_model(y, MODELS, H, ORIGINS, 24)
    assert selection.model == "naive"
    assert all(s.mase == 1.0 for s in selection.scores.values())


def test_ties_go_to_the_simplest_model() -> None:
    # A linear series: drift and ets are both exact, so drift (listed first) wins.
    y = np.arange(1.0, 101.0)
    assert select_model(y, MODELS, H, ORIGINS, 24).model == "drift"


def test_too_short_for_any_origin_falls_back_to_naive() -> None:
    selection = select_model(np.arange(1.0, 20.0), MODELS, H, 3, 24)
    assert selection.model == "naive"
    assert selection.scores == {}


def test_relative_mae_edge_cases() -> None:
    assert relative_mae(2.0, 4.0) == 0.5
    assert relative_mae(0.0, 0.0) == 1.0
    assert relative_mae(1.0, 0.0) == float("inf")


def test_coverage_of_empirical_bands_on_a_stationary_walk() -> None:
    rng = np.random.default_rng(3)
    y = 100 * np.exp(np.cumsum(rng.normal(0, 0.003, 3000)))
    s = evaluate(y, ["naive"], H, rolling_origins(3000, H, 200, 288, every=13), train_window=288)[
        "naive"
    ]
    assert s.coverage80 == pytest.approx(80, abs=5)
    assert s.coverage95 == pytest.approx(95, abs=4)


def test_forecast_series_returns_every_model_and_the_selection() -> None:
    y = 100 + 0.5 * np.arange(288)
    selection, forecasts = forecast_series(y, MODELS, H, ORIGINS, 24)
    assert set(forecasts) == set(MODELS)
    assert selection.model == "drift"


def test_forecast_series_after_a_gap_is_naive_with_bands_from_before_it() -> None:
    rng = np.random.default_rng(9)
    before = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, 200)))
    selection, forecasts = forecast_series(np.array([95.0]), MODELS, H, ORIGINS, 24, [before])
    assert selection.model == "naive"
    assert set(forecasts) == {"naive"}
    fc = forecasts["naive"]
    assert fc.yhat.tolist() == [95.0] * H
    assert np.all(fc.lo95 < fc.lo80)
    assert np.all(fc.lo80 < 95.0)
    assert np.all(fc.hi95 > fc.hi80)


def test_interval_score_is_width_plus_scaled_misses() -> None:
    actual = np.array([10.0, 5.0, 16.0])
    lo, hi = np.full(3, 8.0), np.full(3, 12.0)
    # widths 4 each; misses of 3 below and 4 above, times 2 / 0.2.
    assert interval_score(actual, lo, hi, 0.2) == pytest.approx(12 + 10 * 3 + 10 * 4)


def test_backtest_reports_interval_scores_relative_to_naive() -> None:
    rng = np.random.default_rng(6)
    y = 100 * np.exp(np.cumsum(rng.normal(0, 0.003, 600)))
    scores = evaluate(y, MODELS, H, rolling_origins(600, H, 20, 288), train_window=288)
    assert scores["naive"].is80 == 1.0
    assert scores["naive"].is95 == 1.0
    # Same bands around a worse point forecast: a worse interval score.
    assert scores["drift"].is80 > 0.95
