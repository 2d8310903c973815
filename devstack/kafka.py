"""The Kafka broker in ZooKeeper mode: configuration and readiness."""

from __future__ import annotations

from pathlib import Path

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from devstack import zookeeper

MAIN_CLASS = "kafka.Kafka"
BROKER_ID = 0
METADATA_TIMEOUT_MS = 3000
# zookeeper.session.timeout.ms is 18 s by default; a little more covers the ensemble's tick.
SESSION_EXPIRY_S = 30.0


def write_config(data_dir: Path, port: int, zookeeper_ports: list[int]) -> Path:
    """Write ``server.properties`` for one loopback broker; returns its path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    connect = ",".join(f"127.0.0.1:{p}" for p in zookeeper_ports)
    config = data_dir / "server.properties"
    config.write_text(
        f"""broker.id={BROKER_ID}
listeners=PLAINTEXT://127.0.0.1:{port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
log.dirs={data_dir / "logs"}
zookeeper.connect={connect}
zookeeper.connection.timeout.ms=18000
num.partitions=1
# One broker: internal topics cannot have more than one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# Services create their topics explicitly; a typo must fail, not create a topic.
auto.create.topics.enable=false
"""
    )
    return config


def write_log4j(path: Path) -> Path:
    """Console logging for both Kafka and ZooKeeper (their output goes to the .log file)."""
    path.write_text(
        """log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
"""
    )
    return path


def answers_metadata(bootstrap: str) -> bool:
    """True when the broker answers a metadata request listing itself."""
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=METADATA_TIMEOUT_MS,
            client_id="devstack-probe",
        )
    except KafkaError:
        return False
    try:
        brokers = admin.describe_cluster().get("brokers", [])
        return any(b.get("broker_id") == BROKER_ID for b in brokers)
    except KafkaError:
        return False
    finally:
        admin.close()


def registered_in_zookeeper(zookeeper_ports: list[int]) -> bool:
    """True when ``/brokers/ids/<id>`` is an ephemeral node on the ensemble's leader."""
    marker = f"/brokers/ids/{BROKER_ID}"
    for port in zookeeper_ports:
        try:
            if marker in zookeeper.ephemeral_paths(port):
                return True
        except OSError:
            continue
    return False
