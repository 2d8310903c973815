"""Topic clean-up shared by the benchmarks that create a Kafka topic per run."""

from __future__ import annotations

from kafka import KafkaAdminClient


def delete_topic(kafka: str, topic: str) -> None:
    """Delete a run's topic: on the shared stack, runs would otherwise pile them up."""
    admin = KafkaAdminClient(bootstrap_servers=kafka)
    try:
        admin.delete_topics([topic])
    finally:
        admin.close()
