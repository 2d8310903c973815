"""Point forecasts and interval contracts of each model."""

from __future__ import annotations

import numpy as np
import pytest

from ia_module.models import band_offsets, forecast

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
    with pytest.raises(ValueError, match="too few"):
        band_offsets(np.arange(1.0, 13.0), H)


def test_unknown_model_is_an_error(walk: np.ndarray) -> None:
    with pytest.raises(KeyError):
        forecast("prophet", walk, H)
