"""What one IA cycle would write, computed from quote histories without Elasticsearch."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ia_module.cycle import cycle_docs
from ia_module.history import CoinHistory
from ia_module.settings import IASettings

STEP = pd.Timedelta(minutes=5)
END = pd.Timestamp("2026-12-01 12:00", tz="UTC")


def history(slug: str, times: list[pd.Timestamp], prices: np.ndarray) -> CoinHistory:
    return CoinHistory(slug, slug.upper(), list(times), [float(p) for p in prices])


def test_after_a_gap_longer_than_max_gap_steps_the_next_cycle_forecasts_the_coin() -> None:
    settings = IASettings()
    assert settings.max_gap_steps == 3
    assert settings.min_points == 24
    rng = np.random.default_rng(12)
    before = [END - (120 - i) * STEP for i in range(100)]  # ends 20 steps before END
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.003, 101)))
    # A 20-step outage, then one quote: the first cycle after the gap.
    gapped = history("gapcoin", [*before, END], prices)
    steady = history("steady", [END - (99 - i) * STEP for i in range(100)], prices[:100])
    planned = cycle_docs(settings, {"gapcoin": gapped, "steady": steady}, END)

    assert planned.forecast == 2
    assert planned.skipped == 0
    docs = [d for d in planned.docs if d["slug"] == "gapcoin"]
    assert {d["model"] for d in docs} == {"naive"}
    assert len(docs) == settings.horizon
    assert all(d["selected"] for d in docs)
    first = docs[0]
    assert first["issued_at"] == "2026-12-01T12:00:00.000Z"
    assert first["yhat"] == prices[-1]
    # The document says which history it used: one point for the forecast, all for the bands.
    assert first["train_points"] == 1
    assert first["history_from"] == first["issued_at"]
    assert first["interval_points"] == 101
    assert first["interval_pooled"] is False
    assert first["interval_from"] == "2026-12-01T02:00:00.000Z"
    assert first["lo95"] < first["lo80"] < first["yhat"] < first["hi80"] < first["hi95"]
    # The coin without a gap gets every model, as before.
    assert {d["model"] for d in planned.docs if d["slug"] == "steady"} == {"naive", "drift", "ets"}
    # Prices before the gap stay available to score the predictions made then.
    assert len(planned.actuals["gapcoin"]) == 101


def test_a_coin_with_a_single_price_and_no_history_is_skipped() -> None:
    planned = cycle_docs(IASettings(), {"new": history("new", [END], np.array([1.0]))}, END)
    assert planned.docs == []
    assert planned.skipped == 1
    assert planned.waiting == 1


def first_start(coins: int, quotes: int) -> tuple[dict, dict]:
    """Grid histories (one point each) and raw quotes a minute apart, all within the step at END."""
    rng = np.random.default_rng(21)
    grids, raw = {}, {}
    for k in range(coins):
        slug = f"coin{k}"
        times = [END + pd.Timedelta(minutes=m) for m in range(quotes)]
        prices = 10.0 * (k + 1) * np.exp(np.cumsum(rng.normal(0, 0.002, quotes)))
        grids[slug] = history(slug, [END], prices[-1:])
        raw[slug] = history(slug, times, prices)
    return grids, raw


def test_on_a_first_start_the_first_cycle_with_two_quotes_forecasts_every_coin() -> None:
    settings = IASettings()
    grids, raw = first_start(coins=10, quotes=3)
    # Without the quotes at their own times no coin has a return: every one waits.
    waiting = cycle_docs(settings, grids, END)
    assert (waiting.forecast, waiting.waiting) == (0, 10)

    planned = cycle_docs(settings, grids, END, raw)
    assert (planned.forecast, planned.skipped, planned.waiting) == (10, 0, 0)
    assert len(planned.docs) == 10 * settings.horizon
    for doc in planned.docs:
        assert doc["model"] == "naive"
        assert doc["selected"]
        assert doc["interval_pooled"] is True
        # Every coin's 3 quotes made the bands, from the first quote on.
        assert doc["interval_points"] == 30
        assert doc["interval_from"] == "2026-12-01T12:00:00.000Z"
        assert doc["lo95"] < doc["lo80"] < doc["yhat"] < doc["hi80"] < doc["hi95"]
    first = [d for d in planned.docs if d["slug"] == "coin0"]
    widths = [d["hi95"] - d["lo95"] for d in first]
    assert widths == sorted(widths)
    # One-minute moves stand for five-minute ones: the one-step band is wider than
    # the spread of the one-minute moves themselves.
    moves = np.concatenate([np.diff(np.log(h.prices)) for h in raw.values()])
    assert (first[0]["hi80"] - first[0]["lo80"]) / first[0]["yhat"] > np.ptp(
        np.quantile(moves - moves.mean(), [0.1, 0.9])
    )


def test_no_coin_waits_once_coins_have_two_grid_points() -> None:
    grids, _ = first_start(coins=8, quotes=1)
    assert cycle_docs(IASettings(), grids, END).waiting == 8
    two = {s: history(s, [END - STEP, END], np.array([1.0, 1.01])) for s in grids}
    assert cycle_docs(IASettings(), two, END).waiting == 0


def test_a_coin_too_new_for_its_own_intervals_borrows_the_markets_returns() -> None:
    rng = np.random.default_rng(13)
    steady_times = [END - (99 - i) * STEP for i in range(100)]
    steady = history("steady", steady_times, 100 * np.exp(np.cumsum(rng.normal(0, 0.003, 100))))
    new = history("new", [END - STEP, END], np.array([2.0, 2.02]))
    planned = cycle_docs(IASettings(), {"new": new, "steady": steady}, END)
    assert planned.forecast == 2
    docs = [d for d in planned.docs if d["slug"] == "new"]
    assert {d["model"] for d in docs} == {"naive"}
    assert all(d["interval_pooled"] for d in docs)
    assert docs[0]["interval_points"] == 102
    assert docs[-1]["lo95"] < docs[-1]["lo80"] < 2.02 < docs[-1]["hi80"] < docs[-1]["hi95"]
    assert not any(d["interval_pooled"] for d in planned.docs if d["slug"] == "steady")
