"""The real broker and the two-node ZooKeeper ensemble do what the pipeline relies on."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from devstack import kafka as kafka_node
from devstack import zookeeper
from devstack.stack import Stack

pytestmark = pytest.mark.integration
QUORUM_LOSS_TIMEOUT_S = 30


def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        admin.close()


def produce_and_read_back(
    bootstrap: str, topic: str, count: int, keys: int
) -> dict[str, list[int]]:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    for i in range(count):
        producer.send(topic, key=f"coin-{i % keys}".encode(), value=str(i).encode())
    producer.flush(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=10_000,
    )
    seen: dict[str, list[int]] = defaultdict(list)
    for record in consumer:
        seen[record.key.decode()].append(int(record.value))
        if sum(map(len, seen.values())) == count:
            break
    consumer.close()
    return seen


def test_thousand_keyed_messages_come_back_in_order_per_key(kafka_bootstrap, unique_name) -> None:
    topic = unique_name("keyed")
    create_topic(kafka_bootstrap, topic, partitions=4)
    seen = produce_and_read_back(kafka_bootstrap, topic, count=1000, keys=37)
    assert sum(map(len, seen.values())) == 1000
    for key, values in seen.items():
        index = int(key.removeprefix("coin-"))
        assert values == list(range(index, 1000, 37)), key


def test_both_zookeeper_nodes_serve_as_one_ensemble(stack: Stack) -> None:
    modes = sorted(zookeeper.mode(p) or "down" for p in stack.settings.zookeeper_ports)
    assert modes == ["follower", "leader"]
    assert kafka_node.registered_in_zookeeper(list(stack.settings.zookeeper_ports))


def test_losing_one_node_stops_the_ensemble_and_it_recovers(stack: Stack, unique_name) -> None:
    survivor_port = stack.settings.zookeeper_ports[0]
    stack.stop("zookeeper2")
    try:
        deadline = time.monotonic() + QUORUM_LOSS_TIMEOUT_S
        while zookeeper.mode(survivor_port) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        # Two nodes tolerate no failure: the survivor has no quorum and refuses to serve.
        assert zookeeper.mode(survivor_port) is None
        assert "imok" in zookeeper.four_letter(survivor_port, "ruok")
    finally:
        stack.start("zookeeper2")
    assert zookeeper.mode(survivor_port) in ("leader", "follower")
    stack.start("kafka")  # no-op when running; waits for registration and metadata
    topic = unique_name("after-quorum")
    create_topic(stack.endpoints.kafka, topic, partitions=1)
    seen = produce_and_read_back(stack.endpoints.kafka, topic, count=50, keys=1)
    assert seen == {"coin-0": list(range(50))}


def test_broker_restarts_right_after_a_crash(stack: Stack, unique_name) -> None:
    stack.kill("kafka")
    try:
        # The crashed broker's ZooKeeper session still holds its id: start() must wait it out.
        stack.start("kafka")
    finally:
        stack.up()  # whatever happened, later tests get a running broker
    assert kafka_node.registered_in_zookeeper(list(stack.settings.zookeeper_ports))
    topic = unique_name("after-crash")
    create_topic(stack.endpoints.kafka, topic, partitions=1)
    assert produce_and_read_back(stack.endpoints.kafka, topic, count=20, keys=1) == {
        "coin-0": list(range(20))
    }
