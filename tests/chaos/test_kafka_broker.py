"""Scenario 1: the Kafka broker SIGKILLed and restarted while the real scraper publishes.

The scraper (Chromium on the replay pages, two pages a cycle) and the indexer
are real subprocesses. The broker is restarted as soon as ZooKeeper
has expired its dead predecessor's session. Cycles whose publish fails while the
broker is down are
dropped by the scraper (logged, counted here): Kafka never acknowledged them.
Everything the topic holds must be indexed exactly once.
"""

from __future__ import annotations

import time

import pytest

from cryptoviz_core.logs import read_logged
from devstack.kafka import registered_in_zookeeper
from tests.chaos.conftest import Record
from tests.chaos.pipeline import ChaosRun, scaled
from tests.support.indexer_run import stop

pytestmark = pytest.mark.integration

# Kafka's zookeeper.session.timeout.ms is 18 s.
SESSION_EXPIRY_WAIT_S = 40.0
WAIT_S = 150.0
CYCLES_AFTER = scaled(3, 1)  # published cycles required after the restart


def test_kafka_sigkilled_while_the_scraper_publishes_loses_nothing(
    chaos: ChaosRun, record: Record
) -> None:
    indexer = chaos.start_indexer()
    scraper = chaos.start_scraper(SCRAPER_PAGES="2")

    def cycles() -> list[dict[str, object]]:
        return read_logged(chaos.log_path("scraper"), "cycle done")

    def ok_cycles() -> int:
        return sum(c["outcome"] == "ok" for c in cycles())

    chaos.wait_until("two published cycles (published so far)", ok_cycles, lambda n: n >= 2, WAIT_S)
    killed_at = time.monotonic()
    chaos.stack.kill("kafka")
    # A broker restarted while its dead predecessor's ZooKeeper session still holds
    # /brokers/ids/0 exits at start-up (a supervisor would crash-loop it until then).
    expiry_s = chaos.wait_for(
        "the dead broker's ZooKeeper session to expire",
        lambda: not registered_in_zookeeper(list(chaos.stack.settings.zookeeper_ports)),
        SESSION_EXPIRY_WAIT_S,
    )
    chaos.stack.start("kafka")  # waits until the broker is registered and answers
    broker_down_s = round(time.monotonic() - killed_at, 1)
    resumed = ok_cycles()
    chaos.wait_until(
        f"{CYCLES_AFTER} more published cycles (published so far)",
        ok_cycles,
        lambda ok: ok >= resumed + CYCLES_AFTER,
        WAIT_S,
    )
    assert stop(scraper) == 0
    tally, _ = chaos.drain_and_tally(indexer, WAIT_S)
    done = cycles()
    acked = sum(int(c["acked"]) for c in done)  # type: ignore[call-overload]
    record(
        "kafka-sigkill",
        tally,
        broker_down_s=broker_down_s,
        zookeeper_session_expiry_s=expiry_s,
        scraper_cycles_ok=sum(c["outcome"] == "ok" for c in done),
        scraper_cycles_failed=sum(c["outcome"] != "ok" for c in done),
        scraper_acked=acked,
    )
    assert tally.produced >= acked  # every acknowledged quote is in the topic
    assert any(c["outcome"] == "publish-failed" for c in done)  # the kill hit a publish
    assert (tally.lost, tally.duplicated, tally.dead_lettered) == (0, 0, 0)
    assert tally.indexed == tally.produced
