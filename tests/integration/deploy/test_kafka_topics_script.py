"""deploy/kafka-topics.sh (the compose `topics` one-shot) against the real local Kafka.

The Kafka CLI tools it calls come from the ``kafka_tools`` fixture (conftest.py).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy" / "kafka-topics.sh"


def run_topics(
    tools: Path, bootstrap: str, quotes: str, dlq: str, partitions: int
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{tools}:{os.environ['PATH']}",
        "BOOTSTRAP_SERVER": bootstrap,
        "QUOTES_TOPIC": quotes,
        "DLQ_TOPIC": dlq,
        "QUOTES_PARTITIONS": str(partitions),
        "QUOTES_RETENTION_MS": "3600000",
        "DLQ_PARTITIONS": "1",
        "DLQ_RETENTION_MS": "7200000",
    }
    return subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def described(bootstrap: str, topic: str) -> tuple[int, str]:
    """(partition count, retention.ms) of ``topic``."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        (meta,) = admin.describe_topics([topic])
        config = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        admin.close()
    return len(meta["partitions"]), str(config["topic"][topic]["retention.ms"]["value"])


def test_topics_are_created_then_grown_never_shrunk(
    kafka_tools: Path, kafka_bootstrap: str, unique_name: Callable[[str], str]
) -> None:
    quotes, dlq = unique_name("quotes"), unique_name("dlq")

    first = run_topics(kafka_tools, kafka_bootstrap, quotes, dlq, 2)
    assert first.returncode == 0, first.stderr
    assert described(kafka_bootstrap, quotes) == (2, "3600000")
    assert described(kafka_bootstrap, dlq) == (1, "7200000")

    # KAFKA_QUOTES_PARTITIONS raised after the first start.
    grown = run_topics(kafka_tools, kafka_bootstrap, quotes, dlq, 4)
    assert grown.returncode == 0, grown.stderr
    assert f"growing {quotes} from 2 to 4 partitions" in grown.stdout
    assert described(kafka_bootstrap, quotes)[0] == 4

    lowered = run_topics(kafka_tools, kafka_bootstrap, quotes, dlq, 3)
    assert lowered.returncode == 0, lowered.stderr
    assert f"{quotes} keeps its 4 partitions, not 3: Kafka cannot remove partitions" in (
        lowered.stderr
    )
    assert described(kafka_bootstrap, quotes)[0] == 4
