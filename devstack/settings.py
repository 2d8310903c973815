"""Where the local stack lives and which loopback ports it takes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
_REPO_ID = hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:10]


class DevstackSettings(BaseSettings):
    """Read once from DEVSTACK_* environment variables. Ports are fixed so that
    a stack started by one command is found again by the next."""

    model_config = SettingsConfigDict(env_prefix="DEVSTACK_", frozen=True)

    home: Path = REPO_ROOT / ".cache" / "devstack"
    # Elasticsearch refuses to run as root, so when we are root its files live where
    # its own user can reach them (a clone under /root is not traversable).
    elasticsearch_dir: Path = Path("/var/tmp") / f"cryptoviz-devstack-{_REPO_ID}"
    zookeeper_ports: tuple[int, int] = (12181, 12182)
    # Peer and election ports per node: server.N=127.0.0.1:peer:election.
    zookeeper_quorum_ports: tuple[tuple[int, int], tuple[int, int]] = (
        (12888, 13888),
        (12889, 13889),
    )
    kafka_port: int = 19092
    elasticsearch_port: int = 19200
    elasticsearch_transport_port: int = 19300
    zookeeper_heap_mb: int = Field(default=128, ge=64)
    kafka_heap_mb: int = Field(default=512, ge=256)
    # ES wants half the container for page cache; 1 GB serves tests and benchmarks on a 24 GB box.
    elasticsearch_heap_mb: int = Field(default=1024, ge=256)
    ready_timeout_s: float = Field(default=120.0, gt=0)
    maven: str = "mvn"
