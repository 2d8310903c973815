"""The chart command: a coin's recent price with the latest forecast and its 80/95% bands."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: containers and CI have no display

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd

from ia_module.errors import NoData
from ia_module.history import fetch_recent
from ia_module.resample import to_grid
from ia_module.settings import IASettings
from ia_module.store import ForecastStore

DPI = 100


def latest_forecast(store: ForecastStore, slug: str) -> pd.DataFrame:
    """The selected model's predictions from the latest issue for ``slug`` (may be empty)."""
    resp = store.es.search(
        index=store.predictions_index,
        query={"bool": {"filter": [{"term": {"slug": slug}}, {"term": {"selected": True}}]}},
        sort=[{"issued_at": "desc"}, {"horizon_step": "asc"}],
        size=288,
        ignore_unavailable=True,
    )
    rows = [h["_source"] for h in resp["hits"]["hits"]]
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    frame = frame[frame["issued_at"] == rows[0]["issued_at"]].copy()
    frame["target_time"] = pd.to_datetime(frame["target_time"], utc=True)
    return frame.sort_values("target_time")


def draw(
    settings: IASettings, store: ForecastStore, slug: str, out: Path, width: int, height: int
) -> Path:
    """Write the chart of ``slug`` to ``out`` (PNG). Raises NoData when the coin has no quotes."""
    now = pd.Timestamp.now(tz="UTC").floor(settings.grid_step)
    since = now - pd.Timedelta(hours=settings.history_hours)
    hist = fetch_recent(
        store.es,
        settings.quotes_index,
        since,
        now,
        settings.grid_step,
        max_coins=1,
        backoff=store.backoff,
        slugs=[slug],
    ).get(slug)
    if hist is None or not hist.prices:
        raise NoData(f"{slug}: no quotes in the last {settings.history_hours:g} h")
    grid = to_grid(
        hist.times, hist.prices, settings.grid_step, max_gap_steps=settings.max_gap_steps
    )
    fc = latest_forecast(store, slug)
    fig, ax = plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI)
    ax.plot(grid.times, grid.values, color="tab:blue", label=f"{hist.symbol} price")
    if not fc.empty:
        model = fc["model"].iloc[0]
        for level, alpha in ((95, 0.2), (80, 0.4)):
            ax.fill_between(
                fc["target_time"],
                fc[f"lo{level}"],
                fc[f"hi{level}"],
                color="tab:orange",
                alpha=alpha,
                label=f"{level}% interval",
            )
        ax.plot(fc["target_time"], fc["yhat"], color="tab:orange", label=f"forecast ({model})")
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("price (USD)")
    ax.set_title(f"{slug}: price and forecast")
    ax.xaxis.set_major_formatter(
        mdates.DateFormatter("%m-%d %H:%M", tz="UTC")  # type: ignore[no-untyped-call]
    )
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.savefig(out)
    plt.close(fig)
    return out
