"""The real indexer as a subprocess, on topics, a group and an index prefix of its own.

Shared by the indexer's integration tests and the chaos scenarios: both start
`python -m indexer_service` against the real stack, watch what its consumer
group committed, and fail with the services' logs attached when a bounded
wait runs out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 3
POLL_S = 0.5
EXIT_TIMEOUT_S = 60.0
KAFKA_TIMEOUT_MS = 5_000
# A wait that keeps progressing still ends after this many times its stall allowance.
STALL_LIMIT = 10

T = TypeVar("T")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    """Signal ``process`` unless it already exited; return its exit status (bounded wait).

    As with a container: SIGTERM goes to the service alone, which stops its own
    children (the scraper's Chromium); SIGKILL takes the whole process group.
    """
    if process.poll() is None:
        if sig == signal.SIGKILL:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    return process.wait(timeout=EXIT_TIMEOUT_S)


@dataclass(kw_only=True)
class IndexerRun:
    """One test's names and endpoints, the services it started, and its waits."""

    kafka: str
    es: Elasticsearch
    es_url: str
    topic: str
    dlq: str
    group: str
    prefix: str
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def named(cls, unique_name: Callable[[str], str], **fields: Any) -> Self:
        """A run whose topics, group and index prefix come from ``unique_name``."""
        return cls(
            topic=unique_name("quotes"),
            dlq=unique_name("dlq"),
            group=unique_name("group"),
            prefix=unique_name("idx"),
            **fields,
        )

    def create_topics(self) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self.kafka)
        try:
            admin.create_topics(
                [
                    NewTopic(self.topic, num_partitions=PARTITIONS, replication_factor=1),
                    NewTopic(self.dlq, num_partitions=1, replication_factor=1),
                ]
            )
        finally:
            admin.close()

    def stop(self) -> None:
        """Kill what is still running. The run's topics, indices and template are named by
        `unique_name`, which deletes them after the test."""
        for process in self.processes:
            # Also when the service itself exited: the scraper's Chromium may outlive it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=EXIT_TIMEOUT_S)

    def spawn(self, name: str, module: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """``python -m module`` logging to ``<logs>/<name>.log``, in its own process group."""
        with (self.logs / f"{name}.log").open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", module],
                cwd=REPO,
                env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": self.kafka, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches its children
            )
        self.processes.append(process)
        return process

    def start_indexer(self, name: str = "indexer", **env: str) -> subprocess.Popen[bytes]:
        """The real indexer on this run's topics; ``env`` overrides its settings."""
        return self.spawn(
            name,
            "indexer_service",
            {
                "ELASTICSEARCH_URL": self.es_url,
                "INDEXER_TOPIC": self.topic,
                "INDEXER_DLQ_TOPIC": self.dlq,
                "INDEXER_CONSUMER_GROUP": self.group,
                "INDEXER_INDEX_PREFIX": self.prefix,
                "INDEXER_STATS_INTERVAL_S": "2",
                "INDEXER_RETRY_INITIAL_S": "0.2",
                "INDEXER_RETRY_MAX_S": "5",
                # A SIGKILLed member leaves the group after this long: restarts stay quick.
                "INDEXER_SESSION_TIMEOUT_MS": "6000",
                # Test data has fixed dates; retention is tested on its own.
                "INDEXER_RETENTION_DAYS": "36500",
                **env,
            },
        )

    def log_path(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def log_text(self, tail: int | None = 4000) -> str:
        """Every service log of the run; only the last ``tail`` characters of each (None: all)."""
        return "\n".join(
            f"--- {p.name}\n{text if tail is None else text[-tail:]}"
            for p in sorted(self.logs.glob("*.log"))
            for text in (p.read_text(errors="replace"),)
        )

    def wait_for(self, what: str, check: Callable[[], bool], timeout_s: float) -> float:
        """Poll ``check`` until true; return the seconds it took. Fails after ``timeout_s``."""
        return self.wait_until(what, check, bool, timeout_s)

    def wait_until(
        self, what: str, observe: Callable[[], T], done: Callable[[T], bool], stall_s: float
    ) -> float:
        """Poll ``observe`` until ``done(value)``; return the seconds it took.

        The wait follows progress, not the clock: it goes on while the observed
        value keeps changing (a loaded machine is slow, not broken) and fails once
        the value stayed the same for ``stall_s``, or after `STALL_LIMIT` stalls'
        worth in all, naming what it waited for and the last value it saw.
        """
        started = last_change = time.monotonic()
        value = observe()
        while not done(value):
            now = time.monotonic()
            if now - last_change > stall_s or now - started > STALL_LIMIT * stall_s:
                pytest.fail(
                    f"waited {now - started:.0f}s for {what}; last saw {value!r}, unchanged for "
                    f"{now - last_change:.0f}s (allowed {stall_s:g}s)\n{self.log_text()}"
                )
            time.sleep(POLL_S)
            seen, value = value, observe()
            if value != seen:
                last_change = time.monotonic()
        return round(time.monotonic() - started, 1)

    def wait_committed(self, offsets: int, stall_s: float) -> float:
        """Wait until the group committed at least ``offsets``, for as long as it progresses."""
        return self.wait_until(
            f"{offsets} offsets committed", self.committed, lambda c: (c or 0) >= offsets, stall_s
        )

    def progressed(self, offsets: int) -> Callable[[], bool]:
        """A check for `wait_for`: the group committed at least ``offsets``."""
        return lambda: (self.committed() or 0) >= offsets

    def committed(self) -> int | None:
        """Offsets the indexer's group committed (sum); None when Kafka does not answer
        (also while a fresh broker still elects the group coordinator)."""
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self.kafka, request_timeout_ms=KAFKA_TIMEOUT_MS
            )
        except KafkaError:
            return None
        try:
            offsets = admin.list_group_offsets(self.group).get(self.group, {})
        except KafkaError:
            return None
        finally:
            admin.close()
        return sum(meta.offset for tp, meta in offsets.items() if tp.topic == self.topic)
