"""Thin I/O over kafka-python's public API: admin, reading, writing.

Every client is made from the shared settings (TLS and SASL included) and
fails within ``CLI_TIMEOUT_S``; Kafka's errors become one-line `CliError`s
that name the address tried. Reading never joins a consumer group, so it can
commit nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import (
    ConfigResource,
    ConfigResourceType,
    KafkaAdminClient,
    OffsetSpec,
    OffsetTimestamp,
)
from kafka.errors import (
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
)

from cryptoviz.exceptions import CliError
from cryptoviz.messages import Outgoing, Record
from cryptoviz_core.settings import ServiceSettings

CLIENT_ID = "cryptoviz-cli"
# Kafka's "no such topic" error code in metadata answers.
UNKNOWN_TOPIC = UnknownTopicOrPartitionError.errno
POLL_MS = 500


class Kafka:
    """The command's Kafka connection; no network call until first used. Close it."""

    def __init__(self, settings: ServiceSettings, timeout_s: float) -> None:
        self.address = settings.kafka_bootstrap_servers
        self._timeout_ms = int(timeout_s * 1000)
        # The keyword arguments of every client: TLS and SASL come from the shared settings.
        self.config: dict[str, Any] = {
            "bootstrap_servers": self.address,
            "client_id": CLIENT_ID,
            "request_timeout_ms": self._timeout_ms + 1000,
            "bootstrap_timeout_ms": self._timeout_ms,
            **settings.kafka_security(),
        }
        self._admin: KafkaAdminClient | None = None

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turns kafka-python's errors into one line naming the broker address."""
        try:
            yield
        except (KafkaConnectionError, KafkaTimeoutError) as err:
            raise CliError(
                f"cannot reach Kafka at {self.address} (KAFKA_BOOTSTRAP_SERVERS): {err}"
            ) from None
        except KafkaError as err:
            raise CliError(f"Kafka at {self.address}: {err}") from None

    def admin(self) -> KafkaAdminClient:
        if self._admin is None:
            with self.errors():
                self._admin = KafkaAdminClient(**self.config)
        return self._admin

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    # -- topics ------------------------------------------------------------

    def topics(self) -> list[str]:
        """Names of the topics, internal ones left out, sorted."""
        with self.errors():
            described = self.admin().describe_topics()
        return sorted(t["name"] for t in described if not t["is_internal"])

    def describe(self, topic: str) -> dict[str, Any]:
        """The topic's metadata (partitions, leaders, replicas). CliError when unknown."""
        with self.errors():
            (described,) = self.admin().describe_topics([topic])
        if described["error_code"] == UNKNOWN_TOPIC:
            raise CliError(f"unknown topic {topic!r} on {self.address}")
        if described["error_code"]:
            raise CliError(f"topic {topic!r}: Kafka error code {described['error_code']}")
        return dict(described)

    def partitions(self, topic: str) -> list[int]:
        """The topic's partition ids, sorted. CliError when unknown."""
        return sorted(p["partition_index"] for p in self.describe(topic)["partitions"])

    def configs(self, topic: str) -> dict[str, dict[str, Any]]:
        """Every config of the topic: name -> value, source, and whether it is a default."""
        with self.errors():
            found = self.admin().describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all"
            )
        return dict(found["topic"][topic])

    def create(
        self, topic: str, partitions: int, replication: int, configs: Mapping[str, str]
    ) -> None:
        with self.errors():
            try:
                self.admin().create_topics(
                    {
                        topic: {
                            "num_partitions": partitions,
                            "replication_factor": replication,
                            "configs": dict(configs),
                        }
                    },
                    timeout_ms=self._timeout_ms,
                )
            except TopicAlreadyExistsError:
                raise CliError(f"topic {topic!r} already exists on {self.address}") from None

    def delete(self, topic: str) -> None:
        self.describe(topic)  # an unknown topic is named as such
        with self.errors():
            self.admin().delete_topics([topic], timeout_ms=self._timeout_ms)

    # -- offsets -----------------------------------------------------------

    def offsets(self, topic: str, partitions: Sequence[int], spec: int) -> dict[int, int | None]:
        """Per partition, the offset for ``spec`` (OffsetSpec or OffsetTimestamp); None when
        no record matches (a time after the newest record)."""
        with self.errors():
            found = self.admin().list_partition_offsets(
                {TopicPartition(topic, p): spec for p in partitions}, timeout_ms=self._timeout_ms
            )
        return {tp.partition: (None if o.offset < 0 else int(o.offset)) for tp, o in found.items()}

    def bounds(
        self, topic: str, partitions: Sequence[int]
    ) -> tuple[dict[int, int], dict[int, int]]:
        """Per partition, the earliest retained offset and the next offset to be written."""
        earliest = self.offsets(topic, partitions, OffsetSpec.EARLIEST)
        latest = self.offsets(topic, partitions, OffsetSpec.LATEST)
        return (
            {p: o or 0 for p, o in earliest.items()},
            {p: o or 0 for p, o in latest.items()},
        )

    def at_time(self, topic: str, partitions: Sequence[int], millis: int) -> dict[int, int | None]:
        """Per partition, the first offset whose timestamp is at or after ``millis``."""
        return self.offsets(topic, partitions, OffsetTimestamp(millis))

    def newest_timestamp(self, topic: str, partitions: Sequence[int]) -> list[int | None]:
        """Per partition, the highest record timestamp (epoch ms); None for an empty one."""
        with self.errors():
            found = self.admin().list_partition_offsets(
                {TopicPartition(topic, p): OffsetSpec.MAX_TIMESTAMP for p in partitions},
                timeout_ms=self._timeout_ms,
            )
        return [
            None if o.offset < 0 or o.timestamp < 0 else int(o.timestamp) for o in found.values()
        ]

    # -- consumer groups ---------------------------------------------------

    def members(self, group: str) -> list[str]:
        """Client ids of the group's active members ([] when it is empty or unknown)."""
        with self.errors():
            described = self.admin().describe_groups([group])[group]
        return [str(m.get("client_id") or m["member_id"]) for m in described["members"]]

    def committed(self, group: str, topic: str) -> dict[int, int | None]:
        """The group's committed offset per partition of ``topic`` it has committed on."""
        with self.errors():
            found = self.admin().list_group_offsets(group).get(group, {})
        return {tp.partition: meta.offset for tp, meta in found.items() if tp.topic == topic}

    def rewind(
        self, group: str, topic: str, partitions: Sequence[int], spec: int
    ) -> dict[int, int]:
        """Commit the group's offsets at ``spec`` (OffsetSpec.EARLIEST or OffsetTimestamp).

        Kafka refuses while the group has members; that refusal is raised as CliError.
        """
        with self.errors():
            results = self.admin().reset_group_offsets(
                group, {TopicPartition(topic, p): spec for p in partitions}
            )
        failed = {
            tp.partition: r["error"].__name__ for tp, r in results.items() if r["error"].errno
        }
        if failed:
            raise CliError(f"Kafka refused to rewind group {group!r}: {failed}")
        return {tp.partition: int(r["offset"]) for tp, r in results.items()}

    def zookeeper_connect(self) -> str:
        """The broker's own ``zookeeper.connect``: where its ensemble is."""
        with self.errors():
            broker = self.admin().describe_cluster()["brokers"][0]["broker_id"]
            resource = ConfigResource(
                ConfigResourceType.BROKER, str(broker), {"zookeeper.connect": None}
            )
            found = self.admin().describe_configs([resource], config_filter="all")
        return str(found["broker"][str(broker)]["zookeeper.connect"]["value"])

    # -- records -----------------------------------------------------------

    def read(
        self,
        topic: str,
        starts: Mapping[int, int],
        ends: Mapping[int, int] | None,
        stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[Record]:
        """Records of ``topic`` from ``starts`` per partition, in each partition's order.

        Stops once every partition reached its offset in ``ends``; with ``ends``
        None it follows new records until ``stop()`` says so. No consumer group:
        nothing is ever committed.
        """
        with self.errors():
            consumer = KafkaConsumer(
                group_id=None,
                enable_auto_commit=False,
                allow_auto_create_topics=False,
                **self.config,
            )
        try:
            assigned = [TopicPartition(topic, p) for p in sorted(starts)]
            consumer.assign(assigned)
            for tp in assigned:
                consumer.seek(tp, starts[tp.partition])
            pending = {p for p in starts if ends is None or starts[p] < ends[p]}
            while pending and not stop():
                with self.errors():
                    fetched = consumer.poll(timeout_ms=POLL_MS)
                for tp, records in sorted(fetched.items(), key=lambda item: item[0].partition):
                    for record in records:
                        if ends is not None and record.offset >= ends[tp.partition]:
                            break
                        yield record
                if ends is not None:
                    with self.errors():
                        pending = {
                            p
                            for p in pending
                            if consumer.position(TopicPartition(topic, p)) < ends[p]
                        }
        finally:
            consumer.close(autocommit=False)

    def produce(self, topic: str, messages: Sequence[Outgoing]) -> int:
        """Send ``messages`` (to ``topic`` unless one names its own) and wait until Kafka
        acknowledged each (acks=all). Returns how many; CliError on a failure."""
        with self.errors():
            producer = KafkaProducer(acks="all", max_block_ms=self._timeout_ms, **self.config)
        try:
            with self.errors():
                futures = [
                    producer.send(
                        m.topic or topic, key=m.key, value=m.value, headers=list(m.headers)
                    )
                    for m in messages
                ]
                producer.flush(timeout=self._timeout_ms / 1000 + 30)
                for future in futures:
                    future.get(timeout=0)
        finally:
            producer.close(timeout=self._timeout_ms / 1000)
        return len(futures)
