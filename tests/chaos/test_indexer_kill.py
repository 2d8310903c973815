"""Scenario 4: the indexer SIGKILLed at 5 random points of a 50,000-message run.

The points are drawn from a seeded RNG (``CHAOS_SEED`` overrides the default)
and recorded: each is a committed-offset threshold plus a random delay, so a
kill lands anywhere in the consume-write-commit cycle, not only after commits.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from cryptoviz_core.logs import read_logged
from tests.chaos.conftest import Record
from tests.chaos.pipeline import ChaosRun, LoadProducer, acked_ids, scaled
from tests.support.indexer_run import stop

pytestmark = pytest.mark.integration

N = scaled(50_000, 20_000)
KILLS = scaled(5, 3)
DEFAULT_SEED = 20261128
WAIT_S = 120.0


def test_indexer_sigkilled_five_times_loses_and_duplicates_nothing(
    chaos: ChaosRun, record: Record
) -> None:
    seed = int(os.environ.get("CHAOS_SEED", DEFAULT_SEED))
    rng = random.Random(seed)
    # Kills land in the first half, so a fast machine cannot carry the last one to the end.
    thresholds = sorted(rng.sample(range(N // 25, N // 2, N // 50), KILLS))
    delays = [round(rng.uniform(0.0, 0.5), 2) for _ in range(KILLS)]
    producer = LoadProducer(chaos.kafka, chaos.topic, N).start()
    producer.join(WAIT_S)
    # Small batches keep each incarnation at a few thousand messages a second, so the
    # random delay after a threshold cannot carry it to the end of the topic before the kill.
    small_batches = {"INDEXER_BATCH_MAX_DOCS": "200", "INDEXER_BULK_CHUNK_DOCS": "200"}
    committed_at_kill: list[int] = []
    for n, (threshold, delay) in enumerate(zip(thresholds, delays, strict=True)):
        indexer = chaos.start_indexer(f"indexer-{n}", **small_batches)
        # Past the threshold and past the previous kill: each incarnation makes progress.
        target = max(threshold, committed_at_kill[-1] + 1 if committed_at_kill else 0)
        chaos.wait_committed(target, WAIT_S)
        time.sleep(delay)
        assert stop(indexer, signal.SIGKILL) == -signal.SIGKILL
        committed_at_kill.append(chaos.committed() or 0)
    last = chaos.start_indexer("indexer-final", **small_batches)
    # At reduced scale the topic can be drained before the last start; its stop must then
    # wait until the indexer has its SIGTERM handler, which it has once it logs its start.
    chaos.wait_for(
        "the last indexer to start",
        lambda: bool(read_logged(chaos.log_path("indexer-final"), "indexer started")),
        WAIT_S,
    )
    tally, drain_s = chaos.drain_and_tally(last, WAIT_S, acked_ids(producer))
    record(
        "indexer-sigkill",
        tally,
        seed=seed,
        kill_thresholds=thresholds,
        kill_delays_s=delays,
        committed_at_kill=committed_at_kill,
        final_drain_s=drain_s,
    )
    assert committed_at_kill[-1] < N  # every kill was mid-run
    assert (tally.produced, tally.lost, tally.duplicated) == (N, 0, 0)
    assert (tally.indexed, tally.dead_lettered) == (N, 0)
