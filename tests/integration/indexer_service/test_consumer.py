"""The indexer's consumer on the real Kafka: how it joins its group."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from indexer_service.consumer import QuoteConsumer
from tests.support.indexer_run import PARTITIONS, IndexerRun

pytestmark = pytest.mark.integration

MESSAGES = 30
WAIT_S = 60.0


def test_a_new_member_gets_every_partition_in_one_assignment(
    kafka_bootstrap: str,
    es: Elasticsearch,
    es_url: str,
    unique_name: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Without the topic's partitions known before the join, the first assignment is
    # made without them and a second rebalance follows: start-up pays for two.
    run = IndexerRun.named(
        unique_name, kafka=kafka_bootstrap, es=es, es_url=es_url, logs=tmp_path_factory.mktemp("l")
    )
    run.create_topics()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for i in range(MESSAGES):
        producer.send(run.topic, key=b"k%d" % i, value=b"{}")
    producer.flush(timeout=30)
    producer.close(timeout=10)

    consumer = QuoteConsumer(kafka_bootstrap, run.topic, run.group)
    caplog.set_level(logging.INFO, logger="indexer_service.consumer")
    consumer.start()
    received = 0
    deadline = time.monotonic() + WAIT_S
    try:
        while received < MESSAGES:
            assert time.monotonic() < deadline, f"{received} of {MESSAGES} messages consumed"
            received += len(consumer.poll(0.5))
        consumer.poll(1.0)  # a rebalance requested by the first assignment would run here
    finally:
        consumer.close()
    assigned = [r for r in caplog.records if r.getMessage() == "partitions assigned"]
    assert [len(r.partitions) for r in assigned] == [PARTITIONS]
