"""Dead letters: records the indexer will never store, and the producer that parks them.

A dead letter keeps the original key and payload byte for byte; the headers say
why it failed and where it came from, so it can be inspected or replayed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from cryptoviz_core.retry import Backoff, RetryLater, retry
from indexer_service.batch import Record

log = logging.getLogger(__name__)

# Why a record was dead-lettered, besides cryptoviz_core.schema's SchemaError reasons.
REASON_REJECTED = "elasticsearch-rejected"

HEADER_REASON = "dlq.reason"
HEADER_ERROR = "dlq.error"
HEADER_TOPIC = "dlq.source.topic"
HEADER_PARTITION = "dlq.source.partition"
HEADER_OFFSET = "dlq.source.offset"
# Error details can be long (Elasticsearch stack causes); headers should stay small.
MAX_ERROR_CHARS = 2000

PRODUCER_DELIVERY_TIMEOUT_MS = 30_000
PRODUCER_REQUEST_TIMEOUT_MS = 10_000
PRODUCER_MAX_BLOCK_MS = 30_000
# flush() waits at most delivery.timeout.ms plus this margin.
FLUSH_MARGIN_S = 5.0


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record that cannot be stored, with a machine-readable reason and a human detail."""

    record: Record
    reason: str
    detail: str

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers for the DLQ message: the record's own headers, then ours.

        A null header value of the record becomes empty: the producer takes bytes only.
        """
        ours = [
            (HEADER_REASON, self.reason.encode()),
            (HEADER_ERROR, self.detail[:MAX_ERROR_CHARS].encode("utf-8", "replace")),
            (HEADER_TOPIC, self.record.topic.encode()),
            (HEADER_PARTITION, str(self.record.partition).encode()),
            (HEADER_OFFSET, str(self.record.offset).encode()),
        ]
        names = {name for name, _ in ours}
        return [(k, v or b"") for k, v in self.record.headers if k not in names] + ours


class DeadLetterProducer:
    """Writes dead letters to the DLQ topic and waits until Kafka acknowledged them.

    `start()` connects; the constructor makes no network call.
    """

    def __init__(
        self, bootstrap_servers: str, topic: str, backoff: Backoff, **producer_config: Any
    ) -> None:
        self.topic = topic
        self._bootstrap = bootstrap_servers
        self._backoff = backoff
        self._config = producer_config
        self._producer: KafkaProducer | None = None

    def start(self) -> None:
        """Connect to Kafka. Raises kafka's NoBrokersAvailable when no broker answers."""
        self._producer = KafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id="cryptoviz-indexer-dlq",
            acks="all",
            delivery_timeout_ms=PRODUCER_DELIVERY_TIMEOUT_MS,
            request_timeout_ms=PRODUCER_REQUEST_TIMEOUT_MS,
            max_block_ms=PRODUCER_MAX_BLOCK_MS,
            **self._config,
        )

    def send_all(self, letters: Sequence[DeadLetter], wait: Callable[[float], None]) -> None:
        """Write ``letters`` and return once every one is acknowledged (acks=all).

        Failed sends are retried with the service backoff; ``wait(seconds)`` sleeps
        between attempts (and may raise Interrupted). Raises GaveUp when the
        attempts are exhausted. Retried letters may be duplicated in the DLQ.
        """
        if self._producer is None:
            raise RuntimeError("DeadLetterProducer.start() was not called")
        producer = self._producer
        pending = list(letters)

        def attempt() -> None:
            nonlocal pending
            failed: list[DeadLetter] = []
            error: Exception | None = None
            futures = []
            for letter in pending:
                try:
                    future = producer.send(
                        self.topic,
                        value=letter.record.value,
                        key=letter.record.key,
                        headers=letter.headers(),
                    )
                except KafkaError as err:  # metadata unavailable within max.block.ms
                    failed.append(letter)
                    error = err
                else:
                    futures.append((letter, future))
            try:
                producer.flush(timeout=PRODUCER_DELIVERY_TIMEOUT_MS / 1000 + FLUSH_MARGIN_S)
            except KafkaError as err:
                error = err  # the futures below tell which letters are missing
            for letter, future in futures:
                try:
                    future.get(timeout=0)
                except KafkaError as err:
                    failed.append(letter)
                    error = err
            pending = failed
            if pending:
                raise RetryLater(f"{len(pending)} dead letters not acknowledged: {error}")

        retry(
            attempt,
            "dead letter write",
            self._backoff,
            sleep=wait,
            context={"letters": len(letters)},
        )

    def close(self) -> None:
        """Flush and close the producer. Idempotent."""
        if self._producer is not None:
            self._producer.close(timeout=PRODUCER_DELIVERY_TIMEOUT_MS / 1000)
            self._producer = None
