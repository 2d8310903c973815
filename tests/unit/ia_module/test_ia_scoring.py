"""Scoring matured predictions and summarising them over a window."""

from __future__ import annotations

import pandas as pd
import pytest

from ia_module.scoring import score_predictions, summarize

ISSUED = pd.Timestamp("2026-11-28 00:00", tz="UTC")
STEP = pd.Timedelta(minutes=5)


def pred(
    model: str, step: int, yhat: float, width: float = 1.0, issued: pd.Timestamp = ISSUED
) -> dict:
    target = issued + step * STEP
    return {
        "_id": f"btc|{model}|{issued}|{target}",
        "slug": "btc",
        "model": model,
        "issued_at": issued.isoformat().replace("+00:00", "Z"),
        "target_time": target.isoformat().replace("+00:00", "Z"),
        "horizon_step": step,
        "yhat": yhat,
        "lo80": yhat - width,
        "hi80": yhat + width,
        "lo95": yhat - 2 * width,
        "hi95": yhat + 2 * width,
    }


def test_scores_against_the_actual_and_the_naive_twin() -> None:
    actuals = {"btc": {ISSUED + STEP: 100.0}}
    scored = score_predictions([pred("naive", 1, 98.0), pred("drift", 1, 101.0)], actuals)
    by_model = {s.model: s for s in scored}
    assert by_model["drift"].abs_error == 1.0
    assert by_model["drift"].ape == pytest.approx(1.0)
    assert by_model["drift"].naive_abs_error == 2.0
    assert by_model["drift"].in80
    assert by_model["drift"].in95
    assert not by_model["naive"].in80
    assert by_model["naive"].in95


def test_prediction_without_an_actual_is_not_scored() -> None:
    # Target in a gap, or the coin left the listing: nothing to compare with.
    assert score_predictions([pred("naive", 2, 1.0)], {"btc": {ISSUED + STEP: 1.0}}) == []
    assert score_predictions([pred("naive", 1, 1.0)], {}) == []


def test_summary_mase_and_coverage_over_the_window() -> None:
    preds = []
    actuals = {}
    for k in range(4):
        issued = ISSUED + k * STEP
        actuals[issued + STEP] = 100.0 + k
        preds += [
            pred("naive", 1, 100.0, issued=issued),
            pred("drift", 1, 100.0 + k, 0.5, issued=issued),
        ]
    scored = score_predictions(preds, {"btc": actuals})
    end = ISSUED + 4 * STEP
    metrics = {m.model: m for m in summarize(scored, end, window_hours=1.0)}
    assert metrics["drift"].n == 4
    assert metrics["drift"].mae == 0.0
    assert metrics["drift"].mase == 0.0
    assert metrics["drift"].coverage80 == 100.0
    assert metrics["naive"].mae == pytest.approx(1.5)  # errors 0, 1, 2, 3
    assert metrics["naive"].mase == 1.0
    assert metrics["naive"].coverage80 == 50.0  # within +/-1 for errors 0 and 1
    assert metrics["naive"].doc_id == "btc|naive|1|2026-11-28T00:20:00.000Z"


def test_summary_excludes_targets_outside_the_window() -> None:
    scored = score_predictions([pred("naive", 1, 1.0)], {"btc": {ISSUED + STEP: 1.0}})
    assert summarize(scored, ISSUED + 30 * STEP, window_hours=1.0) == []


def test_mase_is_absent_without_naive_twins() -> None:
    scored = score_predictions([pred("drift", 1, 1.0)], {"btc": {ISSUED + STEP: 2.0}})
    (metrics,) = summarize(scored, ISSUED + STEP, window_hours=1.0)
    assert metrics.mase is None
    assert metrics.to_doc()["mase"] is None
