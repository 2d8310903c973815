"""Point forecasts and interval contracts of each model."""

from __future__ import annotations

import numpy as np
import pytest

from ia_module.models import TAIL_RATIO, band_offsets, forecast

H = 12


@pytest.fixture
def walk() -> np.ndarray:
    rng = np.random.default_rng(7)
    return 100 * np.exp(np.cumsum(rng.normal(0, 0.004, 288)))


def test_naive_repeats_the_last_value(walk: np.ndarray) -> None:
    assert forecast("naive", walk, H).yhat.tolist() == [walk[-1]] * H


def test_drift_extends_the_mean_slope() -> None:
    y = np.arange(1.0, 51.0)
    assert forecast("drift", y, 3).yhat == pytest.approx([51.0, 52.0, 53.0])


def test_ets_follows_a_clean_linear_trend() -> None:
    y = np.arange(100.0, 400.0)
    assert forecast("ets", y, H).yhat == pytest.approx(np.arange(400.0, 412.0), rel=1e-3)


@pytest.mark.parametrize("model", ["naive", "drift", "ets"])
def test_bands_nest_around_the_point_forecast(model: str, walk: np.ndarray) -> None:
    fc = forecast(model, walk, H)
    assert fc.horizon == H
    assert np.all(fc.lo95 <= fc.lo80)
    assert np.all(fc.lo80 <= fc.yhat)
    assert np.all(fc.yhat <= fc.hi80)
    assert np.all(fc.hi80 <= fc.hi95)
    # Uncertainty grows with the horizon for a random walk.
    assert fc.hi95[-1] - fc.lo95[-1] > fc.hi95[0] - fc.lo95[0]


@pytest.mark.parametrize("model", ["naive", "drift", "ets"])
def test_flat_series_gives_a_flat_forecast_with_zero_width(model: str) -> None:
    fc = forecast(model, np.full(50, 3.0), H)
    assert fc.yhat.tolist() == [3.0] * H
    assert fc.lo95.tolist() == fc.hi95.tolist() == [3.0] * H


def test_too_short_for_intervals_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 points are too few"):
        band_offsets(np.array([1.0, 2.0]), H)


def test_bands_nest_and_never_narrow_with_few_residuals() -> None:
    # Few, jagged changes: raw percentiles would narrow at some steps and cross between levels.
    y = np.array([100.0, 103.0, 99.0, 100.5, 100.4, 104.0, 98.0, 101.0, 100.0, 100.2])
    offsets = band_offsets(y, H)
    lo80, hi80, lo95, hi95 = offsets
    assert np.all(lo95 <= lo80)
    assert np.all(lo80 <= 0)
    assert np.all(hi80 >= 0)
    assert np.all(hi95 >= hi80)
    width80, width95 = hi80 - lo80, hi95 - lo95
    assert np.all(np.diff(width80) >= 0)
    assert np.all(np.diff(width95) >= 0)
    assert np.all(np.diff(lo95) <= 0)
    assert np.all(np.diff(hi95) >= 0)
    # Ten returns cannot place a 2.5% tail: the 95% band keeps at least a Gaussian's margin.
    assert np.all(lo95 <= TAIL_RATIO * lo80 + 1e-9)
    assert np.all(hi95 >= TAIL_RATIO * hi80 - 1e-9)
    # Steps beyond the history's reach still get (sqrt-scaled) bands.
    assert width95[-1] > width95[0]


def test_history_before_a_gap_gives_intervals_in_returns() -> None:
    rng = np.random.default_rng(11)
    before = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    # Two points after the gap, at ten times the price level: one change is too few alone.
    after = np.array([1000.0, 1001.0])
    with pytest.raises(ValueError, match="too few"):
        band_offsets(after[:1], H)
    offsets = band_offsets(after, H, [before])
    alone = band_offsets(before, H)
    # Relative widths come from the earlier returns, scaled to the new price.
    assert offsets[3, -1] / 1001.0 == pytest.approx(alone[3, -1] / before[-1], rel=0.05)


def test_unknown_model_is_an_error(walk: np.ndarray) -> None:
    with pytest.raises(KeyError):
        forecast("prophet", walk, H)
