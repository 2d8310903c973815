"""Regression guard on real data: the service's per-coin choice keeps calibrated intervals.

Uses the public Binance hourly closes shipped beside the repository in
../shared/data (provenance in its PROVENANCE.md); README and EVALUATION.md hold
the full six-coin table.
"""

from __future__ import annotations

from pathlib import Path

from ia_module.evaluate import BacktestConfig, backtest_csv

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "binance-spot-1h-2021-2023"


def test_btc_intervals_are_calibrated_and_naive_is_not_beaten_by_much() -> None:
    config = BacktestConfig(step="1h", horizon=12, train=288, origins=60)
    scores = backtest_csv(DATA / "BTCUSDT_1h.csv", config)
    chosen = scores["auto"]
    assert chosen.n == 60 * 12
    assert abs(chosen.coverage80 - 80) <= 5, chosen
    assert abs(chosen.coverage95 - 95) <= 5, chosen
    assert scores["naive"].mase == 1.0
    # Over 12 h ahead nothing beats a random walk by much; a big "win" would be a leak.
    assert chosen.mase > 0.9, chosen
