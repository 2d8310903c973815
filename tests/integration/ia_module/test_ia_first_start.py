"""A first start on the real Elasticsearch: `python -m ia_module run` forecasts as soon as the
coins have two quotes, without waiting for its (long) interval or for two grid points."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from cryptoviz_core.logs import read_logged
from cryptoviz_core.schema import format_timestamp
from indexer_service.template import index_template, template_name
from tests.support.indexer_run import stop

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
COINS = 10
# Far longer than the test may take: a forecast inside it proves the warm-up schedule.
INTERVAL_MIN = 30
WAIT_S = 120.0


def index_quotes(es: Elasticsearch, index: str, at: pd.Timestamp, factor: float) -> None:
    docs = [
        {
            "_index": index,
            "_source": {
                "slug": f"coin{k}",
                "symbol": f"C{k}",
                "scraped_at": format_timestamp(at),
                "price": 10.0 * (k + 1) * factor ** (k % 3 - 1),
            },
        }
        for k in range(COINS)
    ]
    bulk(es, docs, refresh=True)


def wait_for(what: str, check: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {WAIT_S:.0f}s\n{log.read_text()[-4000:]}")
        time.sleep(0.5)


@pytest.fixture
def names(es: Elasticsearch, unique_name: Callable[[str], str]) -> dict[str, str]:
    prefix = unique_name("iafirst")
    # The quotes mapping the indexer installs.
    quotes = f"{prefix}-quotes"
    es.indices.put_index_template(name=template_name(quotes), **index_template(quotes))
    return {
        "quotes": f"{quotes}-2026.12.01",
        "predictions": f"{prefix}-predictions",
        "metrics": f"{prefix}-metrics",
    }


@contextlib.contextmanager
def running_ia(log: Path, es_url: str, names: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m ia_module run` on ``names``' indices, logging to ``log``; stopped by SIGTERM."""
    env = {
        **os.environ,
        "ELASTICSEARCH_URL": es_url,
        "IA_QUOTES_INDEX": names["quotes"],
        "IA_PREDICTIONS_INDEX": names["predictions"],
        "IA_METRICS_INDEX": names["metrics"],
        "IA_INTERVAL_MIN": str(INTERVAL_MIN),
        "IA_WARMUP_INTERVAL_S": "1",
        "IA_HEALTH_FILE": str(log.with_suffix(".health")),
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ia_module", "run"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        assert stop(process) == 0, log.read_text()[-4000:]


@pytest.fixture
def ia_log(tmp_path: Path, es_url: str, names: dict[str, str]) -> Iterator[Path]:
    log = tmp_path / "ia.log"
    with running_ia(log, es_url, names):
        yield log


def test_a_first_start_forecasts_the_cycle_after_the_second_quote(
    es: Elasticsearch, names: dict[str, str], ia_log: Path
) -> None:
    def cycles() -> list[dict[str, Any]]:
        return read_logged(ia_log, "cycle done")

    # Started on an empty index, the service keeps looking instead of sleeping its interval.
    wait_for("cycle on the empty index", lambda: len(cycles()) >= 1, ia_log)
    assert cycles()[0]["coins"] == 0

    # Two quotes per coin a few seconds apart: one grid point each on the 5-minute grid,
    # and the cycles that read them in the same step (none reaches the next one).
    now = pd.Timestamp.now(tz="UTC")
    left = (now.floor("5min") + pd.Timedelta(minutes=5) - now).total_seconds()
    if left < 60:
        time.sleep(left + 1)
        now = pd.Timestamp.now(tz="UTC")
    first = max(now.floor("5min"), now - pd.Timedelta(seconds=20))
    index_quotes(es, names["quotes"], first, 1.0)
    wait_for("cycle that sees the first quotes", lambda: cycles()[-1]["coins"] == COINS, ia_log)
    assert cycles()[-1]["waiting"] == COINS
    assert cycles()[-1]["predictions"] == 0

    index_quotes(es, names["quotes"], first + pd.Timedelta(seconds=10), 1.002)
    wait_for("cycle that forecasts", lambda: cycles()[-1]["forecast"] > 0, ia_log)
    done = cycles()[-1]
    assert (done["forecast"], done["waiting"]) == (COINS, 0)

    es.indices.refresh(index=names["predictions"])
    hits = es.search(index=names["predictions"], size=1_000)["hits"]["hits"]
    assert {h["_source"]["slug"] for h in hits} == {f"coin{k}" for k in range(COINS)}
    assert all(h["_source"]["interval_pooled"] for h in hits)
    assert all(h["_source"]["interval_points"] == 2 * COINS for h in hits)


def test_a_quotes_index_it_cannot_read_is_reported_each_cycle_and_the_service_stays_up(
    es: Elasticsearch, es_url: str, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    prefix = unique_name("iabad")
    names = {
        # No template: dynamic mapping makes slug a text field, which cannot be aggregated.
        "quotes": f"{prefix}-quotes-2026.12.01",
        "predictions": f"{prefix}-predictions",
        "metrics": f"{prefix}-metrics",
    }
    quote = {"slug": "bitcoin", "symbol": "BTC", "price": 1.0}
    es.index(
        index=names["quotes"],
        document={**quote, "scraped_at": format_timestamp(pd.Timestamp.now(tz="UTC"))},
        refresh=True,
    )
    log = tmp_path / "ia.log"
    with running_ia(log, es_url, names) as process:
        wait_for("cycle failed", lambda: bool(read_logged(log, "cycle failed")), log)
        assert "Fielddata is disabled on [slug]" in read_logged(log, "cycle failed")[0]["error"]
        assert process.poll() is None
