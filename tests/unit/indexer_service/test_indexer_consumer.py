"""The kafka-python wrapper: commit requests, hold/release, rewind while held."""

from collections import namedtuple
from typing import Any

from kafka import TopicPartition
from kafka.errors import CommitFailedError, KafkaTimeoutError
from kafka.structs import OffsetAndMetadata

from indexer_service.consumer import QuoteConsumer

Message = namedtuple("Message", "topic partition offset key value headers timestamp")


class InnerConsumer:
    """Stands in for KafkaConsumer: records calls, answers from a script."""

    def __init__(self, batches: list[dict[Any, list[Message]]] | None = None) -> None:
        self.batches = batches or []
        self.assigned = {TopicPartition("t", 0), TopicPartition("t", 1)}
        self.paused_set: set[TopicPartition] = set()
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.commits: list[dict[TopicPartition, OffsetAndMetadata]] = []
        self.commit_error: Exception | None = None

    def poll(self, timeout_ms: int, max_records: int | None = None) -> dict[Any, list[Message]]:
        return self.batches.pop(0) if self.batches else {}

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def pause(self, *tps: TopicPartition) -> None:
        self.paused_set |= set(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused_set -= set(tps)

    def paused(self) -> set[TopicPartition]:
        return set(self.paused_set)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))

    def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata], timeout_ms: int) -> None:
        if self.commit_error is not None:
            raise self.commit_error
        self.commits.append(offsets)


def _wrapper(inner: InnerConsumer) -> QuoteConsumer:
    consumer = QuoteConsumer("127.0.0.1:1", "t", "g")
    consumer._consumer = inner  # type: ignore[assignment]
    return consumer


def _msgs(partition: int, *offsets: int) -> list[Message]:
    return [Message("t", partition, o, b"k", b"v", [("h", b"1")], 5) for o in offsets]


def test_poll_flattens_messages_into_records() -> None:
    tp0, tp1 = TopicPartition("t", 0), TopicPartition("t", 1)
    consumer = _wrapper(InnerConsumer([{tp0: _msgs(0, 7, 8), tp1: _msgs(1, 3)}]))
    records = consumer.poll(0.1)
    assert [(r.partition, r.offset, r.value, r.headers) for r in records] == [
        (0, 7, b"v", [("h", b"1")]),
        (0, 8, b"v", [("h", b"1")]),
        (1, 3, b"v", [("h", b"1")]),
    ]


def test_hold_pauses_everything_and_release_resumes() -> None:
    inner = InnerConsumer()
    consumer = _wrapper(inner)
    consumer.hold()
    assert inner.paused_set == inner.assigned
    consumer.release()
    assert inner.paused_set == set()


def test_records_arriving_while_held_are_rewound_not_returned() -> None:
    tp1 = TopicPartition("t", 1)
    inner = InnerConsumer([{tp1: _msgs(1, 40, 41, 42)}])
    consumer = _wrapper(inner)
    consumer.hold()
    assert consumer.poll(0.1) == []
    assert inner.seeks == [(tp1, 40)]  # fetched again from the first one after release


def test_commit_sends_offset_and_metadata_per_partition() -> None:
    inner = InnerConsumer()
    assert _wrapper(inner).commit({("t", 0): 10, ("t", 1): 3})
    assert inner.commits == [
        {
            TopicPartition("t", 0): OffsetAndMetadata(10, "", -1),
            TopicPartition("t", 1): OffsetAndMetadata(3, "", -1),
        }
    ]


def test_commit_failures_are_reported_not_raised() -> None:
    inner = InnerConsumer()
    consumer = _wrapper(inner)
    inner.commit_error = CommitFailedError("rebalanced")
    assert consumer.commit({("t", 0): 1}) is False
    inner.commit_error = KafkaTimeoutError("coordinator down")
    assert consumer.commit({("t", 0): 1}) is False
    assert consumer.commit({}) is True  # nothing to commit is not a failure
