"""One and two IA cycles on the real Elasticsearch: predictions and metrics land with
deterministic ids, and a second cycle adds predictions without touching the first."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from cryptoviz_core.retry import Backoff
from cryptoviz_core.schema import format_timestamp
from ia_module.cycle import run_cycle
from ia_module.settings import IASettings
from ia_module.store import ForecastStore

pytestmark = pytest.mark.integration

NOW = pd.Timestamp("2026-11-28 12:00", tz="UTC")
STEP = pd.Timedelta(minutes=5)
QUOTES_MAPPING = {
    "properties": {
        "slug": {"type": "keyword"},
        "symbol": {"type": "keyword"},
        "scraped_at": {"type": "date"},
        "price": {"type": "double"},
    }
}


def quote_docs(
    index: str, slug: str, symbol: str, prices: np.ndarray, start: pd.Timestamp
) -> list[dict]:
    """Two quotes per 5-minute step (the second one wins), like a scraper running every 2.5 min."""
    docs = []
    for i, price in enumerate(prices):
        for offset, factor in ((30, 0.999), (170, 1.0)):
            at = start + i * STEP + pd.Timedelta(seconds=offset)
            docs.append(
                {
                    "_index": index,
                    "_source": {
                        "slug": slug,
                        "symbol": symbol,
                        "scraped_at": format_timestamp(at),
                        "price": float(price) * factor,
                    },
                }
            )
    return docs


def index_quotes(
    es: Elasticsearch, index: str, until: pd.Timestamp, points: int, skip: int = 0
) -> None:
    """Quotes for the ``points`` steps ending at ``until``; the first ``skip`` steps are left
    out (already indexed), so consecutive calls extend the same series."""
    rng = np.random.default_rng(5)
    start = until - (points - 1) * STEP
    walk = 60000 * np.exp(np.cumsum(rng.normal(0, 0.002, points)))
    trend = 10 + 0.01 * np.arange(points)
    first = start + skip * STEP
    docs = quote_docs(index, "bitcoin", "BTC", walk[skip:], first)
    docs += quote_docs(index, "trendcoin", "TRD", trend[skip:], first)
    if not skip:
        docs += quote_docs(index, "newcoin", "NEW", np.full(7, 1.0), until - 18 * STEP)  # too short
    bulk(es, docs, refresh=True)


@pytest.fixture
def prefix(unique_name: Callable[[str], str]) -> str:
    return unique_name("ia")


@pytest.fixture
def settings(es_url: str, prefix: str) -> IASettings:
    return IASettings(
        elasticsearch_url=es_url,
        quotes_index=f"{prefix}-quotes-*",
        predictions_index=f"{prefix}-predictions",
        metrics_index=f"{prefix}-metrics",
        history_hours=12,
        score_window_hours=1,
    )


@pytest.fixture
def store(es: Elasticsearch, settings: IASettings) -> ForecastStore:
    s = ForecastStore(
        es,
        settings.predictions_index,
        settings.metrics_index,
        Backoff(0.1, 1.0, max_attempts=3),
    )
    s.start()
    s.start()  # idempotent
    return s


def all_predictions(es: Elasticsearch, index: str) -> dict[str, dict]:
    es.indices.refresh(index=index)
    hits = es.search(index=index, size=10_000, query={"match_all": {}})["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def test_two_cycles_write_predictions_scores_and_metrics(
    es: Elasticsearch, settings: IASettings, store: ForecastStore, prefix: str
) -> None:
    quotes = f"{prefix}-quotes-2026.11.28"
    es.indices.create(index=quotes, mappings=QUOTES_MAPPING)
    later = NOW + pd.Timedelta(hours=1)
    index_quotes(es, quotes, later, points=156, skip=0)
    # Quotes after NOW are not visible to a cycle at NOW.
    first = run_cycle(settings, store, now=NOW)
    # newcoin has 7 points: naive only, its bands from every coin's returns pooled.
    assert (first.coins, first.forecast, first.skipped) == (3, 3, 0)
    preds = all_predictions(es, settings.predictions_index)
    assert len(preds) == first.predictions == (2 * 3 + 1) * settings.horizon
    doc_id = "bitcoin|naive|2026-11-28T12:00:00.000Z|2026-11-28T12:05:00.000Z"
    doc = preds[doc_id]
    assert doc["slug"] == "bitcoin"
    assert doc["symbol"] == "BTC"
    assert doc["horizon_step"] == 1
    assert doc["train_points"] == 144
    assert doc["lo95"] <= doc["lo80"] <= doc["yhat"] <= doc["hi80"] <= doc["hi95"]
    assert not doc["interval_pooled"]
    assert {p["slug"] for p in preds.values()} == {"bitcoin", "trendcoin", "newcoin"}
    new = [p for p in preds.values() if p["slug"] == "newcoin"]
    assert {p["model"] for p in new} == {"naive"}
    assert all(p["interval_pooled"] and p["train_points"] == 7 for p in new)
    trend_selected = {
        p["model"] for p in preds.values() if p["slug"] == "trendcoin" and p["selected"]
    }
    assert trend_selected in ({"drift"}, {"ets"})

    # An hour later the first issue has matured; newcoin has left the listing since.
    second = run_cycle(settings, store, now=later)
    assert second.skipped == 1
    preds2 = all_predictions(es, settings.predictions_index)
    assert len(preds2) == len(preds) + 2 * 3 * settings.horizon
    assert set(preds) <= set(preds2)
    assert second.scored == len(preds) - len(new)
    assert preds2[doc_id]["actual"] > 0
    assert preds2[doc_id]["in95"] in (0, 1)

    es.indices.refresh(index=settings.metrics_index)
    metrics = es.search(index=settings.metrics_index, size=1000)["hits"]["hits"]
    assert len(metrics) == second.metrics == 2 * 3 * settings.horizon
    by_id = {h["_id"]: h["_source"] for h in metrics}
    m = by_id["bitcoin|naive|1|2026-11-28T13:00:00.000Z"]
    assert m["n"] == 1
    assert m["mase"] == 1.0
    assert set(m) >= {"mae", "mape", "coverage80", "coverage95", "window_end", "model", "slug"}

    # Replaying the same cycle overwrites: no duplicates.
    run_cycle(settings, store, now=later)
    assert len(all_predictions(es, settings.predictions_index)) == len(preds2)


def test_purge_deletes_only_documents_older_than_retention(
    es: Elasticsearch, settings: IASettings, store: ForecastStore, prefix: str
) -> None:
    quotes = f"{prefix}-quotes-2026.11.28"
    es.indices.create(index=quotes, mappings=QUOTES_MAPPING)
    index_quotes(es, quotes, NOW, points=60)
    run_cycle(settings, store, now=NOW)
    old = len(all_predictions(es, settings.predictions_index))
    index_quotes(es, quotes, NOW + pd.Timedelta(days=2), points=60)
    short = settings.model_copy(update={"retention_days": 1})
    summary = run_cycle(short, store, now=NOW + pd.Timedelta(days=2))
    assert summary.purged == old
    remaining = all_predictions(es, settings.predictions_index)
    assert len(remaining) == summary.predictions
    assert all(p["issued_at"].startswith("2026-11-30") for p in remaining.values())
