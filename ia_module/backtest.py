"""Rolling-origin backtest and per-coin model selection. Pure.

At each origin ``o`` the models are fitted on ``y[:o]`` (or its last
``train_window`` points) and forecast ``y[o:o+horizon]``. Errors are pooled
over all origins and steps.

Metrics (all pooled over the same points for every model):

- ``mase``: "MASE vs naive", the model's MAE divided by the MAE of the naive
  (last value) forecast from the same origins on the same targets. Naive is 1
  by construction; below 1 beats naive. When naive is exact everywhere (a flat
  series) a model that is also exact scores 1 and any other scores ``inf``.
- ``smape``: mean of ``200 * |y - yhat| / (|y| + |yhat|)``, in percent.
- ``coverage80`` / ``coverage95``: percent of actuals inside the band.
- ``is80`` / ``is95``: the interval score of the 80% / 95% band (Gneiting and
  Raftery 2007: width, plus ``2/alpha`` times the distance by which the actual
  falls outside) divided by naive's on the same points. Below 1 means sharper
  or better-placed bands than naive's, so calibration cannot be bought with
  wide bands unnoticed.

Selection (`select_model`): naive is the default, and another model replaces
it for a coin only on evidence from the coin's own recent history: at least
`SELECT_MIN_ORIGINS` backtest origins, a pooled MASE at most ``1 -
SELECT_MARGIN``, and a one-sided t-test on the per-origin differences of mean
absolute error (a Diebold-Mariano test with non-overlapping windows) below
`SELECT_ALPHA`. On near-random-walk prices no model passes, so the choice
cannot do worse than naive beyond noise; on a series with a real trend the
trend models pass at once.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import ttest_1samp

from ia_module.models import POINT_FORECASTERS, ModelError, band_offsets, with_bands

AUTO = "auto"  # pseudo-model: the per-origin selection, evaluated like a model

# The evidence a model needs to replace naive for a coin (see the module docstring).
SELECT_MIN_ORIGINS = 5
SELECT_MARGIN = 0.10
SELECT_ALPHA = 0.001
# Nominal miss rates of the two bands, for the interval score.
ALPHA80, ALPHA95 = 0.20, 0.05


@dataclass(frozen=True)
class ModelScore:
    """Pooled backtest errors of one model. ``n`` is the number of forecast points scored."""

    model: str
    n: int
    mae: float
    mase: float
    smape: float
    coverage80: float
    coverage95: float
    is80: float = math.nan
    is95: float = math.nan


@dataclass(frozen=True)
class Selection:
    """The model chosen for one coin and the scores behind it (empty when no origin fitted)."""

    model: str
    scores: dict[str, ModelScore] = field(default_factory=dict)


def interval_score(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray, alpha: float) -> float:
    """Sum over points of the Gneiting-Raftery interval score of ``[lo, hi]`` at level
    ``1 - alpha``."""
    below = np.maximum(lo - actual, 0.0)
    above = np.maximum(actual - hi, 0.0)
    return float(((hi - lo) + 2.0 / alpha * (below + above)).sum())


def relative_mae(abs_error_sum: float, naive_abs_error_sum: float) -> float:
    """MASE vs naive from error sums over the same points (see module docstring)."""
    if naive_abs_error_sum > 0:
        return abs_error_sum / naive_abs_error_sum
    return 1.0 if abs_error_sum == 0 else math.inf


class ErrorSums:
    """Running error sums of one model; `merge` pools coins, `score` makes a ModelScore."""

    FIELDS = ("n", "abs_err", "naive_abs_err", "smape", "in80", "in95")
    INTERVAL_FIELDS = ("is80", "is95", "naive_is80", "naive_is95")

    def __init__(self) -> None:
        self.n = 0
        self.abs_err = 0.0
        self.naive_abs_err = 0.0
        self.smape = 0.0
        self.in80 = 0
        self.in95 = 0
        self.is80 = self.is95 = self.naive_is80 = self.naive_is95 = 0.0

    def add(
        self,
        actual: np.ndarray,
        naive: np.ndarray,
        fc_yhat: np.ndarray,
        bands: tuple[np.ndarray, ...] | None,
        naive_bands: tuple[np.ndarray, ...] | None = None,
    ) -> None:
        err = np.abs(actual - fc_yhat)
        self.n += len(actual)
        self.abs_err += float(err.sum())
        self.naive_abs_err += float(np.abs(actual - naive).sum())
        denom = np.abs(actual) + np.abs(fc_yhat)
        self.smape += float(
            np.where(denom > 0, 200.0 * err / np.where(denom > 0, denom, 1), 0).sum()
        )
        if bands is not None and naive_bands is not None:
            lo80, hi80, lo95, hi95 = bands
            self.in80 += int(((actual >= lo80) & (actual <= hi80)).sum())
            self.in95 += int(((actual >= lo95) & (actual <= hi95)).sum())
            self.is80 += interval_score(actual, lo80, hi80, ALPHA80)
            self.is95 += interval_score(actual, lo95, hi95, ALPHA95)
            n_lo80, n_hi80, n_lo95, n_hi95 = naive_bands
            self.naive_is80 += interval_score(actual, n_lo80, n_hi80, ALPHA80)
            self.naive_is95 += interval_score(actual, n_lo95, n_hi95, ALPHA95)

    def merge(self, other: ErrorSums) -> None:
        """Add ``other``'s sums to these (pooling coins)."""
        for name in (*self.FIELDS, *self.INTERVAL_FIELDS):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def score(self, model: str) -> ModelScore:
        n = max(self.n, 1)
        return ModelScore(
            model=model,
            n=self.n,
            mae=self.abs_err / n,
            mase=relative_mae(self.abs_err, self.naive_abs_err),
            smape=self.smape / n,
            coverage80=100.0 * self.in80 / n,
            coverage95=100.0 * self.in95 / n,
            is80=self.is80 / self.naive_is80 if self.naive_is80 > 0 else math.nan,
            is95=self.is95 / self.naive_is95 if self.naive_is95 > 0 else math.nan,
        )


