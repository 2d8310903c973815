"""The devstack CLI: JSON on success, one clear line and nothing left running on failure."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.processes import ServerProcess
from devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.integration


def devstack_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip


def free_ports(count: int) -> list[int]:
    """Ports free right now: bound together so the kernel hands out distinct ones."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def test_up_is_idempotent_and_status_reports_each_service(stack: Stack) -> None:
    up = devstack_cli("up")
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout) == {
        "zookeeper": stack.endpoints.zookeeper,
        "kafka": stack.endpoints.kafka,
        "elasticsearch": stack.endpoints.elasticsearch,
    }
    status = devstack_cli("status")
    assert status.returncode == 0, status.stdout
    report = json.loads(status.stdout)
    assert [node["ok"] for node in report["zookeeper"]] == [True, True]
    assert report["kafka"] == {"address": stack.endpoints.kafka, "ok": True}
    assert report["elasticsearch"]["ok"] is True


def test_port_conflict_is_one_line_and_leaves_nothing_running(stack: Stack, tmp_path: Path) -> None:
    zk = free_ports(6)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = devstack_cli(
            "up",
            env={
                "DEVSTACK_HOME": str(tmp_path),
                # The ZooKeeper nodes start, then the broker's port is taken: they must be stopped.
                "DEVSTACK_ZOOKEEPER_PORTS": json.dumps(zk[:2]),
                "DEVSTACK_ZOOKEEPER_QUORUM_PORTS": json.dumps([zk[2:4], zk[4:6]]),
                "DEVSTACK_KAFKA_PORT": str(port),
                "DEVSTACK_ELASTICSEARCH_DIR": str(stack.settings.elasticsearch_dir),
            },
        )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"port {port} for kafka is already in use" in lines[0]
    assert "DEVSTACK_KAFKA_PORT" in lines[0]
    state = tmp_path / "state"
    assert (state / "zookeeper1.log").exists(), "the ensemble should have been started first"
    assert all(ServerProcess(name, state).pid() is None for name in SERVICES)
    assert not list(state.glob("*.pid"))
    # The real stack was not disturbed.
    assert all(stack.status().values())
