"""Reading a ZooKeeper node's role from its srvr answer."""

from __future__ import annotations

import socket
import threading

import pytest

from cryptoviz import zookeeper


def test_srvr_mode_parsing() -> None:
    assert zookeeper.SERVING.search("Zookeeper version: 3.8.4\nMode: follower\nNode count: 5\n")
    assert not zookeeper.SERVING.search(
        "This ZooKeeper instance is not currently serving requests\n"
    )


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("zookeeper1:2181", ("zookeeper1", 2181)),
        ("127.0.0.1:12182/kafka", ("127.0.0.1", 12182)),
        ("zk", ("zk", 2181)),
    ],
)
def test_addresses(address: str, expected: tuple[str, int]) -> None:
    assert zookeeper.split_address(address) == expected


def serve_once(answer: bytes) -> str:
    """A one-shot server on loopback that answers ``answer``; returns its address."""
    server = socket.create_server(("127.0.0.1", 0))

    def run() -> None:
        conn, _ = server.accept()
        with conn, server:
            conn.recv(16)
            conn.sendall(answer)

    threading.Thread(target=run, daemon=True).start()
    return f"127.0.0.1:{server.getsockname()[1]}"


def test_probe_tells_serving_from_quorumless_from_unreachable() -> None:
    assert zookeeper.probe(serve_once(b"Mode: leader\n"), 2) == ("leader", None)
    mode, why = zookeeper.probe(serve_once(b"This ZooKeeper instance is not serving\n"), 2)
    assert mode is None
    assert why is not None
    assert why.startswith("not serving")
    closed = socket.create_server(("127.0.0.1", 0))
    address = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    mode, why = zookeeper.probe(address, 2)
    assert mode is None
    assert why is not None
    assert why.startswith("no answer")
