"""The backtest command: evaluate every model on price CSVs and print one row per model. Pure
apart from reading the CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ia_module.backtest import AUTO, ErrorSums, ModelScore, evaluate_sums, rolling_origins
from ia_module.cycle import selection_min_train
from ia_module.resample import segments, to_grid
from ia_module.settings import IASettings

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
    select_origins: int = IASettings.model_fields["backtest_origins"].default
    min_points: int = IASettings.model_fields["min_points"].default
    max_gap_steps: int = IASettings.model_fields["max_gap_steps"].default

    @property
    def min_train(self) -> int:
        """Fewest points before an origin: what the service needs to choose a model."""
        return selection_min_train(self.horizon, self.min_points)


def segment_origins(lengths: Sequence[int], config: BacktestConfig) -> list[list[int]]:
    """Origins per segment (segments oldest first): the most recent ``config.origins`` of all
    the segments together, each with ``config.min_train`` points of its segment before it."""
    every = config.every or config.horizon
    per_segment = [
        rolling_origins(n, config.horizon, n // every + 1, config.min_train, every) for n in lengths
    ]
    keep = config.origins
    out: list[list[int]] = []
    for origins in reversed(per_segment):
        kept = origins[max(0, len(origins) - keep) :]
        out.insert(0, kept)
        keep -= len(kept)
    return out


def backtest_csv(path: Path, config: BacktestConfig) -> dict[str, ModelScore]:
    """Pooled scores per model (plus ``auto``: per-origin selection as run live) over
    every coin in the CSV and every contiguous segment of its history long enough
    for an origin (a gap longer than ``max_gap_steps`` splits it). Raises ValueError
    for a CSV without the needed columns."""
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
        parts = [part.values for part in segments(grid)]
        for k, origins in enumerate(segment_origins([len(p) for p in parts], config)):
            sums = evaluate_sums(
                parts[k],
                config.models,
                config.horizon,
                origins,
                train_window=config.train,
                auto_origins=config.select_origins,
                auto_min_train=config.min_train,
                earlier=parts[:k],
            )
            for model, s in sums.items():
                pooled.setdefault(model, ErrorSums()).merge(s)
    order = [*config.models, AUTO]
    return {m: pooled[m].score(m) for m in order if m in pooled}


def format_table(scores: dict[str, ModelScore]) -> str:
    """A markdown table, one row per model, and a last line naming the best model by MASE.

    The interval scores are relative to naive's (below 1: sharper or better-placed bands)."""
    lines = [
        "| model | n | MASE vs naive | sMAPE % | coverage 80 % | coverage 95 % "
        "| interval score 80 % vs naive | interval score 95 % vs naive |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores.values():
        lines.append(
            f"| {s.model} | {s.n} | {s.mase:.4f} | {s.smape:.3f} "
            f"| {s.coverage80:.1f} | {s.coverage95:.1f} | {s.is80:.4f} | {s.is95:.4f} |"
        )
    if not scores:
        return "no coin had enough history to backtest"
    best = min(scores.values(), key=lambda s: (s.mase, list(scores).index(s.model)))
    lines.append(f"best: {best.model} MASE {best.mase:.4f}")
    return "\n".join(lines)
