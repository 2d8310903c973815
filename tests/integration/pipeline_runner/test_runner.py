"""The runner end to end on the real stack: a replay DURATION run whose summary matches
what Elasticsearch and Kafka hold, a chart PNG, and Ctrl-C leaving nothing behind.

Every run uses its own topics, consumer group and indices, because other tests
write to the default ones concurrently.
"""

from __future__ import annotations

import os
import re
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk
from kafka import KafkaConsumer, TopicPartition

from cryptoviz_core.retry import Backoff
from cryptoviz_core.schema import format_timestamp
from devstack.stack import Stack
from ia_module.cycle import run_cycle
from ia_module.settings import IASettings
from ia_module.store import ForecastStore

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
SUMMARY = re.compile(
    r"^indexed (\d+) quotes for (\d+) coins, (\d+) predictions, (\d+) dead-lettered$"
)
RUN_TIMEOUT_S = 300
WAIT_S = 120.0


def run_env(unique_name: Callable[[str], str], **extra: str) -> dict[str, str]:
    """The runner's environment with names no other test uses."""
    name = unique_name("run")
    return {
        **os.environ,
        "RUN_ID": name,
        "RUN_TOPIC": f"{name}.quotes",
        "RUN_DLQ_TOPIC": f"{name}.dlq",
        "RUN_CONSUMER_GROUP": f"{name}-indexer",
        "RUN_INDEX_PREFIX": f"{name}-quotes",
        "RUN_PREDICTIONS_INDEX": f"{name}-predictions",
        "RUN_METRICS_INDEX": f"{name}-metrics",
        **extra,
    }


def dlq_total(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, allow_auto_create_topics=False)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return sum(consumer.end_offsets(parts, timeout_ms=10_000).values()) if parts else 0
    finally:
        consumer.close()


def marked(run_id: str) -> list[psutil.Process]:
    """Live processes carrying the run id in their command line or environment."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmdline = " ".join(proc.info["cmdline"] or [])
            if f"cryptoviz_run={run_id}" in cmdline or (
                proc.pid != os.getpid() and proc.environ().get("CRYPTOVIZ_RUN_ID") == run_id
            ):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def test_replay_duration_run_summary_matches_the_stores(
    stack: Stack, es: Elasticsearch, kafka_bootstrap: str, unique_name: Callable[[str], str]
) -> None:
    env = run_env(unique_name, SOURCE="replay", DURATION="90")
    done = subprocess.run(
        [sys.executable, "-m", "pipeline_runner"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    match = SUMMARY.match(last)
    assert match, last
    indexed, coins, predictions, dead = map(int, match.groups())
    quotes = f"{env['RUN_INDEX_PREFIX']}-*"
    es.indices.refresh(index=quotes)
    assert indexed > 0
    assert es.count(index=quotes)["count"] == indexed
    resp = es.search(index=quotes, size=0, aggs={"c": {"terms": {"field": "slug", "size": 10000}}})
    assert len(resp["aggregations"]["c"]["buckets"]) == coins
    pred_count = es.count(
        index=env["RUN_PREDICTIONS_INDEX"], ignore_unavailable=True, allow_no_indices=True
    )["count"]
    assert pred_count == predictions
    # Naive forecasts start from a coin's second point, so a 90 s replay run forecasts.
    assert predictions > 0
    assert dlq_total(kafka_bootstrap, env["RUN_DLQ_TOPIC"]) == dead
    assert "REPLAY" in done.stdout
    assert not marked(env["RUN_ID"])


def seed_quotes(es: Elasticsearch, index: str, until: pd.Timestamp, points: int) -> None:
    """A random walk for "bitcoin", one quote per 5-minute step ending at ``until``."""
    rng = np.random.default_rng(7)
    prices = 60000 * np.exp(np.cumsum(rng.normal(0, 0.002, points)))
    docs = [
        {
            "_index": index,
            "_source": {
                "slug": "bitcoin",
                "symbol": "BTC",
                "scraped_at": format_timestamp(until - (points - 1 - i) * pd.Timedelta("5min")),
                "price": float(price),
            },
        }
        for i, price in enumerate(prices)
    ]
    es.indices.create(
        index=index,
        mappings={
            "properties": {
                "slug": {"type": "keyword"},
                "symbol": {"type": "keyword"},
                "scraped_at": {"type": "date"},
                "price": {"type": "double"},
            }
        },
    )
    bulk(es, docs, refresh=True)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chart_writes_png_of_requested_size(
    es: Elasticsearch, es_url: str, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    name = unique_name("chart")
    now = pd.Timestamp.now(tz="UTC")
    seed_quotes(es, f"{name}-quotes-x", now.floor("5min"), 60)
    settings = IASettings(
        _env_file=None,
        elasticsearch_url=es_url,
        quotes_index=f"{name}-quotes-*",
        predictions_index=f"{name}-predictions",
        metrics_index=f"{name}-metrics",
        history_hours=6,
    )
    store = ForecastStore(
        es, settings.predictions_index, settings.metrics_index, Backoff(max_attempts=3)
    )
    store.start()
    assert run_cycle(settings, store).predictions > 0
    store.refresh()
    env = {
        **os.environ,
        "ELASTICSEARCH_URL": es_url,
        "IA_QUOTES_INDEX": settings.quotes_index,
        "IA_PREDICTIONS_INDEX": settings.predictions_index,
        "IA_HISTORY_HOURS": "6",
    }
    out = tmp_path / "bitcoin.png"
    argv = [sys.executable, "-m", "ia_module", "chart", "--coin", "bitcoin", "--out", str(out)]
    done = subprocess.run(
        [*argv, "--width", "800", "--height", "400"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert png_size(out) == (800, 400)
    missing = subprocess.run(
        [*argv[:5], "no-such-coin", "--out", str(tmp_path / "none.png")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode != 0
    assert missing.stderr.strip().count("\n") == 0, missing.stderr
    assert not (tmp_path / "none.png").exists()


def test_sigint_leaves_no_process_behind(stack: Stack, unique_name: Callable[[str], str]) -> None:
    env = run_env(unique_name, SOURCE="replay")
    env.pop("DURATION", None)
    runner = subprocess.Popen(
        [sys.executable, "-X", f"cryptoviz_run={env['RUN_ID']}", "-m", "pipeline_runner"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT_S
        children: list[psutil.Process] = []
        # The runner plus its three services, each marked in its command line.
        while len(children) < 3:
            assert time.monotonic() < deadline, "children did not start in time"
            assert runner.poll() is None, runner.communicate()[0]
            children = [p for p in marked(env["RUN_ID"]) if p.pid != runner.pid]
            children = [p for p in children if "-m" in p.cmdline()]
            time.sleep(1)
        time.sleep(5)  # let the scraper start Chromium, so its stop is exercised too
        pids = [p.pid for p in marked(env["RUN_ID"]) if p.pid != runner.pid]
        runner.send_signal(signal.SIGINT)
        assert runner.wait(timeout=WAIT_S) == 130
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(timeout=30)
    assert not [pid for pid in pids if psutil.pid_exists(pid) and not zombie(pid)]
    assert not marked(env["RUN_ID"])


def zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
