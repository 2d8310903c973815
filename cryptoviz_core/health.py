"""Liveness heartbeat: a file each service touches once per loop iteration.

The container HEALTHCHECK (deploy/healthcheck.py) calls a service unhealthy
when the file grows stale, which catches a hung loop that a "process is
alive" check would miss. The local runner reads the same files.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


def beat(path: Path | None) -> None:
    """Touch ``path`` (no-op when None). A failure is logged, never raised: a full
    disk must not stop the pipeline, and the stale heartbeat then reports it."""
    if path is None:
        return
    try:
        path.touch()
    except OSError as err:
        log.warning("heartbeat not written", extra={"path": str(path), "error": str(err)})


BEAT_EVERY_S = 30.0


def wait_beating(stop: threading.Event, seconds: float, path: Path | None) -> bool:
    """Wait up to ``seconds`` for ``stop``, beating every ``BEAT_EVERY_S`` meanwhile,
    so a long backoff does not read as a hung service. Returns True once stopped."""
    deadline = time.monotonic() + seconds
    while True:
        beat(path)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return stop.is_set()
        if stop.wait(min(BEAT_EVERY_S, remaining)):
            return True
