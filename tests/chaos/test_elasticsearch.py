"""Scenario 3: Elasticsearch stopped for 60 s while 300 quotes/s keep arriving.

Expected behaviour: the indexer retries the batch in flight with backoff,
commits nothing it has not written, stays alive, and catches up once the node
is back; Kafka holds the backlog meanwhile.
"""

from __future__ import annotations

import time

import pytest

from tests.chaos.conftest import Record
from tests.chaos.pipeline import ChaosRun, LoadProducer, acked_ids, outage, scaled

pytestmark = pytest.mark.integration

RATE = 300
OUTAGE_S = float(scaled(60, 10))
# Load goes on through the outage and the restart (~20 s), then some more.
SECONDS = scaled(110, 40)
WAIT_S = 180.0
BATCH = 1000


def test_elasticsearch_down_60s_under_load_loses_nothing(chaos: ChaosRun, record: Record) -> None:
    indexer = chaos.start_indexer(
        INDEXER_RETRY_MAX_S="5",
        INDEXER_RETRY_MAX_ATTEMPTS="200",
        INDEXER_BATCH_MAX_DOCS=str(BATCH),
    )
    producer = LoadProducer(chaos.kafka, chaos.topic, RATE * SECONDS, rate=RATE).start()
    chaos.wait_committed(1000, 60)
    down = outage(chaos, producer, indexer, "elasticsearch", OUTAGE_S)
    back = time.monotonic()
    producer.join(WAIT_S)
    joined_s = time.monotonic() - back
    tally, drain_s = chaos.drain_and_tally(indexer, WAIT_S, acked_ids(producer))
    recovery_s = round(joined_s + drain_s, 1)
    retries = chaos.log_path("indexer").read_text().count("bulk write failed, retrying")
    record(
        "elasticsearch-stop",
        tally,
        **down.figures(),
        indexer_bulk_retries=retries,
        caught_up_after_restart_s=recovery_s,
    )
    assert down.indexer_alive
    # Nothing is committed past what was written: at most the batch being written when the
    # stop began and one more that Elasticsearch still took while shutting down (seen under
    # load); the tally below proves each of them written.
    assert down.committed is not None
    assert down.committed <= 2 * BATCH
    assert down.failed == 0
    assert down.acked > 0
    assert retries > 0
    assert (tally.produced, tally.indexed) == (RATE * SECONDS, RATE * SECONDS)
    assert (tally.lost, tally.duplicated, tally.dead_lettered) == (0, 0, 0)
