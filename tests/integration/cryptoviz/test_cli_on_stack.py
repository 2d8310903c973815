"""`cryptoviz` as a user runs it (``python -m cryptoviz``), on the real stack.

Each test has its own topics, group and index prefix (`IndexerRun`), handed to
the command through the services' own variables (``INDEXER_TOPIC``…). The
dead-letter and reindex tests run the real indexer. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.structs import OffsetAndMetadata

from cryptoviz_core.retry import Backoff, retry
from devstack.stack import Stack
from indexer_service.documents import quote_document
from indexer_service.template import template_name
from tests.support.indexer_fakes import BASE_TIME, sample_quote
from tests.support.indexer_run import PARTITIONS, REPO, IndexerRun, stop

pytestmark = pytest.mark.integration

COMMAND_TIMEOUT_S = 120
WAIT_S = 120.0


@dataclass
class Cli:
    """Runs ``python -m cryptoviz`` with one test's environment."""

    env: dict[str, str]
    cwd: Path

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "cryptoviz", *args]

    def __call__(
        self, *args: str, stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            input=stdin,
            env={**self.env, **env},
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        result = self(*args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def lines(self, *args: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.ok(*args, "--json").splitlines()]


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command printed on stderr."""
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cryptoviz: ")
    return lines[0]


@pytest.fixture
def run(
    kafka_bootstrap: str,
    es: Elasticsearch,
    es_url: str,
    unique_name: Callable[[str], str],
    tmp_path: Path,
) -> Iterator[IndexerRun]:
    indexer_run = IndexerRun.named(
        unique_name, kafka=kafka_bootstrap, es=es, es_url=es_url, logs=tmp_path
    )
    indexer_run.create_topics()
    yield indexer_run
    indexer_run.stop()


@pytest.fixture
def cli(run: IndexerRun, unique_name: Callable[[str], str], tmp_path: Path) -> Cli:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "KAFKA_BOOTSTRAP_SERVERS": run.kafka,
        "ELASTICSEARCH_URL": run.es_url,
        "INDEXER_TOPIC": run.topic,
        "INDEXER_DLQ_TOPIC": run.dlq,
        "INDEXER_CONSUMER_GROUP": run.group,
        "INDEXER_INDEX_PREFIX": run.prefix,
        "IA_PREDICTIONS_INDEX": unique_name("pred"),
        "IA_METRICS_INDEX": unique_name("metrics"),
    }
    work = tmp_path / "cwd"  # no .env there: only this environment counts
    work.mkdir()
    return Cli(env, work)


def quotes_jsonl(n: int, spread: timedelta = timedelta(seconds=1)) -> str:
    return "".join(
        sample_quote(i, scraped_at=BASE_TIME + i * spread).to_json().decode() + "\n"
        for i in range(n)
    )


def expected_ids(run: IndexerRun, n: int, spread: timedelta = timedelta(seconds=1)) -> set[str]:
    return {
        quote_document(sample_quote(i, scraped_at=BASE_TIME + i * spread), run.prefix).id
        for i in range(n)
    }


def indexed_ids(run: IndexerRun) -> list[str]:
    """Every document id under the run's prefix (duplicates would show twice)."""
    if not run.es.indices.exists(index=f"{run.prefix}-*"):
        return []
    run.es.indices.refresh(index=f"{run.prefix}-*")
    hits = run.es.search(index=f"{run.prefix}-*", size=10_000, source=False)["hits"]["hits"]
    return [hit["_id"] for hit in hits]


def end_offsets(cli: Cli, topic: str) -> int:
    return sum(p["end_offset"] for p in cli.json("topics", "describe", topic)["partitions"])


# -- topics ----------------------------------------------------------------------


def test_topics_create_describe_list_delete(cli: Cli, unique_name: Callable[[str], str]) -> None:
    name = unique_name("topic")
    created = cli.ok(
        "topics", "create", name, "--partitions", "2", "--config", "retention.ms=3600000"
    )
    assert f"created topic {name}: 2 partitions" in created
    assert "retention.ms=3600000" in created
    assert "already exists" in one_line_error(cli("topics", "create", name))

    described = cli.json("topics", "describe", name)
    assert [p["partition"] for p in described["partitions"]] == [0, 1]
    assert described["configs"]["retention.ms"] == "3600000"
    listed = {t["topic"]: t for t in cli.json("topics", "list")}
    assert listed[name]["partitions"] == 2
    assert listed[name]["retention_ms"] == 3_600_000

    assert "add --yes" in one_line_error(cli("topics", "delete", name))
    assert name in {t["topic"] for t in cli.json("topics", "list")}
    cli.ok("topics", "delete", name, "--yes")
    deadline = time.monotonic() + WAIT_S
    while name in {t["topic"] for t in cli.json("topics", "list")}:
        assert time.monotonic() < deadline, f"{name} still listed after delete"
        time.sleep(0.5)
    assert f"unknown topic '{name}'" in one_line_error(cli("topics", "describe", name))


# -- produce and consume ----------------------------------------------------------


def test_produce_checks_every_line_before_sending_any(cli: Cli, run: IndexerRun) -> None:
    lines = quotes_jsonl(6).splitlines()
    bad_quote = json.loads(lines[4]) | {"price": -1}
    lines[4] = json.dumps(bad_quote)
    error = one_line_error(cli("produce", run.topic, stdin="\n".join(lines)))
    assert error.startswith("cryptoviz: line 5: not a valid quote (schema-invalid): price")
    malformed = quotes_jsonl(3).replace("\n", "\n{not json\n", 1)
    assert "line 2: not valid JSON" in one_line_error(cli("produce", run.topic, stdin=malformed))
    assert end_offsets(cli, run.topic) == 0  # nothing was sent
    assert "unknown topic" in one_line_error(cli("produce", run.topic + "-x", stdin=lines[0]))
    assert (
        cli.ok("produce", run.topic, "--raw", stdin=lines[4])
        == f"produced 1 messages to {run.topic}\n"
    )
    assert end_offsets(cli, run.topic) == 1


def test_consume_reads_every_way_and_commits_nothing(
    cli: Cli, run: IndexerRun, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    source = tmp_path / "quotes.jsonl"
    source.write_text(quotes_jsonl(30))
    assert (
        cli.ok("produce", run.topic, "--file", str(source))
        == f"produced 30 messages to {run.topic}\n"
    )

    # A group that committed offset 1 on every partition: consuming must not move it.
    group = unique_name("group")
    admin = KafkaAdminClient(bootstrap_servers=run.kafka)
    try:
        # On a fresh broker the first group call waits for __consumer_offsets to be created.
        retry(
            lambda: admin.alter_group_offsets(
                group,
                {
                    TopicPartition(run.topic, p): OffsetAndMetadata(1, "", -1)
                    for p in range(PARTITIONS)
                },
            ),
            "commit the test group's offsets",
            Backoff(initial=0.5, maximum=5, max_attempts=20),
        )
        before = admin.list_group_offsets(group)
        groups_before = sorted(g["group_id"] for g in admin.list_groups())

        every = cli.lines("consume", run.topic)
        assert sorted(m["value"]["slug"] for m in every) == sorted(f"coin-{i}" for i in range(30))
        assert all(m["key"] == m["value"]["slug"] for m in every)  # keyed by slug
        assert cli.lines("consume", run.topic, "--from-beginning") == every
        assert {m["partition"] for m in cli.lines("consume", run.topic, "--partition", "1")} == {1}
        assert min(m["offset"] for m in cli.lines("consume", run.topic, "--offset", "2")) == 2
        assert len(cli.lines("consume", run.topic, "--limit", "5")) == 5
        assert len(cli.lines("consume", run.topic, "--since", "1h")) == 30
        assert cli.lines("consume", run.topic, "--since", "2999-01-01T00:00:00Z") == []
        pretty = cli("consume", run.topic, "--limit", "1")
        assert "coin-" in pretty.stdout
        assert pretty.stderr == "1 messages\n"
        assert "no partition 7" in one_line_error(cli("consume", run.topic, "--partition", "7"))

        # --follow prints what arrives after it started, then --limit stops it.
        follower = subprocess.Popen(
            cli.argv("consume", run.topic, "--follow", "--since", "0s", "--limit", "1", "--json"),
            env=cli.env,
            cwd=cli.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + WAIT_S
        while follower.poll() is None and time.monotonic() < deadline:
            cli.ok("produce", run.topic, stdin=quotes_jsonl(31).splitlines()[30])
            time.sleep(1)
        out, err = follower.communicate(timeout=30)
        assert follower.returncode == 0, err
        (followed,) = [json.loads(line) for line in out.splitlines()]
        assert followed["value"]["slug"] == "coin-30"

        assert admin.list_group_offsets(group) == before
        assert sorted(g["group_id"] for g in admin.list_groups()) == groups_before
    finally:
        admin.close()


def test_an_unreachable_broker_or_cluster_is_named(cli: Cli) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    result = cli("topics", "list", KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}", CLI_TIMEOUT_S="2")
    assert f"cannot reach Kafka at 127.0.0.1:{port}" in one_line_error(result)
    status = cli("status", ELASTICSEARCH_URL=f"http://127.0.0.1:{port}", CLI_TIMEOUT_S="2")
    assert status.returncode == 1
    assert f"cryptoviz: elasticsearch (http://127.0.0.1:{port}) is down" in status.stderr


# -- dead letters ------------------------------------------------------------------


def test_dead_letters_replayed_after_the_fix_are_indexed_exactly_once(
    cli: Cli, run: IndexerRun
) -> None:
    n = 20
    indexer = run.start_indexer()
    run.wait_for(
        "the index template",
        lambda: bool(run.es.indices.exists_index_template(name=template_name(run.prefix))),
        WAIT_S,
    )
    # The cause: the day's index refuses writes (a 403 the indexer dead-letters).
    day = f"{run.prefix}-{BASE_TIME:%Y.%m.%d}"
    run.es.indices.create(index=day, settings={"index.blocks.write": True})
    cli.ok("produce", run.topic, stdin=quotes_jsonl(n))
    run.wait_for(f"{n} committed", run.progressed(n), WAIT_S)

    (group,) = cli.json("dlq", "list")
    assert (group["reason"], group["count"], len(group["samples"])) == (
        "elasticsearch-rejected",
        n,
        3,
    )
    assert "cluster_block_exception" in group["samples"][0]["error"]
    assert indexed_ids(run) == []
    nothing = cli("dlq", "replay", "--reason", "schema-invalid")
    assert "nothing to replay" in one_line_error(nothing)
    dry = cli.json("dlq", "replay", "--dry-run")
    assert (dry["distinct"], dry["replayed"]) == (n, 0)
    assert end_offsets(cli, run.topic) == n

    run.es.indices.put_settings(index=day, settings={"index.blocks.write": False})  # the fix
    replayed = cli.json("dlq", "replay")
    assert (replayed["replayed"], replayed["to"]) == (n, [run.topic])
    run.wait_for(f"{2 * n} committed", run.progressed(2 * n), WAIT_S)
    ids = indexed_ids(run)
    assert sorted(ids) == sorted(expected_ids(run, n))

    # Replaying again sends the same messages; the ids keep one document each.
    assert cli.json("dlq", "replay", "--reason", "elasticsearch-rejected")["replayed"] == n
    run.wait_for(f"{3 * n} committed", run.progressed(3 * n), WAIT_S)
    assert sorted(indexed_ids(run)) == sorted(ids)
    assert [g["count"] for g in cli.json("dlq", "list")] == [n]  # no new dead letter
    assert stop(indexer) == 0


# -- reindex -----------------------------------------------------------------------


def test_reindex_after_deleting_an_index_restores_every_document(cli: Cli, run: IndexerRun) -> None:
    n, spread = 300, timedelta(minutes=10)  # 50 hours: three daily indices
    cli.ok("produce", run.topic, stdin=quotes_jsonl(n, spread))
    indexer = run.start_indexer()
    run.wait_for(f"{n} committed", run.progressed(n), WAIT_S)
    before = sorted(indexed_ids(run))
    assert before == sorted(expected_ids(run, n, spread))

    running = one_line_error(cli("reindex", "--from-beginning"))
    assert f"the indexer is running: consumer group '{run.group}' has 1 active member" in running
    assert stop(indexer) == 0

    days = sorted(run.es.indices.get(index=f"{run.prefix}-*").body)
    assert len(days) == 3
    run.es.indices.delete(index=days[1])
    assert len(indexed_ids(run)) < n

    rewound = cli.json("reindex", "--from-beginning")
    assert [p["committed_now"] for p in rewound["partitions"]] == [0] * PARTITIONS
    assert sum(p["to_reread"] for p in rewound["partitions"]) == n
    run.start_indexer("indexer-again")
    run.wait_for("every document back", lambda: len(indexed_ids(run)) == n, WAIT_S)
    assert sorted(indexed_ids(run)) == before
    run.wait_for(f"{n} committed again", run.progressed(n), WAIT_S)


def test_reindex_since_a_time_rewinds_to_it(cli: Cli, run: IndexerRun) -> None:
    cli.ok("produce", run.topic, stdin=quotes_jsonl(9))
    rewound = cli.json("reindex", "--since", "2999-01-01T00:00:00Z")
    assert sum(p["to_reread"] for p in rewound["partitions"]) == 0  # after every record
    rewound = cli.json("reindex", "--since", "1h")
    assert sum(p["to_reread"] for p in rewound["partitions"]) == 9


# -- status ------------------------------------------------------------------------


def test_status_is_ok_when_everything_runs_and_names_what_stopped(
    cli: Cli, run: IndexerRun, stack: Stack
) -> None:
    cli.ok("produce", run.topic, stdin=quotes_jsonl(1))  # published now: a live scraper's trace
    indexer = run.start_indexer()
    run.wait_for("1 committed", run.progressed(1), WAIT_S)
    # Committed is written, not yet searchable: status counts what a search sees.
    run.es.indices.refresh(index=f"{run.prefix}-*")
    forecasts = cli.env["IA_PREDICTIONS_INDEX"]
    issued = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    run.es.index(index=forecasts, document={"issued_at": issued, "slug": "coin-0"}, refresh=True)

    report = cli.json("status")
    assert report["ok"], report
    checks = {c["name"]: c for c in report["checks"]}
    assert sorted(checks) == sorted(
        ["kafka", "zookeeper1", "zookeeper2", "elasticsearch", "scraper", "indexer", "ia"]
    )
    assert sorted(checks[z]["state"] for z in ("zookeeper1", "zookeeper2")) == [
        "follower",
        "leader",
    ]
    assert report["lag"] == {str(p): 0 for p in range(PARTITIONS)}
    assert report["documents"][f"{run.prefix}-{BASE_TIME:%Y.%m.%d}"] == 1
    assert report["forecasts"] == 1
    assert report["dead_letters_last_hour"] == 0
    assert report["newest_quote_age_s"] > 0
    screen = cli("status")
    assert screen.returncode == 0
    assert "zookeeper2" in screen.stdout
    assert screen.stderr == ""

    assert stop(indexer, signal.SIGTERM) == 0
    stopped = cli("status")
    assert stopped.returncode == 1
    assert f"cryptoviz: indexer (group {run.group}) is down" in stopped.stderr

    zookeeper2 = stack.endpoints.zookeeper[1]
    stack.stop("zookeeper2")
    try:
        down = cli("status")
        assert down.returncode == 1
        assert f"cryptoviz: zookeeper2 ({zookeeper2}) is down (no answer" in down.stderr
        assert "fix: start it (`docker compose up -d zookeeper2`" in down.stderr
    finally:
        stack.up()

    stack.stop("elasticsearch")
    try:
        down = cli("status")
        assert down.returncode == 1
        assert f"cryptoviz: elasticsearch ({run.es_url}) is down (cannot reach" in down.stderr
    finally:
        stack.up()
