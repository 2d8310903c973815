"""Scenario 2: one of the two ZooKeeper nodes stopped for 60 s: the ensemble has no quorum.

What this measures rather than assumes: whether produces keep being
acknowledged, whether the indexer keeps consuming and committing (offsets live
in Kafka's own __consumer_offsets, not in ZooKeeper), and whether a metadata
change (creating a topic, which needs ZooKeeper) fails. The figures land in
docs/RELIABILITY.md; the assertions only require that nothing is lost once the
node is back.
"""

from __future__ import annotations

import time

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError

from devstack import zookeeper
from tests.chaos.conftest import Record
from tests.chaos.pipeline import ChaosRun, LoadProducer, acked_ids, outage, scaled

pytestmark = pytest.mark.integration

RATE = 200
# Long enough for the mid-outage probe's topic creation to time out (ADMIN_TIMEOUT_MS).
OUTAGE_S = float(scaled(60, 15))
SECONDS = scaled(90, 35)  # load before and through the outage, and after it at full size
WAIT_S = 180.0
ADMIN_TIMEOUT_MS = 10_000


def create_topic_outcome(bootstrap: str, name: str) -> str:
    """Try to create topic ``name``; return "created" or the error's name."""
    started = time.monotonic()
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=ADMIN_TIMEOUT_MS)
        try:
            admin.create_topics(
                [NewTopic(name, num_partitions=1, replication_factor=1)],
                timeout_ms=ADMIN_TIMEOUT_MS,
            )
        finally:
            admin.close()
    except KafkaError as err:
        return f"{type(err).__name__} after {time.monotonic() - started:.1f} s"
    return "created"


def test_zookeeper_quorum_lost_60s_then_nothing_is_lost(chaos: ChaosRun, record: Record) -> None:
    ports = chaos.stack.settings.zookeeper_ports
    roles = {f"zookeeper{n}": zookeeper.mode(port) for n, port in enumerate(ports, 1)}
    indexer = chaos.start_indexer()
    producer = LoadProducer(chaos.kafka, chaos.topic, RATE * SECONDS, rate=RATE).start()
    chaos.wait_committed(1000, 60)
    probe_topic = f"{chaos.topic}-probe"
    down = outage(
        chaos,
        producer,
        indexer,
        "zookeeper2",
        OUTAGE_S,
        probe=lambda: (
            f"zookeeper1 mode {zookeeper.mode(ports[0])}; create topic: "
            + create_topic_outcome(chaos.kafka, probe_topic)
        ),
    )
    back = time.monotonic()
    producer.join(WAIT_S)
    joined_s = time.monotonic() - back
    tally, drain_s = chaos.drain_and_tally(indexer, WAIT_S, acked_ids(producer))
    recovery_s = round(joined_s + drain_s, 1)
    record(
        "zookeeper-stop",
        tally,
        stopped="zookeeper2 (" + str(roles["zookeeper2"]) + ")",
        **down.figures(),
        produce_failed_total=producer.failed,
        caught_up_after_restart_s=recovery_s,
    )
    assert "zookeeper1 mode None" in down.probe  # the survivor really stopped serving
    assert down.indexer_alive
    assert tally.produced == len(producer.acked)
    assert (tally.lost, tally.duplicated, tally.dead_lettered) == (0, 0, 0)
    assert tally.indexed == tally.produced
