"""The two-node ZooKeeper ensemble: configuration and health by four-letter words.

A two-node ensemble needs both nodes for a quorum: it tolerates no failure.
Users asked for two; the README says what that costs.
"""

from __future__ import annotations

from pathlib import Path

from cryptoviz import zookeeper as four_letter_words

FOUR_LETTER_TIMEOUT_S = 2.0
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"


def four_letter(port: int, command: str, host: str = "127.0.0.1") -> str:
    """Send a four-letter word (``srvr``, ``dump``…) and return the whole answer."""
    return four_letter_words.four_letter(f"{host}:{port}", command, FOUR_LETTER_TIMEOUT_S)


def mode(port: int) -> str | None:
    """``leader``, ``follower`` or ``standalone`` when the local node serves requests, else None."""
    return four_letter_words.mode(f"127.0.0.1:{port}", FOUR_LETTER_TIMEOUT_S)


def serves(port: int) -> bool:
    """True when the node on ``port`` is part of a serving ensemble."""
    return mode(port) is not None


def ephemeral_paths(port: int) -> str:
    """The leader's ``dump``: sessions and their ephemeral nodes (empty on a follower)."""
    return four_letter(port, "dump")


def write_config(
    node_id: int, data_dir: Path, client_port: int, quorum: list[tuple[int, int]]
) -> Path:
    """Write ``zoo.cfg`` and ``myid`` for node ``node_id`` (1-based); returns the cfg path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "myid").write_text(f"{node_id}\n")
    servers = "\n".join(
        f"server.{n}=127.0.0.1:{peer}:{election}" for n, (peer, election) in enumerate(quorum, 1)
    )
    config = data_dir / "zoo.cfg"
    config.write_text(
        f"""tickTime=2000
initLimit=10
syncLimit=5
dataDir={data_dir}
clientPort={client_port}
clientPortAddress=127.0.0.1
# The AdminServer defaults to 0.0.0.0:8080: two nodes would collide and it would face the world.
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok,stat,mntr,dump
{servers}
"""
    )
    return config
