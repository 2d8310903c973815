"""The indexer as a real subprocess on the real stack (Kafka 3.9, Elasticsearch 9).

Each test has its own topics, consumer group and index prefix. Every wait is
bounded; a timeout fails the test with the indexer's log attached.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer

from cryptoviz_core.schema import QuoteV1
from indexer_service.documents import quote_document
from indexer_service.template import QUOTE_PROPERTIES
from tests.support.indexer_run import PARTITIONS, IndexerRun, stop

pytestmark = pytest.mark.integration

N = 10_000
START = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)  # spans two UTC days
WAIT_INDEXED_S = 180.0


def quote(i: int) -> QuoteV1:
    """Quote ``i`` of the test set: extreme values included, ids all distinct."""
    return QuoteV1(
        source="coinmarketcap" if i % 2 else "replay",
        scraped_at=START + timedelta(minutes=i // 100, milliseconds=i % 100),
        cmc_id=i + 1,
        slug=f"coin-{i % 100}",
        name=f"Coin {i % 100}",
        symbol=f"C{i % 100}",
        rank=(i % 100) + 1 if i % 7 else None,
        currency="USD",
        price=1e-10 * (i + 1) if i % 3 == 0 else 12345.678 + i,
        change_1h_pct=-1.5 if i % 5 else None,
        change_24h_pct=2.25,
        change_7d_pct=None,
        market_cap=2.5e12 + i,
        volume_24h=1e9,
        circulating_supply=21e6,
        max_supply=None,
        page=1 + (i % 100) // 50,
        origin="json" if i % 2 else "dom",
    )


@dataclass(kw_only=True)
class Env(IndexerRun):
    """One test's indexer run, plus what these tests produce and count."""

    def produce(self, values: list[bytes | None], keys: list[bytes] | None = None) -> None:
        producer = KafkaProducer(
            bootstrap_servers=self.kafka, acks="all", linger_ms=20, batch_size=256 * 1024
        )
        for i, value in enumerate(values):
            producer.send(self.topic, value=value, key=keys[i] if keys else b"k%d" % i)
        producer.flush(timeout=60)
        producer.close(timeout=10)

    def count(self) -> int:
        if not self.es.indices.exists(index=f"{self.prefix}-*"):
            return 0
        self.es.indices.refresh(index=f"{self.prefix}-*")
        return int(self.es.count(index=f"{self.prefix}-*")["count"])

    def dead_letters(self, expected: int, timeout_s: float = 60.0) -> list[Any]:
        consumer = KafkaConsumer(
            self.dlq,
            bootstrap_servers=self.kafka,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=2000,
        )
        found: list[Any] = []
        deadline = time.monotonic() + timeout_s
        try:
            while len(found) < expected and time.monotonic() < deadline:
                found.extend(consumer)  # stops after 2 s without a message
        finally:
            consumer.close()
        return found


@pytest.fixture
def env(
    kafka_bootstrap: str,
    es: Elasticsearch,
    es_url: str,
    unique_name: Callable[[str], str],
    tmp_path: Path,
) -> Iterator[Env]:
    test_env = Env.named(unique_name, kafka=kafka_bootstrap, es=es, es_url=es_url, logs=tmp_path)
    test_env.create_topics()
    yield test_env
    test_env.stop()


def _assert_values(env: Env, sample: list[int]) -> None:
    found = {}
    for i in sample:
        document = quote_document(quote(i), env.prefix)
        hit = env.es.get(index=document.index, id=document.id)
        stored = dict(hit["_source"])
        indexed_at = datetime.fromisoformat(stored.pop("indexed_at"))
        latency_ms = stored.pop("ingest_latency_ms")
        assert stored == quote(i).to_dict()
        assert latency_ms == round((indexed_at - quote(i).scraped_at).total_seconds() * 1000)
        found[hit["_id"]] = i
    assert sorted(found.values()) == sorted(sample)


