"""Where the local stack lives and which loopback ports it takes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
_REPO_ID = hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:10]


class DevstackSettings(BaseSettings):
    """Read once from DEVSTACK_* environment variables. Ports are fixed so that
    a stack started by one command is found again by the next."""

    model_config = SettingsConfigDict(env_prefix="DEVSTACK_", frozen=True)

    home: Path = Field(
        default=REPO_ROOT / ".cache" / "devstack",
        description="Data, logs and downloads of the stack (except Elasticsearch's).",
    )
    # Elasticsearch refuses to run as root, so when we are root its files live where
    # its own user can reach them (a clone under /root is not traversable).
    elasticsearch_dir: Path = Field(
        default=Path("/var/tmp") / f"cryptoviz-devstack-{_REPO_ID}",
        description="Elasticsearch's files; the default ends in a hash of the clone's path.",
        json_schema_extra={"env_example": "/var/tmp/cryptoviz-devstack-<hash>"},
    )
    zookeeper_ports: tuple[int, int] = Field(
        default=(12181, 12182), description="Client ports of the two ZooKeeper nodes (JSON)."
    )
    # server.N=127.0.0.1:peer:election.
    zookeeper_quorum_ports: tuple[tuple[int, int], tuple[int, int]] = Field(
        default=((12888, 13888), (12889, 13889)),
        description="Peer and election ports per ZooKeeper node (JSON).",
    )
    kafka_port: int = Field(default=19092, description="Kafka listener port.")
    elasticsearch_port: int = Field(default=19200, description="Elasticsearch HTTP port.")
    elasticsearch_transport_port: int = Field(
        default=19300, description="Elasticsearch transport port."
    )
    zookeeper_heap_mb: int = Field(default=128, ge=64, description="ZooKeeper JVM heap, in MB.")
    kafka_heap_mb: int = Field(default=512, ge=256, description="Kafka JVM heap, in MB.")
    # ES wants half the container for page cache; 1 GB serves tests and benchmarks on a 24 GB box.
    elasticsearch_heap_mb: int = Field(
        default=1024, ge=256, description="Elasticsearch JVM heap, in MB."
    )
    ready_timeout_s: float = Field(
        default=120.0, gt=0, description="Seconds allowed for each server to become ready."
    )
    maven: str = Field(default="mvn", description="Maven command that fetches the Java jars.")
    # Outside the clone, so that a fresh clone (CI) imports the base image instead of
    # running debootstrap again.
    image_cache: Path = Field(
        default=Path.home() / ".cache" / "cryptoviz-devstack",
        description="Cache of the Debian base image's root file system (devstack images).",
        json_schema_extra={"env_example": "~/.cache/cryptoviz-devstack"},
    )


# Below 32768, where Linux starts handing out ephemeral client ports.
SIBLING_PORT_OFFSET = 500


def sibling_environment(settings: DevstackSettings, name: str) -> dict[str, str]:
    """DEVSTACK_* variables of a second stack beside ``settings``'s, called ``name``.

    Its ports are this stack's plus `SIBLING_PORT_OFFSET` and its files sit in
    directories suffixed with ``name``, so each checkout's (and each engineer's)
    sibling is as distinct as its first stack. ``make test`` runs the fault
    scenarios on one, which kill its servers and leave the first stack alone.
    """

    def shifted(ports: Any) -> Any:
        if isinstance(ports, int):
            return ports + SIBLING_PORT_OFFSET
        return [shifted(p) for p in ports]

    s = settings
    values: dict[str, Any] = {
        "home": s.home.with_name(f"{s.home.name}-{name}"),
        "elasticsearch_dir": s.elasticsearch_dir.with_name(f"{s.elasticsearch_dir.name}-{name}"),
        "zookeeper_ports": json.dumps(shifted(s.zookeeper_ports), separators=(",", ":")),
        "zookeeper_quorum_ports": json.dumps(
            shifted(s.zookeeper_quorum_ports), separators=(",", ":")
        ),
        "kafka_port": shifted(s.kafka_port),
        "elasticsearch_port": shifted(s.elasticsearch_port),
        "elasticsearch_transport_port": shifted(s.elasticsearch_transport_port),
    }
    return {f"DEVSTACK_{key.upper()}": str(value) for key, value in values.items()}
