"""The Kafka CLI tools the compose one-shot scripts call, from the devstack's Kafka jars."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.jdk import find_java
from devstack.stack import Stack

TOOLS = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",
}


def java_home() -> Path:
    """The JDK the devstack runs Kafka with."""
    return find_java(minimum=11, maximum=21).parent.parent


@pytest.fixture(scope="session")
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
    java = java_home() / "bin" / "java"
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
