"""Scenario 8: three indexers share a 3-partition topic; one is SIGKILLed mid-run and restarted.

This is how the indexer scales out (``docker compose up --scale indexer=3``):
the members of one consumer group split the partitions, one each. When one
dies, Kafka evicts it once its session times out and hands its partition to a
survivor, which resumes from the last committed offset: what the dead member
wrote but had not committed is written again under the same ids (overwritten,
not duplicated). When it comes back, the group rebalances again. The figures
give both rebalance times, as each indexer logged its new assignment.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from cryptoviz_core.logs import read_logged
from tests.chaos.conftest import Record
from tests.chaos.pipeline import ChaosRun, LoadProducer, acked_ids, scaled
from tests.support.indexer_run import PARTITIONS, stop

pytestmark = pytest.mark.integration

RATE = 1_000
SECONDS = scaled(90, 30)
WAIT_S = 120.0
ALL = set(range(PARTITIONS))


def assignments(log: Path) -> list[set[int]]:
    """Every partition set the indexer logging to ``log`` was assigned, in order."""
    return [
        {int(p) for p in re.findall(r"partition=(\d+)", " ".join(entry["partitions"]))}
        for entry in read_logged(log, "partitions assigned")
    ]


def indexed(log: Path) -> int:
    """Documents the indexer logging to ``log`` reported as indexed (its last stats line)."""
    stats = read_logged(log, "indexer stats")
    return int(stats[-1]["indexed_total"]) if stats else 0


def test_three_indexers_rebalance_around_a_kill_and_lose_and_duplicate_nothing(
    chaos: ChaosRun, record: Record
) -> None:
    names = ["indexer-a", "indexer-b", "indexer-c"]
    members = {name: chaos.start_indexer(name) for name in names}
    seen = {name: 0 for name in names}  # assignments already counted, per indexer

    def rebalanced(current: list[str]) -> bool:
        """Each of ``current`` got a new assignment; together they own every partition, once."""
        latest = [assignments(chaos.log_path(n)) for n in current]
        if any(len(a) <= seen[n] or not a[-1] for n, a in zip(current, latest, strict=True)):
            return False
        owned = [a[-1] for a in latest]
        return set().union(*owned) == ALL and sum(map(len, owned)) == PARTITIONS

    def wait_rebalanced(what: str, current: list[str]) -> float:
        took = chaos.wait_until(
            f"{what} (assignments logged per indexer)",
            lambda: [len(assignments(chaos.log_path(n))) for n in current],
            lambda _: rebalanced(current),
            WAIT_S,
        )
        seen.update({n: len(assignments(chaos.log_path(n))) for n in current})
        return took

    joined_s = wait_rebalanced("three indexers to share the partitions", names)
    producer = LoadProducer(chaos.kafka, chaos.topic, RATE * SECONDS, rate=RATE).start()
    chaos.wait_committed(RATE * SECONDS // 4, WAIT_S)
    assert stop(members["indexer-b"], signal.SIGKILL) == -signal.SIGKILL
    before_kill = {n: indexed(chaos.log_path(n)) for n in names}
    after_kill_s = wait_rebalanced("the survivors to take over", ["indexer-a", "indexer-c"])
    names[1] = "indexer-b-restarted"
    members[names[1]] = chaos.start_indexer(names[1])
    seen[names[1]] = 0
    after_restart_s = wait_rebalanced("the restarted indexer to rejoin", names)
    producer.join(WAIT_S)
    chaos.wait_drained(WAIT_S)
    for name in names:
        assert members[name].poll() is None, chaos.log_text()
    for name in names:
        assert stop(members[name]) == 0
    tally = chaos.tally(acked_ids(producer))
    record(
        "scale-out",
        tally,
        indexers=3,
        partitions=PARTITIONS,
        rate_per_s=RATE,
        initial_rebalance_s=joined_s,
        rebalance_after_kill_s=after_kill_s,
        rebalance_after_restart_s=after_restart_s,
        indexed_per_indexer_at_kill=[
            before_kill[n] for n in ("indexer-a", "indexer-b", "indexer-c")
        ],
        restarted_indexed=indexed(chaos.log_path(names[1])),
    )
    assert all(before_kill.values())  # all three had a share of the work
    assert (tally.produced, tally.indexed) == (RATE * SECONDS, RATE * SECONDS)
    assert (tally.lost, tally.duplicated, tally.dead_lettered) == (0, 0, 0)
