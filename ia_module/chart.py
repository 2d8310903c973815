"""The chart command: a coin's price with the latest forecast and its 80/95% bands.

It draws what the service did: prices on the grid the forecast was made on
(its ``step_seconds``), through the price the forecast started from at its
``issued_at``, and the forecast and bands as a fan opening from that point.
Prices that arrived after the forecast continue the price line, so the chart
also shows how the forecast fared.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: containers and CI have no display

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter

from cryptoviz_core.prices import plain_price
from ia_module.exceptions import NoData
from ia_module.history import fetch_recent
from ia_module.resample import to_grid
from ia_module.settings import IASettings
from ia_module.store import ForecastStore

DPI = 100
# Price history drawn before the forecast's issue, in forecast horizons.
HORIZONS_BEFORE = 6


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


def price_line(grid_times: pd.DatetimeIndex, values: list[float], fc: pd.DataFrame) -> pd.Series:
    """The price to draw: the grid, with the price the forecast started from at its issue
    time (the step may have closed higher or lower after the forecast was made)."""
    prices = pd.Series(values, index=grid_times, dtype=float)
    if fc.empty or "last_price" not in fc:
        return prices
    issued = pd.Timestamp(fc["issued_at"].iloc[0])
    prices[issued] = float(fc["last_price"].iloc[0])
    return prices.sort_index()


def fan(fc: pd.DataFrame, column: str, start: tuple[pd.Timestamp, float]) -> pd.Series:
    """``column`` of the forecast, preceded by the point it starts from."""
    series = pd.Series(fc[column].to_numpy(float), index=pd.DatetimeIndex(fc["target_time"]))
    return pd.concat([pd.Series([start[1]], index=[start[0]]), series])


def draw(
    settings: IASettings, store: ForecastStore, slug: str, out: Path, width: int, height: int
) -> Path:
    """Write the chart of ``slug`` to ``out`` (PNG). Raises NoData when the coin has no quotes."""
    fc = latest_forecast(store, slug)
    step = settings.grid_step
    since_limit = pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=settings.history_hours)
    since = since_limit
    if not fc.empty:
        step = pd.Timedelta(seconds=int(fc["step_seconds"].iloc[0]))
        issued = pd.Timestamp(fc["issued_at"].iloc[0])
        since = max(since_limit, issued - HORIZONS_BEFORE * len(fc) * step)
    now = pd.Timestamp.now(tz="UTC").floor(step)
    hist = fetch_recent(
        store.es,
        settings.quotes_index,
        since.floor(step),
        now,
        step,
        max_coins=1,
        backoff=store.backoff,
        slugs=[slug],
    ).get(slug)
    if hist is None or not hist.prices:
        raise NoData(f"{slug}: no quotes in the last {settings.history_hours:g} h")
    grid = to_grid(hist.times, hist.prices, step, max_gap_steps=settings.max_gap_steps)
    prices = price_line(grid.times, list(grid.values), fc)
    fig, ax = plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI)
    ax.plot(prices.index, prices.to_numpy(), color="tab:blue", label=f"{hist.symbol} price")
    if not fc.empty:
        model = fc["model"].iloc[0]
        issued = pd.Timestamp(fc["issued_at"].iloc[0])
        start = (issued, float(prices[issued]))
        for level, alpha in ((95, 0.2), (80, 0.4)):
            lo, hi = fan(fc, f"lo{level}", start), fan(fc, f"hi{level}", start)
            ax.fill_between(
                lo.index,
                lo.to_numpy(),
                hi.to_numpy(),
                color="tab:orange",
                alpha=alpha,
                label=f"{level}% interval",
            )
        yhat = fan(fc, "yhat", start)
        ax.plot(yhat.index, yhat.to_numpy(), color="tab:orange", label=f"forecast ({model})")
        ax.axvline(issued, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel(f"time (UTC), {step.total_seconds():g} s grid")
    ax.set_ylabel("price (USD)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: plain_price(value)))
    ax.set_title(f"{slug}: price and forecast")
    ax.xaxis.set_major_formatter(
        mdates.DateFormatter("%m-%d %H:%M:%S", tz="UTC")  # type: ignore[no-untyped-call]
    )
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.savefig(out)
    plt.close(fig)
    return out
