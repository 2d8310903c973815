"""Kafka publishing: the only module that imports kafka.

One message per quote, key = slug (so a coin's history stays in one partition
and in order), value = schema-v1 JSON; acks=all, idempotent, compressed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from cryptoviz_core.schema import QuoteV1
from scraper_service.exceptions import PublishError

log = logging.getLogger(__name__)

ADMIN_TIMEOUT_MS = 30_000
LINGER_MS = 5
# Per request; the producer retries within delivery_timeout, which must exceed
# linger + request timeout (kafka-python refuses the config otherwise).
REQUEST_TIMEOUT_MS = 10_000
COMPRESSION = "gzip"  # built into kafka-python; lz4/zstd need extra native packages


def ensure_topic(
    bootstrap: str,
    topic: str,
    partitions: int,
    replication: int,
    retention_ms: int,
    **security: Any,
) -> bool:
    """Create ``topic`` with these settings unless it exists. Idempotent.

    ``security``: `ServiceSettings.kafka_security()`. Returns True if it was
    created now. An existing topic is left as it is. Raises KafkaError if the
    cluster cannot be reached.
    """
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=ADMIN_TIMEOUT_MS, **security
    )
    try:
        if topic in admin.list_topics():
            return False
        new = NewTopic(
            topic,
            num_partitions=partitions,
            replication_factor=replication,
            topic_configs={"retention.ms": str(retention_ms)},
        )
        try:
            admin.create_topics([new], timeout_ms=ADMIN_TIMEOUT_MS)
        except TopicAlreadyExistsError:
            return False  # another scraper created it between list and create
        log.info(
            "topic created",
            extra={"topic": topic, "partitions": partitions, "retention_ms": retention_ms},
        )
        return True
    finally:
        admin.close()


class Publisher:
    """A long-lived idempotent producer. `start` connects; `write` blocks until acked."""

    def __init__(
        self, bootstrap: str, topic: str, delivery_timeout_s: float = 30.0, **security: Any
    ) -> None:
        """``security``: `ServiceSettings.kafka_security()` (empty for PLAINTEXT)."""
        self.bootstrap, self.topic = bootstrap, topic
        self.delivery_timeout_s = delivery_timeout_s
        self._security = security
        self._producer: KafkaProducer | None = None

    def start(self) -> None:
        """Connect the producer. Idempotent. Raises KafkaError if Kafka is unreachable."""
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.bootstrap,
                acks="all",
                enable_idempotence=True,
                compression_type=COMPRESSION,
                linger_ms=LINGER_MS,
                request_timeout_ms=REQUEST_TIMEOUT_MS,
                delivery_timeout_ms=int(self.delivery_timeout_s * 1000),
                # Topics are created explicitly, with their partitions and retention.
                allow_auto_create_topics=False,
                **self._security,
            )

    def write(self, quotes: Sequence[QuoteV1]) -> int:
        """Send every quote and wait for the acknowledgements; returns how many were acked.

        The producer retries internally up to the delivery timeout; quotes still
        unacknowledged then are logged. Raises PublishError if none was acknowledged.
        """
        self.start()
        assert self._producer is not None
        futures = [
            (q.slug, self._producer.send(self.topic, key=q.slug.encode(), value=q.to_json()))
            for q in quotes
        ]
        try:
            self._producer.flush(timeout=self.delivery_timeout_s)
        except KafkaTimeoutError:
            # Records expire at the delivery timeout, a race with this flush's own
            # timeout: each future below says what became of its quote.
            log.warning("flush timed out", extra={"timeout_s": self.delivery_timeout_s})
        acked, failed = 0, []
        for slug, future in futures:
            try:
                future.get(timeout=0.001 if future.is_done else self.delivery_timeout_s)
                acked += 1
            except KafkaError as err:
                failed.append((slug, type(err).__name__))
        if failed:
            log.error(
                "messages not acknowledged", extra={"count": len(failed), "first": failed[:5]}
            )
            if not acked:
                raise PublishError(f"no message acknowledged ({failed[0][1]})")
        return acked

    def close(self) -> None:
        """Flush and close the producer. Idempotent."""
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=self.delivery_timeout_s)
