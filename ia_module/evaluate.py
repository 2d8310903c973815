"""The backtest command: evaluate every model on price CSVs and print one row per model. Pure
apart from reading the CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ia_module.backtest import AUTO, ErrorSums, ModelScore, evaluate_sums, rolling_origins
from ia_module.cycle import selection_min_train
from ia_module.resample import to_grid

TIME_COLUMNS = ("timestamp", "date")
ID_COLUMNS = ("slug", "symbol", "ticker")
PRICE_COLUMNS = ("price", "close")


def _pick(columns: Sequence[str], choices: Sequence[str], what: str) -> str:
    for name in choices:
        if name in columns:
            return name
    raise ValueError(f"no {what} column: expected one of {', '.join(choices)}")


@dataclass(frozen=True)
class BacktestConfig:
    """What the backtest command evaluates; ``train`` and ``every`` are in grid points."""

    step: str = "5min"
    horizon: int = 12
    train: int = 288
    origins: int = 200
    every: int | None = None
    models: tuple[str, ...] = ("naive", "drift", "ets")
    select_origins: int = 3
    min_points: int = 24
    max_gap_steps: int = 3


def backtest_csv(path: Path, config: BacktestConfig) -> dict[str, ModelScore]:
    """Pooled scores per model (plus ``auto``: per-origin selection as run live) over
    every coin in the CSV. Raises ValueError for a CSV without the needed columns."""
    frame = pd.read_csv(path)
    time_col = _pick(frame.columns, TIME_COLUMNS, "time")
    id_col = _pick(frame.columns, ID_COLUMNS, "coin")
    price_col = _pick(frame.columns, PRICE_COLUMNS, "price")
    pooled: dict[str, ErrorSums] = {}
    for _, rows in frame.groupby(id_col, sort=True):
        grid = to_grid(
            rows[time_col].to_numpy(),
            rows[price_col].to_numpy(),
            config.step,
            max_gap_steps=config.max_gap_steps,
        )
        origins = rolling_origins(
            len(grid), config.horizon, config.origins, config.train, config.every
        )
        sums = evaluate_sums(
            grid.values,
            config.models,
            config.horizon,
            origins,
            train_window=config.train,
            auto_origins=config.select_origins,
            auto_min_train=selection_min_train(config.horizon, config.min_points),
        )
        for model, s in sums.items():
            pooled.setdefault(model, ErrorSums()).merge(s)
    order = [*config.models, AUTO]
    return {m: pooled[m].score(m) for m in order if m in pooled}


def format_table(scores: dict[str, ModelScore]) -> str:
    """A markdown table, one row per model, and a last line naming the best model by MASE."""
    lines = [
        "| model | n | MASE vs naive | sMAPE % | coverage 80 % | coverage 95 % |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in scores.values():
        lines.append(
            f"| {s.model} | {s.n} | {s.mase:.4f} | {s.smape:.3f} "
            f"| {s.coverage80:.1f} | {s.coverage95:.1f} |"
        )
    if not scores:
        return "no coin had enough history to backtest"
    best = min(scores.values(), key=lambda s: (s.mase, list(scores).index(s.model)))
    lines.append(f"best: {best.model} MASE {best.mase:.4f}")
    return "\n".join(lines)
