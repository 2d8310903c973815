"""Batch readiness and the offsets it commits."""

from indexer_service.batch import Batch
from tests.support.indexer_fakes import FakeClock, record


def _batch(clock: FakeClock, docs: int = 3, size: int = 1000, linger: float = 1.0) -> Batch:
    return Batch(max_docs=docs, max_bytes=size, linger_s=linger, clock=clock)


def test_empty_batch_is_never_ready() -> None:
    clock = FakeClock()
    batch = _batch(clock)
    clock.sleep(100)
    assert not batch.is_ready()
    assert batch.commit_offsets() == {}


def test_ready_by_count() -> None:
    batch = _batch(FakeClock(), docs=2)
    batch.extend([record(b"x", 0)])
    assert not batch.is_ready()
    batch.extend([record(b"x", 1)])
    assert batch.is_ready()
    assert batch.is_full()
    assert batch.room == 0


def test_ready_by_bytes() -> None:
    batch = _batch(FakeClock(), docs=100, size=10)
    batch.extend([record(b"12345678", 0)])  # 8 + key 1 = 9 bytes
    assert not batch.is_ready()
    batch.extend([record(b"1", 1)])
    assert batch.size_bytes == 11
    assert batch.is_ready()


def test_ready_by_age_of_first_record() -> None:
    clock = FakeClock()
    batch = _batch(clock, docs=100, linger=1.0)
    clock.sleep(5)  # time before the first record does not count
    batch.extend([record(b"x", 0)])
    clock.sleep(0.9)
    assert not batch.is_ready()
    clock.sleep(0.1)
    assert batch.is_ready()


def test_commit_offsets_are_max_plus_one_per_partition() -> None:
    batch = _batch(FakeClock(), docs=100)
    for partition, offset in [(0, 5), (1, 10), (0, 7), (0, 6), (1, 3)]:
        batch.extend([record(b"x", offset, partition=partition)])
    batch.extend([record(b"x", 0, partition=0, topic="other")])
    assert batch.commit_offsets() == {("t", 0): 8, ("t", 1): 11, ("other", 0): 1}


def test_clear_resets_everything() -> None:
    clock = FakeClock()
    batch = _batch(clock)
    batch.extend([record(b"x", 0)])
    clock.sleep(10)
    batch.clear()
    assert len(batch) == 0
    assert batch.size_bytes == 0
    assert batch.age() == 0
    assert not batch.is_ready()
