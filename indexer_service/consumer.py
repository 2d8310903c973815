"""Thin wrapper around kafka-python's KafkaConsumer: manual commits, hold and release.

Offsets are committed only by `commit()`, with the offsets the caller names.
While a batch is being retried the service `hold()`s: every assigned partition
is paused, yet the service keeps calling `poll()` so the consumer stays in its
group (max.poll.interval.ms) without buffering more records.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata

from indexer_service.batch import Partition, Record

log = logging.getLogger(__name__)

COMMIT_TIMEOUT_MS = 10_000
LAG_TIMEOUT_MS = 5_000
CLOSE_TIMEOUT_MS = 10_000


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Keeps newly assigned partitions paused while the consumer is held."""

    def __init__(self, owner: QuoteConsumer) -> None:
        self._owner = owner

    def on_partitions_revoked(self, revoked: Any) -> None:
        # Offsets of a batch in flight for these partitions will fail to commit;
        # the new owner re-reads them and the deterministic ids make that harmless.
        log.info("partitions revoked", extra={"partitions": sorted(map(str, revoked))})

    def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("partitions assigned", extra={"partitions": sorted(map(str, assigned))})
        if self._owner.held and assigned:
            self._owner._consumer_or_fail().pause(*assigned)


class QuoteConsumer:
    """Consumes one topic in a consumer group; the constructor makes no network call."""

    def __init__(self, bootstrap_servers: str, topic: str, group_id: str, **config: Any) -> None:
        self.topic = topic
        self._bootstrap = bootstrap_servers
        self._group_id = group_id
        self._config = config
        self._consumer: KafkaConsumer | None = None
        self.held = False

    def start(self) -> None:
        """Connect, join the group and subscribe. Raises NoBrokersAvailable if Kafka is down."""
        self._consumer = KafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self._group_id,
            client_id="cryptoviz-indexer",
            enable_auto_commit=False,  # offsets are committed only after the write
            auto_offset_reset="earliest",  # a new group indexes what is retained
            **self._config,
        )
        self._consumer.subscribe([self.topic], listener=_Listener(self))
        # The topic's partitions fetched before the first poll joins the group: else the
        # first assignment is made without them (nothing assigned, or metadata that
        # changes right after), and a second rebalance follows when they arrive.
        self._consumer.partitions_for_topic(self.topic)

    def _consumer_or_fail(self) -> KafkaConsumer:
        if self._consumer is None:
            raise RuntimeError("QuoteConsumer.start() was not called")
        return self._consumer

    def poll(self, timeout_s: float, max_records: int | None = None) -> list[Record]:
        """Records fetched within ``timeout_s``, in partition order; [] while held.

        Also keeps the group membership alive: call it at least every
        max.poll.interval.ms.
        """
        consumer = self._consumer_or_fail()
        fetched = consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        records: list[Record] = [msg for messages in fetched.values() for msg in messages]
        if self.held and records:
            # A partition assigned between pause() and this poll: rewind it so the
            # records are fetched again after release(), and keep nothing in memory.
            self._rewind(records)
            return []
        return records

    def _rewind(self, records: list[Record]) -> None:
        consumer = self._consumer_or_fail()
        first: dict[Partition, int] = {}
        for r in records:
            first.setdefault((r.topic, r.partition), r.offset)
        for (topic, partition), offset in first.items():
            tp = TopicPartition(topic, partition)
            consumer.seek(tp, offset)
            consumer.pause(tp)

    def hold(self) -> None:
        """Pause every assigned partition; `poll()` then returns nothing until `release()`."""
        consumer = self._consumer_or_fail()
        self.held = True
        consumer.pause(*consumer.assignment())

    def release(self) -> None:
        """Resume every paused partition."""
        consumer = self._consumer_or_fail()
        self.held = False
        paused = consumer.paused()
        if paused:
            consumer.resume(*paused)

    def commit(self, offsets: Mapping[Partition, int]) -> bool:
        """Commit ``offsets`` (the next offset to read, per partition) synchronously.

        Returns False when the commit failed (rebalance, coordinator unreachable):
        the records will be read again, which the deterministic ids make harmless,
        and the next successful commit covers them.
        """
        if not offsets:
            return True
        consumer = self._consumer_or_fail()
        request = {
            TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
            for (topic, partition), offset in offsets.items()
        }
        try:
            consumer.commit(request, timeout_ms=COMMIT_TIMEOUT_MS)
        except CommitFailedError as err:
            log.warning("commit rejected after a rebalance", extra={"error": str(err)})
            return False
        except KafkaError as err:
            log.warning("commit failed", extra={"error": f"{type(err).__name__}: {err}"})
            return False
        return True

    def lag(self) -> int | None:
        """Messages between the consumer's position and the end of its partitions.

        None when nothing is assigned or the broker did not answer in time.
        """
        consumer = self._consumer_or_fail()
        assigned = list(consumer.assignment())
        if not assigned:
            return None
        try:
            ends = consumer.end_offsets(assigned, timeout_ms=LAG_TIMEOUT_MS)
            positions = {tp: consumer.position(tp, timeout_ms=LAG_TIMEOUT_MS) for tp in assigned}
        except KafkaError as err:
            log.debug("lag unavailable", extra={"error": str(err)})
            return None
        return sum(max(0, int(ends[tp]) - int(positions[tp])) for tp in assigned)

    def close(self) -> None:
        """Leave the group and close; commits nothing (auto-commit is off). Idempotent."""
        if self._consumer is not None:
            self._consumer.close(autocommit=False, timeout_ms=CLOSE_TIMEOUT_MS)
            self._consumer = None