def rolling_origins(
    n: int, horizon: int, count: int, min_train: int, every: int | None = None
) -> list[int]:
    """Up to ``count`` origins, ascending, the last at ``n - horizon``, spaced ``every``
    (default ``horizon``: test windows do not overlap), each with ``>= min_train`` points
    before it."""
    every = every or horizon
    last = n - horizon
    return sorted(o for o in (last - k * every for k in range(count)) if o >= min_train)


def evaluate(
    y: np.ndarray,
    models: Sequence[str],
    horizon: int,
    origins: Sequence[int],
    **options: Any,
) -> dict[str, ModelScore]:
    """Backtest scores keyed by model name; see `evaluate_sums` for the options."""
    return {m: s.score(m) for m, s in evaluate_sums(y, models, horizon, origins, **options).items()}


def evaluate_sums(
    y: np.ndarray,
    models: Sequence[str],
    horizon: int,
    origins: Sequence[int],
    *,
    train_window: int | None = None,
    intervals: bool = True,
    auto_origins: int = 0,
    auto_min_train: int = 0,
    earlier: Sequence[np.ndarray] = (),
) -> dict[str, ErrorSums]:
    """Backtest ``models`` on ``y`` at ``origins``; error sums keyed by model name.

    A model that raises ModelError at an origin is skipped there and, so that
    its MASE stays comparable, naive errors are counted only where it did fit.
    With ``auto_origins > 0`` an extra ``"auto"`` row evaluates `select_model`
    run at each origin on the training data alone (what the service does live).
    ``intervals=False`` skips band computation (coverage then reads 0).
    ``earlier`` are ``y``'s history segments before a gap, oldest first: when
    an origin's training window is shorter than ``train_window``, the rest of
    it comes from them for the intervals (as live; models fit on ``y`` alone).
    """
    y = np.asarray(y, float)
    sums = {m: ErrorSums() for m in models}
    if auto_origins:
        sums[AUTO] = ErrorSums()
    for origin in origins:
        train = y[max(0, origin - train_window) : origin] if train_window else y[:origin]
        actual = y[origin : origin + horizon]
        if len(actual) < horizon:
            continue
        offsets = None
        if intervals:
            before = history_tail(earlier, (train_window or len(y)) - len(train))
            offsets = band_offsets(train, horizon, before)
        naive = np.full(horizon, train[-1])
        naive_bands = _bands("naive", naive, offsets)
        points: dict[str, np.ndarray] = {}
        for model in models:
            try:
                points[model] = POINT_FORECASTERS[model](train, horizon)
            except ModelError:
                continue
            bands = _bands(model, points[model], offsets)
            sums[model].add(actual, naive, points[model], bands, naive_bands)
        if auto_origins:
            chosen = select_model(train, models, horizon, auto_origins, auto_min_train).model
            if chosen in points:
                sums[AUTO].add(
                    actual,
                    naive,
                    points[chosen],
                    _bands(chosen, points[chosen], offsets),
                    naive_bands,
                )
    return {m: s for m, s in sums.items() if s.n}


