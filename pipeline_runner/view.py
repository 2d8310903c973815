"""What the runner shows: a rich live table on a terminal, structured log lines otherwise.

`render` is pure (a Sample in, a rich renderable out); `LiveView` and
`LogView` only decide where it goes. Both have ``start``/``update``/``close``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from cryptoviz_core.prices import plain_price
from pipeline_runner.metrics import Figures, IngestLatency, Sample, age
from pipeline_runner.supervisor import ChildState

log = logging.getLogger(__name__)


class View(Protocol):
    """Where refreshes go. ``close`` is idempotent."""

    def start(self) -> None: ...

    def update(
        self, sample: Sample | None, figures: Figures | None, children: list[ChildState]
    ) -> None: ...

    def close(self) -> None: ...


def _num(value: float | None, fmt: str = ",.2f", none: str = "-") -> str:
    return none if value is None else format(value, fmt)


def _ingest(latency: IngestLatency | None) -> str:
    if latency is None:
        return "-"
    return f"{latency.average_s:.1f}s (max {latency.max_s:.1f}s, last min)"


def _cap(value: float | None) -> str:
    if value is None:
        return "-"
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if value >= size:
            return f"{value / size:.2f}{unit}"
    return f"{value:,.0f}"


def render(
    source_label: str,
    sample: Sample | None,
    figures: Figures | None,
    children: list[ChildState],
    elapsed_s: float,
    ia_interval_s: float,
    now: datetime,
) -> Group:
    """The whole screen for one refresh at ``now``. Pure.

    A forecast is shown with its age; one the coin's prices have outrun by more
    than one IA interval (`CoinRow.forecast_is_current`) is greyed out, its
    figures replaced by "stale".
    """
    banner_style = "bold black on yellow" if source_label.startswith("REPLAY") else "bold green"
    header = Text.assemble(
        (f" SOURCE: {source_label} ", banner_style),
        f"  up {elapsed_s:,.0f}s   ",
        *(
            (f"{c.name}:{c.pid or '-'}{'' if c.running else ' (down)'} r{c.restarts}  ", "")
            for c in children
        ),
    )
    if sample is None or figures is None:
        return Group(header, Text("waiting for the first reading of Kafka and Elasticsearch..."))
    stats = Text(
        f"scraped {sample.scraped:,} ({_num(figures.scraped_per_min, '.0f')}/min)   "
        f"indexed {sample.indexed:,} ({_num(figures.indexed_per_min, '.0f')}/min)   "
        f"dead-lettered {sample.dead_lettered:,} "
        f"({_num(figures.dead_lettered_per_min, '.0f')}/min)   lag {figures.lag:,}   "
        f"coins {sample.coins}   predictions this run {sample.predictions:,}   "
        f"freshness {_num(figures.freshness_s, '.0f')}s   "
        f"ingest latency {_ingest(sample.ingest)}"
    )
    table = Table(title="Top 10 by market cap (latest quote, latest forecast)", expand=False)
    columns = ("#", "coin", "price", "24h %", "market cap", "forecast", "80% band", "age")
    for col in columns:
        table.add_column(col, justify="left" if col == "coin" else "right")
    for i, coin in enumerate(sample.top, 1):
        change = coin.change_24h_pct
        change_text = Text(_num(change, "+.2f"), style="green" if (change or 0) >= 0 else "red")
        forecast, band, when = Text("-"), Text("-"), Text("-")
        if coin.issued_at is not None:
            # A forecast the prices have outrun is greyed out and its figures withheld.
            current = coin.forecast_is_current(ia_interval_s)
            style = "" if current else "dim"
            when = Text(age(now, coin.issued_at), style=style)
            if current:
                forecast = Text(plain_price(coin.yhat))
                band = Text(f"{plain_price(coin.lo80)} .. {plain_price(coin.hi80)}")
            else:
                forecast = Text("stale", style=style)
        table.add_row(
            str(i),
            f"{coin.symbol} ({coin.slug})",
            plain_price(coin.price),
            change_text,
            _cap(coin.market_cap),
            forecast,
            band,
            when,
        )
    return Group(header, stats, table)


class LiveView:
    """A rich Live display on the terminal, redrawn on every `update`."""

    def __init__(
        self, source_label: str, ia_interval_s: float, console: Console | None = None
    ) -> None:
        self.source_label = source_label
        self.ia_interval_s = ia_interval_s
        self.console = console or Console()
        self._live: Live | None = None
        self._started = datetime.now(UTC)

    def start(self) -> None:
        self._live = Live(
            render(self.source_label, None, None, [], 0.0, self.ia_interval_s, self._started),
            console=self.console,
            auto_refresh=False,
        )
        self._live.start()

    def update(
        self, sample: Sample | None, figures: Figures | None, children: list[ChildState]
    ) -> None:
        if self._live is not None:
            now = datetime.now(UTC)
            elapsed = (now - self._started).total_seconds()
            screen = render(
                self.source_label, sample, figures, children, elapsed, self.ia_interval_s, now
            )
            self._live.update(screen, refresh=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


class LogView:
    """Without a terminal: one structured log line per refresh."""

    def __init__(self, source_label: str) -> None:
        self.source_label = source_label

    def start(self) -> None:
        log.info("view started", extra={"source": self.source_label})

    def update(
        self, sample: Sample | None, figures: Figures | None, children: list[ChildState]
    ) -> None:
        pids = {c.name: c.pid for c in children}
        if sample is None or figures is None:
            log.info("pipeline", extra={"source": self.source_label, "pids": pids})
            return
        log.info(
            "pipeline",
            extra={
                "source": self.source_label,
                "scraped": sample.scraped,
                "indexed": sample.indexed,
                "lag": figures.lag,
                "dead_lettered": sample.dead_lettered,
                "coins": sample.coins,
                "predictions": sample.predictions,
                "scraped_per_min": figures.scraped_per_min,
                "indexed_per_min": figures.indexed_per_min,
                "dead_lettered_per_min": figures.dead_lettered_per_min,
                "freshness_s": figures.freshness_s,
                "top": [c.symbol for c in sample.top[:3]],
                "pids": pids,
            },
        )

    def close(self) -> None:
        return
