"""Forecast models and their prediction intervals. Pure: arrays in, `Forecast` out.

Models (point forecasts, ``h`` steps ahead of the last value ``y[-1]``):

- ``naive``: the last value, repeated.
- ``drift``: the last value plus the average step change over the series.
- ``ets``: statsforecast ``AutoETS(model="AZN")``: additive errors, no
  seasonality, trend chosen by AICc among none, additive and damped. Chosen by
  measurement over statsmodels and the other statsforecast models; see
  ``ia_module/EVALUATION.md``.

Intervals are the same for every model and empirical: for each step ``h``, the
relative ``h``-step changes ``y[t+h]/y[t] - 1`` observed in the training history
(every segment of it: a gap splits the history, and changes are never taken
across a gap), centred on their mean, give the 10/90 and 2.5/97.5 percentiles,
which are scaled by the last price and added to the model's point forecast.
Working in returns makes history from before a gap usable whatever the price
level did since. Crypto returns are heavy-tailed, so Gaussian intervals (the
library's, or ``sqrt(h)`` ones) cover too much at 80% and too little at 95%; the
empirical ones were calibrated on the Binance hourly data (see EVALUATION.md).

Two guarantees hold whatever the sample: the 95% band contains the 80% band,
which contains the point forecast, and no band edge moves inwards as ``h``
grows (a few residuals can otherwise give a step-3 band narrower than the
step-1 band). Each edge of the 95% band is also at least `TAIL_RATIO` times as
far from the forecast as the 80% band's, the ratio of a Gaussian: a short
history cannot estimate a 2.5% tail (its 2.5% and 10% percentiles are then
nearly the same returns), and crypto's heavier tails only ever widen it.
Steps with fewer than `MIN_CHANGES` observed changes (a short history) take
the last estimable step's percentiles scaled by ``sqrt(h)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from statistics import NormalDist
from typing import Any

import numpy as np

# Percentiles of the centred h-step relative change: lo80, hi80, lo95, hi95.
_BAND_QUANTILES = (0.10, 0.90, 0.025, 0.975)
# Fewest h-step changes a step's percentiles are estimated from: fewer give
# bands narrower than the spread they came from.
MIN_CHANGES = 8
TAIL_RATIO = NormalDist().inv_cdf(0.975) / NormalDist().inv_cdf(0.90)


class ModelError(RuntimeError):
    """A model could not be fitted on this series. Raised by `forecast`;
    the caller drops that model for that coin and cycle and keeps the others."""


@dataclass(frozen=True)
class Forecast:
    """``h``-step forecast of one model: arrays of length ``horizon``, index 0 is one step ahead."""

    model: str
    yhat: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray

    @property
    def horizon(self) -> int:
        """Number of steps forecast."""
        return len(self.yhat)


def naive_point(y: np.ndarray, horizon: int) -> np.ndarray:
    """The last value, ``horizon`` times."""
    return np.full(horizon, float(y[-1]))


def drift_point(y: np.ndarray, horizon: int) -> np.ndarray:
    """The last value plus ``h`` times the mean step change ``(y[-1] - y[0]) / (n - 1)``."""
    slope = (float(y[-1]) - float(y[0])) / (len(y) - 1) if len(y) > 1 else 0.0
    return float(y[-1]) + slope * np.arange(1, horizon + 1)


@cache
def _auto_ets() -> Any:
    # Imported on first use: the library import costs ~1 s, which the chart
    # command and naive-only runs need not pay.
    from statsforecast.models import AutoETS

    return AutoETS


def ets_point(y: np.ndarray, horizon: int) -> np.ndarray:
    """AutoETS(AZN) mean forecast. A constant series returns itself (nothing to fit).

    Raises ModelError when the library fails or returns non-finite values.
    """
    if np.ptp(y) == 0:
        return naive_point(y, horizon)
    try:
        with warnings.catch_warnings():
            # Optimiser warnings on near-flat series are expected; the result is checked below.
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = _auto_ets()(model="AZN").forecast(y=np.asarray(y, float), h=horizon)["mean"]
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
        raise ModelError(f"ets failed: {err}") from err
    mean = np.asarray(mean, float)
    if mean.shape != (horizon,) or not np.all(np.isfinite(mean)):
        raise ModelError("ets returned non-finite forecasts")
    return mean


POINT_FORECASTERS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "naive": naive_point,
    "drift": drift_point,
    "ets": ets_point,
}


def relative_changes(parts: Sequence[np.ndarray], h: int) -> np.ndarray:
    """The ``h``-step relative changes within each of ``parts``, concatenated."""
    changes = [p[h:] / p[:-h] - 1.0 for p in parts if len(p) > h]
    return np.concatenate(changes) if changes else np.empty(0)


def band_offsets(y: np.ndarray, horizon: int, earlier: Sequence[np.ndarray] = ()) -> np.ndarray:
    """Array (4, horizon): offsets to add to ``yhat`` for lo80, hi80, lo95, hi95.

    ``earlier`` are history segments before a gap (oldest first); their changes
    count as much as ``y``'s. Offsets are nested (``lo95 <= lo80 <= 0 <= hi80 <=
    hi95``, the 95% edges at least `TAIL_RATIO` times the 80% ones) and monotone
    in the step. Raises ValueError when fewer than `MIN_CHANGES` one-step
    changes exist.
    """
    parts = [np.asarray(p, float) for p in (*earlier, y)]
    rel = np.empty((4, horizon))
    known = 0
    for h in range(1, horizon + 1):
        changes = relative_changes(parts, h)
        if len(changes) < MIN_CHANGES:
            break
        rel[:, h - 1] = np.quantile(changes - changes.mean(), _BAND_QUANTILES)
        known = h
    if not known:
        points = sum(len(p) for p in parts)
        raise ValueError(f"{points} points are too few for intervals")
    if known < horizon:
        rel[:, known:] = rel[:, known - 1 : known] * np.sqrt(
            np.arange(known + 1, horizon + 1) / known
        )
    lo80 = np.minimum.accumulate(np.minimum(rel[0], 0.0))
    hi80 = np.maximum.accumulate(np.maximum(rel[1], 0.0))
    lo95 = np.minimum.accumulate(np.minimum(rel[2], TAIL_RATIO * lo80))
    hi95 = np.maximum.accumulate(np.maximum(rel[3], TAIL_RATIO * hi80))
    return np.vstack([lo80, hi80, lo95, hi95]) * float(parts[-1][-1])


def with_bands(model: str, yhat: np.ndarray, offsets: np.ndarray) -> Forecast:
    """A `Forecast` from a point forecast and `band_offsets` (nested and widening)."""
    lo80, hi80, lo95, hi95 = yhat + offsets
    return Forecast(model=model, yhat=yhat, lo80=lo80, hi80=hi80, lo95=lo95, hi95=hi95)


def forecast(
    model: str, y: np.ndarray, horizon: int, offsets: np.ndarray | None = None
) -> Forecast:
    """Forecast ``horizon`` steps of ``y`` (positive, finite, regular) with ``model``.

    ``offsets`` may be passed when already computed for ``y`` (they do not
    depend on the model). Raises KeyError for an unknown model, ValueError for
    a series too short for intervals (see `band_offsets`), ModelError when the
    library fails.
    """
    y = np.asarray(y, float)
    if offsets is None:
        offsets = band_offsets(y, horizon)
    return with_bands(model, POINT_FORECASTERS[model](y, horizon), offsets)
