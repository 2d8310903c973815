"""One IA cycle: read quotes, forecast every coin, score matured predictions, write metrics, purge.

`forecast_series` is the pure per-coin step (selection + forecasts), shared by
the cycle and the benchmark; `cycle_docs` turns every coin's history into
prediction documents; `run_cycle` wires them to Elasticsearch.

A gap in a coin's quotes longer than ``ia_max_gap_steps`` splits its history
(`resample`). Right after such a gap the coin still gets a forecast: naive
needs only the last price, and its intervals come from the returns of the
history before the gap (plus the few points since). Drift and ETS need
``ia_min_points`` points of the current segment and wait for them. A coin with
too little history of its own for intervals (`models.MIN_CHANGES` returns: a
first start, a coin just listed) takes them from the returns of every coin's
current segment pooled, a market-wide prior, until it has its own. On a first
start no coin has two grid points yet: the pool is then every coin's quotes of
the last steps at their own times, re-timed to the grid step
(`resample.retimed`), so the first cycle that finds two quotes of the coins
forecasts them, and cycles run every ``IA_WARMUP_INTERVAL_S`` until it does. Each
document says which history it used: ``history_from`` and ``train_points``
for the point forecast, ``interval_from``, ``interval_points`` and
``interval_pooled`` for the bands, and ``last_price``, the price at
``issued_at`` the forecast starts from.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cryptoviz_core.schema import format_timestamp
from ia_module.backtest import Selection, select_model
from ia_module.history import CoinHistory, fetch_recent
from ia_module.models import Forecast, ModelError, band_offsets, forecast
from ia_module.resample import Grid, retimed, to_grid
from ia_module.scoring import score_predictions
from ia_module.settings import IASettings
from ia_module.store import ForecastStore, prediction_id

log = logging.getLogger(__name__)

# Bound on matured predictions scored per cycle; a backlog (after downtime) is
# worked off over the next cycles, oldest first.
MAX_SCORED_PER_CYCLE = 50_000


def selection_min_train(horizon: int, min_points: int) -> int:
    """Fewest training points a backtest origin may have: enough for the models to fit."""
    return max(horizon + 2, min_points - horizon)


def forecast_series(
    y: np.ndarray,
    models: Sequence[str],
    horizon: int,
    origins: int,
    min_points: int,
    earlier: Sequence[np.ndarray] = (),
) -> tuple[Selection, dict[str, Forecast]]:
    """Choose a model for ``y`` by rolling-origin backtest and forecast with every model.

    With fewer than ``min_points`` points (a coin just listed, or right after a
    gap) only naive is forecast. ``earlier`` are the history segments before a
    gap; they inform the intervals only. A model that fails (ModelError) is left
    out and logged; naive never fails. Raises ValueError when ``y`` and
    ``earlier`` together are too short for intervals (`band_offsets`).
    """
    offsets = band_offsets(y, horizon, earlier)
    if len(y) < min_points:
        return Selection("naive"), {"naive": forecast("naive", y, horizon, offsets)}
    selection = select_model(y, models, horizon, origins, selection_min_train(horizon, min_points))
    out: dict[str, Forecast] = {}
    for model in models:
        try:
            out[model] = forecast(model, y, horizon, offsets)
        except ModelError as err:
            log.warning("model failed", extra={"model": model, "error": str(err)})
    if selection.model not in out:
        selection = Selection("naive", selection.scores)
    return selection, out


def prediction_docs(
    slug: str,
    symbol: str,
    grid: Grid,
    step: pd.Timedelta,
    selection: Selection,
    forecasts: dict[str, Forecast],
    pooled: Sequence[Grid] = (),
) -> list[dict[str, Any]]:
    """`crypto-predictions` docs: one per model and horizon step, issued at the last grid label.

    ``pooled`` are the series whose returns made the bands when the coin's own were too few.
    """
    issued_at = grid.times[-1]
    interval_parts = pooled or (*grid.earlier, grid)
    history = {
        "step_seconds": int(step.total_seconds()),
        "last_price": float(grid.values[-1]),
        "train_points": len(grid),
        "history_from": format_timestamp(grid.times[0]),
        "interval_points": sum(len(part) for part in interval_parts),
        "interval_from": format_timestamp(min(part.times[0] for part in interval_parts)),
        "interval_pooled": bool(pooled),
    }
    docs = []
    for model, fc in forecasts.items():
        score = selection.scores.get(model)
        for i in range(fc.horizon):
            target = issued_at + (i + 1) * step
            docs.append(
                {
                    "prediction_id": prediction_id(slug, model, issued_at, target),
                    "slug": slug,
                    "symbol": symbol,
                    "model": model,
                    "selected": model == selection.model,
                    "backtest_mase": None
                    if score is None or not np.isfinite(score.mase)
                    else score.mase,
                    "issued_at": format_timestamp(issued_at),
                    "target_time": format_timestamp(target),
                    "horizon_step": i + 1,
                    **history,
                    "yhat": float(fc.yhat[i]),
                    "lo80": float(fc.lo80[i]),
                    "hi80": float(fc.hi80[i]),
                    "lo95": float(fc.lo95[i]),
                    "hi95": float(fc.hi95[i]),
                }
            )
    return docs


@dataclass(frozen=True)
class CycleDocs:
    """What one cycle computed from the quotes, before any write."""

    docs: list[dict[str, Any]]
    actuals: dict[str, dict[pd.Timestamp, float]]
    forecast: int
    skipped: int
    # Coins skipped for too little history so far (not those gone from the listing).
    waiting: int


def cycle_docs(
    settings: IASettings,
    histories: dict[str, CoinHistory],
    grid_end: pd.Timestamp,
    recent_quotes: dict[str, CoinHistory] | None = None,
) -> CycleDocs:
    """Prediction documents of every coin that can be forecast at ``grid_end``, and the
    observed prices scoring needs. Pure.

    ``recent_quotes`` (each coin's quotes at their own times, read when a cycle
    without them left coins waiting) join the pooled returns, re-timed to the
    grid step.
    """
    step = settings.grid_step
    docs: list[dict[str, Any]] = []
    actuals: dict[str, dict[pd.Timestamp, float]] = {}
    forecast_count = skipped = waiting = 0
    grids = {
        slug: to_grid(
            hist.times, hist.prices, step, end=grid_end, max_gap_steps=settings.max_gap_steps
        )
        for slug, hist in sorted(histories.items())
    }
    market = [g for g in grids.values() if len(g) > 1 and not g.stale]
    for quotes in (recent_quotes or {}).values():
        path = retimed(quotes.times, quotes.prices, step)
        if len(path) > 1:
            market.append(path)
    for slug, grid in grids.items():
        actuals[slug] = grid.observed_prices()
        if grid.stale:
            skipped += 1
            log.info(f"{slug}: skipped, no quote since {grid.last_time} (left the listing?)")
            continue
        pooled: list[Grid] = []
        try:
            selection, forecasts = forecast_series(
                grid.values,
                settings.models,
                settings.horizon,
                settings.backtest_origins,
                settings.min_points,
                grid.earlier_values,
            )
        except ValueError:
            pooled = market
            try:
                selection, forecasts = forecast_series(
                    grid.values,
                    ("naive",),
                    settings.horizon,
                    settings.backtest_origins,
                    settings.min_points,
                    [g.values for g in pooled],
                )
            except ValueError as err:
                skipped += 1
                waiting += 1
                log.info(f"{slug}: skipped, {err}")
                continue
        symbol = histories[slug].symbol
        docs.extend(prediction_docs(slug, symbol, grid, step, selection, forecasts, pooled))
        forecast_count += 1
    return CycleDocs(docs, actuals, forecast_count, skipped, waiting)


@dataclass(frozen=True)
class CycleSummary:
    """Counts of one cycle, logged as one line."""

    coins: int
    forecast: int
    skipped: int
    waiting: int
    predictions: int
    scored: int
    metrics: int
    purged: int
    seconds: float


def run_cycle(
    settings: IASettings, store: ForecastStore, now: pd.Timestamp | None = None
) -> CycleSummary:
    """Run one cycle at ``now`` (default: current UTC time). Idempotent for a given ``now``.

    Raises GaveUp when Elasticsearch keeps failing (StoreUnavailable when it
    rejects a document); nothing partial is corrupted because every write has
    a deterministic id.
    """
    started = time.perf_counter()
    step = settings.grid_step
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    grid_end = now.floor(step)
    since = grid_end - pd.Timedelta(hours=settings.history_hours)
    histories = fetch_recent(
        store.es,
        settings.quotes_index,
        since,
        grid_end,
        step,
        max_coins=settings.max_coins,
        backoff=store.backoff,
    )
    planned = cycle_docs(settings, histories, grid_end)
    if planned.waiting:
        # Coins wait only while all returns pooled are too few for bands (a first
        # start), so no coin has the history for a model fit: planning again is cheap.
        recent_quotes = fetch_recent(
            store.es,
            settings.quotes_index,
            grid_end - step,
            now,
            pd.Timedelta(seconds=1),
            max_coins=settings.max_coins,
            backoff=store.backoff,
        )
        planned = cycle_docs(settings, histories, grid_end, recent_quotes)
    written = store.write_predictions(planned.docs)

    matured = store.matured_unscored(since, grid_end, MAX_SCORED_PER_CYCLE)
    scored = score_predictions(matured, planned.actuals)
    store.mark_scored(scored, now)
    store.refresh()
    metrics = store.metric_sums(grid_end, settings.score_window_hours)
    store.write_metrics(metrics)
    purged = store.purge(now - pd.Timedelta(days=settings.retention_days))
    summary = CycleSummary(
        coins=len(histories),
        forecast=planned.forecast,
        skipped=planned.skipped,
        waiting=planned.waiting,
        predictions=written,
        scored=len(scored),
        metrics=len(metrics),
        purged=purged,
        seconds=round(time.perf_counter() - started, 3),
    )
    log.info("cycle done", extra={**summary.__dict__, "issued_at": format_timestamp(grid_end)})
    return summary