def test_a_daily_index_of_an_older_template_takes_the_indexer_fields(env: Env) -> None:
    # As created before the indexer wrote indexed_at: strict, the quote's fields only.
    index = f"{env.prefix}-{START:%Y.%m.%d}"
    env.es.indices.create(
        index=index, mappings={"dynamic": "strict", "properties": QUOTE_PROPERTIES}
    )
    env.produce([quote(i).to_json() for i in range(100)])
    indexer = env.start_indexer()
    try:
        env.wait_for("100 committed", lambda: env.committed() == 100, WAIT_INDEXED_S)
    finally:
        assert stop(indexer) == 0
    assert env.count() == 100
    assert env.dead_letters(expected=0, timeout_s=3) == []
    _assert_values(env, [0, 99])


def test_10000_messages_become_10000_documents_with_their_values(env: Env) -> None:
    env.produce([quote(i).to_json() for i in range(N)])
    indexer = env.start_indexer()
    try:
        env.wait_for("10000 committed", lambda: env.committed() == N, WAIT_INDEXED_S)
        assert env.count() == N
        _assert_values(env, [0, 1, 2, 3, 99, 100, 4999, 9999])
        # The mappings are real: doubles keep sub-1e-8 prices and >1e12 caps.
        tiny = env.es.count(index=f"{env.prefix}-*", query={"range": {"price": {"lt": 1e-8}}})
        assert tiny["count"] == sum(1 for i in range(N) if quote(i).price < 1e-8)
        big = env.es.count(index=f"{env.prefix}-*", query={"range": {"market_cap": {"gt": 1e12}}})
        assert big["count"] == N
        # Two UTC days -> two daily indices.
        days = sorted(env.es.indices.get(index=f"{env.prefix}-*").body)
        assert days == [f"{env.prefix}-2026.11.27", f"{env.prefix}-2026.11.28"]
        mapping = env.es.indices.get_mapping(index=days[0]).body[days[0]]["mappings"]
        assert mapping["properties"]["price"]["type"] == "double"
    finally:
        assert stop(indexer) == 0
    assert env.dead_letters(expected=0, timeout_s=3) == []


def test_resending_the_same_messages_leaves_10000_documents(env: Env) -> None:
    values = [quote(i).to_json() for i in range(N)]
    env.produce(values)
    indexer = env.start_indexer()
    try:
        env.wait_for("first 10000 committed", lambda: env.committed() == N, WAIT_INDEXED_S)
        env.produce(values)
        env.wait_for("second 10000 committed", lambda: env.committed() == 2 * N, WAIT_INDEXED_S)
        assert env.count() == N
    finally:
        assert stop(indexer) == 0


def test_sigkill_mid_run_then_restart_leaves_exactly_10000(env: Env) -> None:
    env.produce([quote(i).to_json() for i in range(N)])
    small = {"INDEXER_BATCH_MAX_DOCS": "200", "INDEXER_BULK_CHUNK_DOCS": "100"}
    first = env.start_indexer("first", **small)
    try:
        env.wait_for("some progress", env.progressed(1000), WAIT_INDEXED_S)
    finally:
        assert stop(first, signal.SIGKILL) == -signal.SIGKILL
    assert env.committed() < N  # really killed mid-run
    second = env.start_indexer("second")
    try:
        env.wait_for("10000 committed", lambda: env.committed() == N, WAIT_INDEXED_S)
        assert env.count() == N
    finally:
        assert stop(second) == 0


def test_elasticsearch_down_for_20s_then_every_document_is_there(env: Env, stack: Any) -> None:
    env.produce([quote(i).to_json() for i in range(N)])
    indexer = env.start_indexer(
        INDEXER_BATCH_MAX_DOCS="200",
        INDEXER_BULK_CHUNK_DOCS="100",
        INDEXER_RETRY_MAX_ATTEMPTS="200",
    )
    try:
        env.wait_for("some progress", env.progressed(500), WAIT_INDEXED_S)
        stack.stop("elasticsearch")
        try:
            time.sleep(20)
            assert indexer.poll() is None, env.log_text()
            # Nothing is committed past what was written: commits stall during the outage.
            stalled = env.committed()
            time.sleep(3)
            assert env.committed() == stalled
        finally:
            stack.start("elasticsearch")
        env.wait_for("10000 committed", lambda: env.committed() == N, WAIT_INDEXED_S)
        assert indexer.poll() is None
        assert env.count() == N
        assert "bulk write failed, retrying" in env.log_text(tail=None)
    finally:
        assert stop(indexer) == 0
    assert env.dead_letters(expected=0, timeout_s=3) == []


