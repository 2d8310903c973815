"""Indexer settings: the shared connection fields plus ``INDEXER_*`` tunables.

Read once at start-up from the environment (then ``.env``); the convention is
cryptoviz_core.settings's: ``INDEXER_`` plus the field name, e.g. ``INDEXER_TOPIC``.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from cryptoviz_core.names import DLQ_TOPIC, INDEXER_GROUP, QUOTES_INDEX_PREFIX, QUOTES_TOPIC
from cryptoviz_core.retry import Backoff
from cryptoviz_core.settings import ServiceSettings


class IndexerSettings(ServiceSettings):
    """Everything the indexer reads from its environment. Frozen."""

    model_config = SettingsConfigDict(env_prefix="INDEXER_")

    # Where to read and where to dead-letter.
    topic: str = Field(default=QUOTES_TOPIC, description="Kafka topic read.")
    dlq_topic: str = Field(
        default=DLQ_TOPIC,
        description="Dead-letter topic for invalid messages.",
    )
    consumer_group: str = Field(
        default=INDEXER_GROUP,
        description="Kafka consumer group.",
    )

    # Daily indices are ``<index_prefix>-YYYY.MM.DD``; the template matches ``<index_prefix>-*``.
    index_prefix: str = Field(
        default=QUOTES_INDEX_PREFIX,
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        description="Prefix of the daily indices.",
    )
    index_shards: int = Field(
        default=1,
        ge=1,
        description="Primary shards per daily index.",
    )
    # 0 suits the single-node stacks; a multi-node cluster should set 1.
    index_replicas: int = Field(
        default=0,
        ge=0,
        description="Replicas per daily index.",
    )
    index_refresh_interval: str = Field(
        default="1s",
        description="Refresh interval of the daily indices (Elasticsearch duration).",
    )

    # A batch is written when any limit is reached; bench/index.py compares settings.
    batch_max_docs: int = Field(
        default=5000,
        ge=1,
        description="Batch size limit, in documents.",
    )
    batch_max_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1024,
        description="Batch size limit, in bytes (5 MiB).",
    )
    # Freshness: a scraped page (100 quotes) fills no batch, so it waits the whole linger
    # before its bulk; bench/freshness.py holds the path under its target with 0.25 s.
    # The cost is more, smaller bulk requests while the input is slow; a backlog still
    # fills batches by size.
    batch_linger_s: float = Field(
        default=0.25,
        gt=0,
        description="Batch age limit, in seconds.",
    )
    # A batch is split into bulk requests of this many documents, sent concurrently.
    bulk_chunk_docs: int = Field(
        default=1000,
        ge=1,
        description="Documents per bulk request.",
    )
    bulk_parallelism: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Bulk requests sent concurrently.",
    )

    # Retries of retryable Elasticsearch failures (429, 5xx, connection loss) and of
    # DLQ writes: exponential, capped, and given up after ``retry_max_attempts``, at
    # which point the service stops without committing (Kafka still holds the data).
    retry_initial_s: float = Field(
        default=0.5,
        gt=0,
        description="First retry wait, in seconds.",
    )
    retry_max_s: float = Field(
        default=30.0,
        gt=0,
        description="Retry wait cap, in seconds.",
    )
    retry_max_attempts: int = Field(
        default=40,
        ge=1,
        description="Attempts before the service stops.",
    )

    retention_days: int = Field(
        default=30,
        ge=1,
        description="Daily indices older than this many whole UTC days are deleted.",
    )
    retention_interval_s: float = Field(
        default=3600.0,
        gt=0,
        description="Seconds between two retention passes.",
    )
    stats_interval_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds between two stats log lines (and heartbeats).",
    )

    # Consumer: max.poll.interval.ms bounds the time between two polls. The service
    # polls at least every ``poll_timeout_s`` even while it backs off, so this only
    # has to exceed the longest single bulk request.
    max_poll_interval_ms: int = Field(
        default=300_000,
        ge=10_000,
        description="Kafka max.poll.interval.ms.",
    )
    session_timeout_ms: int = Field(
        default=30_000,
        ge=6_000,
        description="Kafka session.timeout.ms: a silent consumer is dropped after it.",
    )
    poll_timeout_s: float = Field(
        default=0.5,
        gt=0,
        le=5,
        description="Longest wait of one Kafka poll, in seconds.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> IndexerSettings:
        if self.retry_initial_s > self.retry_max_s:
            raise ValueError("INDEXER_RETRY_INITIAL_S must not exceed INDEXER_RETRY_MAX_S")
        if self.topic == self.dlq_topic:
            raise ValueError("INDEXER_DLQ_TOPIC must differ from INDEXER_TOPIC")
        return self

    def backoff(self) -> Backoff:
        """The one retry policy of the service, for Elasticsearch and DLQ writes alike."""
        return Backoff(
            initial=self.retry_initial_s,
            maximum=self.retry_max_s,
            max_attempts=self.retry_max_attempts,
        )
