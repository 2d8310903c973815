"""A ZooKeeper node's role, asked with the ``srvr`` four-letter word.

``ruok`` answers ``imok`` even without a quorum; ``srvr`` says ``Mode: leader``
or ``Mode: follower`` only while the node serves the ensemble, and is the one
word the compose nodes allow (``4lw.commands.whitelist``).
"""

from __future__ import annotations

import re
import socket

SERVING = re.compile(r"^Mode: (leader|follower|standalone)$", re.MULTILINE)


def split_address(address: str, default_port: int = 2181) -> tuple[str, int]:
    """``host:port`` (or a bare host) as a pair; a ZooKeeper chroot suffix is dropped."""
    host, _, port = address.strip().split("/")[0].rpartition(":")
    if not host:
        return port, default_port
    return host, int(port)


def four_letter(address: str, command: str, timeout_s: float) -> str:
    """Send a four-letter word to ``host:port`` and return the whole answer. Raises OSError."""
    with socket.create_connection(split_address(address), timeout=timeout_s) as conn:
        conn.sendall(command.encode())
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


NOT_SERVING = "not serving"


def probe(address: str, timeout_s: float) -> tuple[str | None, str | None]:
    """``(mode, None)`` while the node serves (``leader``, ``follower``, ``standalone``),
    else ``(None, why)``: unreachable, or answering without a quorum."""
    try:
        answer = four_letter(address, "srvr", timeout_s)
    except OSError as err:
        return None, f"no answer: {err.strerror or err}"
    match = SERVING.search(answer)
    if match is None:
        return None, f"{NOT_SERVING}: no quorum, is its peer down?"
    return match.group(1), None


def mode(address: str, timeout_s: float) -> str | None:
    """``leader``, ``follower`` or ``standalone`` while the node serves, else None."""
    return probe(address, timeout_s)[0]