def history_tail(parts: Sequence[np.ndarray], points: int) -> list[np.ndarray]:
    """The last ``points`` values of ``parts`` (segments, oldest first), still split by segment."""
    out: list[np.ndarray] = []
    for part in reversed(parts):
        if points <= 0:
            break
        out.insert(0, part[-points:])
        points -= len(out[0])
    return out


def _bands(
    model: str, yhat: np.ndarray, offsets: np.ndarray | None
) -> tuple[np.ndarray, ...] | None:
    if offsets is None:
        return None
    fc = with_bands(model, yhat, offsets)
    return fc.lo80, fc.hi80, fc.lo95, fc.hi95


def has_evidence(per_origin: Sequence[ErrorSums], pooled: ModelScore) -> bool:
    """True when a model's backtest shows it beats naive beyond noise (module docstring)."""
    if len(per_origin) < SELECT_MIN_ORIGINS or pooled.mase > 1.0 - SELECT_MARGIN:
        return False
    diffs = np.array([(s.abs_err - s.naive_abs_err) / s.n for s in per_origin])
    with warnings.catch_warnings():
        # Identical differences (an exact model) make the variance estimate cancel out.
        warnings.simplefilter("ignore", RuntimeWarning)
        pvalue = float(ttest_1samp(diffs, 0.0, alternative="less").pvalue)
    return pvalue < SELECT_ALPHA


def select_model(
    y: np.ndarray, models: Sequence[str], horizon: int, origins: int, min_train: int
) -> Selection:
    """Naive, unless a model shows evidence of beating it on ``y``'s last ``origins`` windows.

    Among the models with evidence (`has_evidence`) the lowest MASE wins; ties
    go to the model listed first (list the simplest first: naive, drift, ets).
    With no usable origin (series too short) the choice is ``naive``.
    """
    models = ["naive", *(m for m in models if m != "naive")]
    points = rolling_origins(len(y), horizon, origins, min_train)
    if not points:
        return Selection("naive")
    per_origin: dict[str, list[ErrorSums]] = {m: [] for m in models}
    for origin in points:
        for model, sums in evaluate_sums(y, models, horizon, [origin], intervals=False).items():
            per_origin[model].append(sums)
    scores = {}
    for model, parts in per_origin.items():
        if parts:
            pooled = ErrorSums()
            for part in parts:
                pooled.merge(part)
            scores[model] = pooled.score(model)
    # naive never fails, so it is always scored and is the default.
    best = "naive"
    for model in models[1:]:
        if (
            model in scores
            and scores[model].mase < scores[best].mase
            and has_evidence(per_origin[model], scores[model])
        ):
            best = model
    return Selection(best, scores)
