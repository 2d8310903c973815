"""The live table: no outdated forecast shown as current; how old the numbers are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console

from pipeline_runner.metrics import CoinRow, Figures, IngestLatency, Sample
from pipeline_runner.view import render

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def screen(*rows: CoinRow) -> str:
    sample = Sample(
        taken_at=0.0,
        scraped=10,
        dead_lettered=0,
        lag=0,
        indexed=10,
        coins=len(rows),
        predictions=36,
        last_scraped_at=NOW,
        top=rows,
    )
    console = Console(width=160, record=True)
    console.print(render("REPLAY", sample, Figures(1.0, 1.0, 0.0, 2.0, 0), [], 41.0, 15.0, NOW))
    return console.export_text()


def test_current_forecasts_show_with_their_age_and_old_ones_are_withheld() -> None:
    fresh = CoinRow(
        "bitcoin", "BTC", 2e12, 105313.62, 1.2, quoted_at=NOW, yhat=105300.0,
        lo80=104900.0, hi80=105700.0, issued_at=NOW - timedelta(seconds=20), step_s=10.0,
    )  # fmt: skip
    old = CoinRow(
        "ethereum", "ETH", 3e11, 2439.75, -0.5, quoted_at=NOW, yhat=2974.65,
        lo80=2952.84, hi80=2993.9, issued_at=NOW - timedelta(minutes=12), step_s=10.0,
    )  # fmt: skip
    text = screen(fresh, old)
    assert "predictions this run 36" in text
    btc = next(line for line in text.splitlines() if "bitcoin" in line)
    assert "105,300.00" in btc
    assert "104,900.00 .. 105,700.00" in btc
    assert "20s" in btc
    eth = next(line for line in text.splitlines() if "ethereum" in line)
    assert "stale" in eth
    assert "12m" in eth
    assert "2,974.65" not in eth
    assert "2,952.84" not in eth


def figures_line(ingest: IngestLatency | None) -> str:
    sample = Sample(0.0, 200, 0, 0, 200, 2, 0, NOW - timedelta(seconds=7), ingest=ingest)
    console = Console(width=200, record=True)
    console.print(render("REPLAY", sample, Figures(1.0, 1.0, 0.0, 7.0, 0), [], 12.0, 10.0, NOW))
    return console.export_text()


def test_view_shows_recent_ingest_latency() -> None:
    text = figures_line(IngestLatency(average_s=0.84, max_s=1.26))
    assert "freshness 7s" in text
    assert "ingest latency 0.8s (max 1.3s, last min)" in text


def test_view_shows_a_dash_before_any_quote_was_indexed_in_the_last_minute() -> None:
    assert "ingest latency -" in figures_line(None)
