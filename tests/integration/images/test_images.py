"""The three service images on the real stack, through the devstack's Docker engine.

scraper image (replay pages) -> the local Kafka -> indexer image -> the local
Elasticsearch -> IA image -> predictions. Every container runs on the host network
(the only one the engine has) with the devstack's loopback ports. Besides the
documents, each container must run as non-root, turn healthy by its own
HEALTHCHECK, and exit 0 on ``docker stop``; the indexer with its offsets committed.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from elasticsearch import ApiError, Elasticsearch
from kafka import KafkaConsumer, TopicPartition

from devstack.images import Built
from devstack.stack import Stack
from pipeline_runner.settings import REPLAY_DEMO_ENV
from tests.support.indexer_run import IndexerRun
from tests.support.replay_truth import assert_first_snapshot

pytestmark = pytest.mark.integration

HEALTHY_TIMEOUT_S = 150.0  # the images check every 30 s
PREDICTIONS_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 60
COMMAND_TIMEOUT_S = 120


@dataclass
class Containers:
    """The containers one test started on the devstack's engine; all removed at the end."""

    stack: Stack
    prefix: str
    names: list[str] = field(default_factory=list)

    def docker(self, *args: str) -> str:
        done = subprocess.run(
            self.stack.engine.docker(*args),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr.strip()}"
        return done.stdout.strip()

    def run(self, service: str, image: str, env: dict[str, str]) -> str:
        name = f"{self.prefix}-{service}"
        environment = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        self.docker("run", "-d", "--name", name, "--network", "host", *environment, image)
        self.names.append(name)
        return name

    def state(self, name: str) -> dict[str, object]:
        text = self.docker("inspect", "--format", "{{json .State}}", name)
        state: dict[str, object] = json.loads(text)
        return state

    def health(self, name: str) -> str:
        health = self.state(name).get("Health")
        return str(health["Status"]) if isinstance(health, dict) else "none"

    def logs(self) -> str:
        texts = []
        for name in self.names:
            done = subprocess.run(
                self.stack.engine.docker("logs", "--tail", "40", name),
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT_S,
                check=False,
            )
            texts.append(f"--- {name}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        return "\n".join(texts)

    def stop(self, name: str) -> int:
        """``docker stop`` (SIGTERM, then SIGKILL after the timeout); the container's exit code."""
        self.docker("stop", "--time", str(STOP_TIMEOUT_S), name)
        return int(str(self.state(name)["ExitCode"]))

    def remove_all(self) -> None:
        for name in self.names:
            subprocess.run(
                self.stack.engine.docker("rm", "--force", name),
                capture_output=True,
                timeout=COMMAND_TIMEOUT_S,
                check=False,
            )


@pytest.fixture
def containers(stack: Stack, unique_name: Callable[[str], str]) -> Iterator[Containers]:
    started = Containers(stack, unique_name("ctr"))
    yield started
    started.remove_all()


def end_offsets(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def first_cycle_documents(es: Elasticsearch, index: str) -> dict[str, dict[str, object]]:
    """slug -> the document of its earliest scrape (the replay server's first snapshot)."""
    hits = es.search(index=index, size=10_000, sort=[{"scraped_at": "asc"}])["hits"]["hits"]
    first: dict[str, dict[str, object]] = {}
    for hit in hits:
        first.setdefault(hit["_source"]["slug"], hit["_source"])
    return first


def test_images_run_the_pipeline_on_the_real_stack(
    stack: Stack,
    images: Built,
    es: Elasticsearch,
    es_url: str,
    kafka_bootstrap: str,
    unique_name: Callable[[str], str],
    containers: Containers,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    run = IndexerRun.named(
        unique_name, kafka=kafka_bootstrap, es=es, es_url=es_url, logs=tmp_path_factory.mktemp("l")
    )
    run.create_topics()
    predictions, metrics = unique_name("pred"), unique_name("metrics")
    shared = {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "ELASTICSEARCH_URL": es_url}
    scraper = containers.run(
        "scraper",
        images.images["scraper"],
        {
            **shared,
            **{k: v for k, v in REPLAY_DEMO_ENV.items() if k.startswith("SCRAPER_")},
            "SCRAPER_SOURCE": "replay",
            "SCRAPER_PAGES": "2",
            # Every row rendered before the scraper falls back to the page's JSON, even on
            # a loaded machine (the scroll ends as soon as all rows are there).
            "SCRAPER_RENDER_BUDGET_S": "60",
            "SCRAPER_TOPIC": run.topic,
        },
    )
    indexer = containers.run(
        "indexer",
        images.images["indexer"],
        {
            **shared,
            "INDEXER_TOPIC": run.topic,
            "INDEXER_DLQ_TOPIC": run.dlq,
            "INDEXER_CONSUMER_GROUP": run.group,
            "INDEXER_INDEX_PREFIX": run.prefix,
        },
    )
    ia = containers.run(
        "ia",
        images.images["ia"],
        {
            **shared,
            **{k: v for k, v in REPLAY_DEMO_ENV.items() if k.startswith("IA_")},
            "IA_QUOTES_INDEX": f"{run.prefix}-*",
            "IA_PREDICTIONS_INDEX": predictions,
            "IA_METRICS_INDEX": metrics,
        },
    )
    names = (scraper, indexer, ia)

    for name in names:
        uid = containers.docker("exec", name, "id", "-u")
        assert uid != "0", f"{name} runs as root"

    def predicted() -> bool:
        try:
            found = es.count(index=predictions, ignore_unavailable=True, allow_no_indices=True)
        except ApiError:  # the IA has just created the index; its shard is not started yet
            return False
        return int(found["count"]) > 0

    def all_healthy() -> bool:
        return all(containers.health(name) == "healthy" for name in names)

    deadline = time.monotonic() + PREDICTIONS_TIMEOUT_S
    while not (predicted() and all_healthy()):
        for name in names:
            assert containers.state(name)["Running"], f"{name} exited\n{containers.logs()}"
            assert containers.health(name) != "unhealthy", f"{name}\n{containers.logs()}"
        assert time.monotonic() < deadline, f"no predictions or not healthy\n{containers.logs()}"
        time.sleep(2)

    # Every quote of the replay pages' first snapshot, as the native pipeline test checks.
    es.indices.refresh(index=f"{run.prefix}-*")
    got = first_cycle_documents(es, f"{run.prefix}-*")
    assert_first_snapshot(got, pages=(1, 2))
    prediction = es.search(index=predictions, size=1)["hits"]["hits"][0]["_source"]
    assert prediction["slug"] in got

    # Stopped while it may still hold a batch: SIGTERM writes and commits what it read,
    # so every committed offset is a stored document and every stored one is committed.
    assert containers.stop(scraper) == 0, containers.logs()
    assert containers.stop(indexer) == 0, containers.logs()
    es.indices.refresh(index=f"{run.prefix}-*")
    stored = es.count(index=f"{run.prefix}-*")["count"]
    assert run.committed() == stored <= end_offsets(kafka_bootstrap, run.topic)
    assert containers.stop(ia) == 0, containers.logs()