def test_poison_messages_go_to_the_dlq_with_reasons_and_the_rest_is_indexed(env: Env) -> None:
    # A daily index whose `slug` is a number: Elasticsearch rejects any quote of that day.
    env.es.indices.create(
        index=f"{env.prefix}-2026.01.01", mappings={"properties": {"slug": {"type": "long"}}}
    )
    good = [quote(i).to_json() for i in range(100)]
    rejected = quote(0).model_copy(update={"scraped_at": datetime(2026, 1, 1, tzinfo=UTC)})
    poison = {
        b"malformed": b"{this is not json",
        b"not-object": b"[1, 2, 3]",
        b"wrong-types": quote(1).to_json().replace(b'"price":', b'"price":"cheap","x":'),
        b"future": b'{"schema_version": 2, "slug": "bitcoin"}',
        b"rejected": rejected.to_json(),
    }
    env.produce(good[:50] + list(poison.values()) + good[50:], keys=None)
    indexer = env.start_indexer()
    try:
        total = len(good) + len(poison)
        env.wait_for("all committed", lambda: env.committed() == total, WAIT_INDEXED_S)
        assert env.count() == len(good)
    finally:
        assert stop(indexer) == 0
    letters = env.dead_letters(expected=len(poison))
    assert len(letters) == len(poison)
    by_value = {m.value: dict(m.headers) for m in letters}
    expected_reasons = {
        b"malformed": b"malformed-json",
        b"not-object": b"malformed-json",
        b"wrong-types": b"schema-invalid",
        b"future": b"unknown-schema-version",
        b"rejected": b"elasticsearch-rejected",
    }
    for name, value in poison.items():
        headers = by_value[value]  # the original payload, byte for byte
        assert headers["dlq.reason"] == expected_reasons[name], name
        assert headers["dlq.source.topic"] == env.topic.encode()
        assert int(headers["dlq.source.partition"]) in range(PARTITIONS)
        assert int(headers["dlq.source.offset"]) >= 0
        assert headers["dlq.error"]
    assert b"status 400" in by_value[poison[b"rejected"]]["dlq.error"]
    assert b"price" in by_value[poison[b"wrong-types"]]["dlq.error"]
    assert "dead_lettered_total" in env.log_text(tail=None)


def test_sigterm_commits_only_what_was_written_and_exits_cleanly(env: Env) -> None:
    env.produce([quote(i).to_json() for i in range(N)])
    indexer = env.start_indexer(INDEXER_BATCH_MAX_DOCS="300", INDEXER_BULK_CHUNK_DOCS="100")
    try:
        env.wait_for("some progress", env.progressed(600), WAIT_INDEXED_S)
    finally:
        assert stop(indexer, signal.SIGTERM) == 0
    committed = env.committed()
    # The batch in flight was finished and committed: what is committed is exactly
    # what is searchable (ids are distinct), no more, no less.
    assert 600 <= committed < N
    assert env.count() == committed
    assert '"msg": "indexer stopped"' in env.log_text(tail=None)


def test_retention_deletes_only_expired_daily_indices(env: Env) -> None:
    today = datetime.now(UTC).date()
    keep = [f"{env.prefix}-{today:%Y.%m.%d}", f"{env.prefix}-{today - timedelta(days=2):%Y.%m.%d}"]
    expired = [f"{env.prefix}-2001.01.01", f"{env.prefix}-{today - timedelta(days=4):%Y.%m.%d}"]
    unrelated = f"{env.prefix}-notes"
    for name in [*keep, *expired, unrelated]:
        env.es.indices.create(index=name)
    indexer = env.start_indexer(INDEXER_RETENTION_DAYS="3")

    def remaining() -> set[str]:
        return set(env.es.indices.get(index=f"{env.prefix}-*").body)

    try:
        env.wait_for("expired indices deleted", lambda: remaining().isdisjoint(expired), 60)
        assert remaining() == {*keep, unrelated}
    finally:
        assert stop(indexer) == 0
