"""The backtest command on CSVs whose right answer is known, and settings validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from ia_module.__main__ import main
from ia_module.evaluate import BacktestConfig, backtest_csv
from ia_module.settings import IASettings


def write_csv(path: Path, prices: np.ndarray, columns: tuple[str, str, str]) -> Path:
    times = pd.date_range("2023-01-01", periods=len(prices), freq="1h")
    pd.DataFrame({columns[0]: times, columns[1]: "TREND", columns[2]: prices}).to_csv(
        path, index=False
    )
    return path


def test_backtest_prints_one_row_per_model_and_the_best(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = write_csv(
        tmp_path / "trend.csv", 100 + 0.5 * np.arange(400.0), ("date", "ticker", "close")
    )
    code = main(
        [
            "backtest",
            "--csv",
            str(csv),
            "--step",
            "1h",
            "--horizon",
            "12",
            "--origins",
            "5",
            "--models",
            "naive",
            "drift",
        ]
    )
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    rows = [line for line in out if line.startswith("| ") and not line.startswith("| model")]
    assert [r.split("|")[1].strip() for r in rows] == ["naive", "drift", "auto"]
    assert out[-1] == "best: drift MASE 0.0000"


def test_backtest_accepts_timestamp_slug_price_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = write_csv(tmp_path / "flat.csv", np.full(400, 2.0), ("timestamp", "slug", "price"))
    assert (
        main(["backtest", "--csv", str(csv), "--step", "1h", "--origins", "3", "--models", "naive"])
        == 0
    )
    assert capsys.readouterr().out.strip().splitlines()[-1] == "best: naive MASE 1.0000"


def test_backtest_rejects_a_csv_without_price(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("date,ticker,volume\n2023-01-01,X,1\n")
    assert main(["backtest", "--csv", str(csv)]) == 2
    assert "no price column" in capsys.readouterr().err


def test_settings_always_include_naive_and_reject_bad_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IA_MODELS", '["ets"]')
    monkeypatch.setenv("IA_STEP", "1h")
    settings = IASettings()
    assert settings.models == ("naive", "ets")
    assert settings.grid_step == pd.Timedelta(hours=1)
    with pytest.raises(ValidationError):
        IASettings(models=("prophet",))
    with pytest.raises(ValidationError):
        IASettings(step="often")
    with pytest.raises(ValidationError):
        IASettings(min_points=10, horizon=12)


def test_backtest_uses_every_segment_around_a_gap_two_days_before_the_end(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(8)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, 400)))
    csv = write_csv(tmp_path / "gap.csv", prices, ("date", "ticker", "close"))
    frame = pd.read_csv(csv)
    # A 6-hour hole leaving 48 hourly points after it: 346 points, gap, 48 points.
    frame.drop(index=range(346, 352)).to_csv(csv, index=False)
    config = BacktestConfig(step="1h", horizon=12, train=288, origins=1000)
    scores = backtest_csv(csv, config)
    # Origins every 12 h with >= 14 points of their segment before them:
    # 27 in the first segment (22..334), 2 in the last (24, 36).
    assert scores["naive"].n == (27 + 2) * 12
    assert scores["auto"].n == scores["naive"].n
    # The most recent origins come from the 48 points after the gap.
    recent = backtest_csv(csv, BacktestConfig(step="1h", horizon=12, train=288, origins=2))
    assert recent["naive"].n == 2 * 12
