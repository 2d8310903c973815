"""Score matured predictions against actual prices and summarise them. Pure.

A prediction matures when its ``target_time`` has passed and the actual price
for that grid point was observed (a forward-filled point is not an actual, so a
prediction whose target fell in a gap, or whose coin left the listing, stays
unscored and ages out). Summaries per (slug, model, horizon_step) over a rolling
window give ``n``, ``mae``, ``mape`` (percent), ``mase`` (vs the naive
prediction issued at the same time for the same target, see
`backtest.relative_mae`) and ``coverage80``/``coverage95`` (percent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from cryptoviz_core.schema import format_timestamp
from ia_module.backtest import relative_mae


def _ts(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass(frozen=True)
class Scored:
    """One matured prediction with its errors; ``naive_abs_error`` is None without a naive twin."""

    doc_id: str
    slug: str
    model: str
    horizon_step: int
    target_time: pd.Timestamp
    actual: float
    abs_error: float
    ape: float
    naive_abs_error: float | None
    in80: bool
    in95: bool

    def update_fields(self) -> dict[str, Any]:
        """Fields written back onto the prediction document."""
        return {
            "actual": self.actual,
            "abs_error": self.abs_error,
            "ape": self.ape,
            "naive_abs_error": self.naive_abs_error,
            "in80": self.in80,
            "in95": self.in95,
        }


def score_predictions(
    predictions: Iterable[Mapping[str, Any]],
    actuals: Mapping[str, Mapping[pd.Timestamp, float]],
) -> list[Scored]:
    """Score every prediction whose target has an actual in ``actuals[slug]``.

    ``predictions`` are prediction documents plus their ``_id`` (key ``"_id"``).
    Predictions without an actual are left out. Never raises on missing data.
    """
    preds = list(predictions)
    naive = {
        (p["slug"], _ts(p["issued_at"]), _ts(p["target_time"])): float(p["yhat"])
        for p in preds
        if p["model"] == "naive"
    }
    out = []
    for p in preds:
        target = _ts(p["target_time"])
        actual = actuals.get(p["slug"], {}).get(target)
        if actual is None:
            continue
        yhat = float(p["yhat"])
        twin = naive.get((p["slug"], _ts(p["issued_at"]), target))
        out.append(
            Scored(
                doc_id=p["_id"],
                slug=p["slug"],
                model=p["model"],
                horizon_step=int(p["horizon_step"]),
                target_time=target,
                actual=actual,
                abs_error=abs(actual - yhat),
                ape=100.0 * abs(actual - yhat) / actual,
                naive_abs_error=None if twin is None else abs(actual - twin),
                in80=float(p["lo80"]) <= actual <= float(p["hi80"]),
                in95=float(p["lo95"]) <= actual <= float(p["hi95"]),
            )
        )
    return out


@dataclass(frozen=True)
class Metrics:
    """Rolling-window accuracy of one (slug, model, horizon_step), ending at ``window_end``."""

    slug: str
    model: str
    horizon_step: int
    window_end: pd.Timestamp
    window_hours: float
    n: int
    mae: float
    mape: float
    mase: float | None
    coverage80: float
    coverage95: float

    @property
    def doc_id(self) -> str:
        """Deterministic id: rewriting the same window overwrites, never duplicates."""
        return f"{self.slug}|{self.model}|{self.horizon_step}|{format_timestamp(self.window_end)}"

    def to_doc(self) -> dict[str, Any]:
        """The `crypto-forecast-metrics` document (``mase`` None when it is undefined)."""
        doc = asdict(self)
        doc["window_end"] = format_timestamp(self.window_end)
        return doc


def metrics_from_sums(
    key: tuple[str, str, int],
    window_end: pd.Timestamp,
    window_hours: float,
    *,
    n: int,
    abs_error: float,
    ape: float,
    naive_abs_error: float,
    naive_n: int,
    in80: int,
    in95: int,
) -> Metrics:
    """Build `Metrics` from sums; ``mase`` is None unless every point has a naive twin.

    Shared by `summarize` and the Elasticsearch aggregation in `store`, so both
    compute the same numbers.
    """
    slug, model, step = key
    mase = relative_mae(abs_error, naive_abs_error) if naive_n == n and n else None
    if mase is not None and mase == float("inf"):
        mase = None  # JSON has no infinity; undefined ratio is absent, not huge.
    return Metrics(
        slug=slug,
        model=model,
        horizon_step=step,
        window_end=window_end,
        window_hours=window_hours,
        n=n,
        mae=abs_error / n,
        mape=ape / n,
        mase=mase,
        coverage80=100.0 * in80 / n,
        coverage95=100.0 * in95 / n,
    )


def summarize(
    scored: Iterable[Scored], window_end: pd.Timestamp, window_hours: float
) -> list[Metrics]:
    """Metrics per (slug, model, horizon_step) over the scored predictions whose target
    lies in ``(window_end - window_hours, window_end]``; sorted by key."""
    start = window_end - pd.Timedelta(hours=window_hours)
    groups: dict[tuple[str, str, int], list[Scored]] = defaultdict(list)
    for s in scored:
        if start < s.target_time <= window_end:
            groups[(s.slug, s.model, s.horizon_step)].append(s)
    out = []
    for key in sorted(groups):
        rows = groups[key]
        twins = [r.naive_abs_error for r in rows if r.naive_abs_error is not None]
        out.append(
            metrics_from_sums(
                key,
                window_end,
                window_hours,
                n=len(rows),
                abs_error=sum(r.abs_error for r in rows),
                ape=sum(r.ape for r in rows),
                naive_abs_error=sum(twins),
                naive_n=len(twins),
                in80=sum(r.in80 for r in rows),
                in95=sum(r.in95 for r in rows),
            )
        )
    return out
