"""deploy/kafka-topics.sh (the compose `topics` one-shot) against the real local Kafka.

The Kafka CLI tools it calls (``kafka-topics``, ``kafka-configs``, as the cp-kafka
image names them) are the broker's own classes, run from the devstack's Kafka jars.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from devstack.jdk import find_java
from devstack.stack import Stack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy" / "kafka-topics.sh"
TOOLS = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",
}


@pytest.fixture(scope="module")
def kafka_tools(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of ``kafka-topics`` and ``kafka-configs`` commands, as in cp-kafka."""
    bin_dir = tmp_path_factory.mktemp("kafka-bin")
    log4j = bin_dir / "log4j.properties"
    log4j.write_text(
        "log4j.rootLogger=WARN, stderr\n"
        "log4j.appender.stderr=org.apache.log4j.ConsoleAppender\n"
        "log4j.appender.stderr.Target=System.err\n"
        "log4j.appender.stderr.layout=org.apache.log4j.PatternLayout\n"
    )
    java = find_java(minimum=11, maximum=21)
    stack.fetch()
    for name, main_class in TOOLS.items():
        tool = bin_dir / name
        tool.write_text(
            "#!/bin/sh\n"
            f'exec {java} -Xmx128m -Dlog4j.configuration=file:{log4j} -cp "{stack.kafka_lib}/*" '
            f'{main_class} "$@"\n'
        )
        tool.chmod(0o755)
    return bin_dir


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
