"""Container HEALTHCHECK of the Python services: is the service's heartbeat fresh?

Each service touches ``HEALTH_FILE`` once per loop iteration (and while it waits
between cycles). The container is healthy while that file was modified less than
``HEALTH_MAX_AGE_S`` seconds ago; a hung loop or a dead connection that blocks
the loop therefore shows as unhealthy, which a mere "process is alive" check
would miss. Exit status: 0 healthy, 1 unhealthy (Docker's convention).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

DEFAULT_HEALTH_FILE = "/tmp/cryptoviz-heartbeat"


def check(path: Path, max_age_s: float, now: float) -> str | None:
    """None when ``path`` was modified at most ``max_age_s`` before ``now``, else why not."""
    try:
        age = now - path.stat().st_mtime
    except FileNotFoundError:
        return f"no heartbeat file {path}"
    if age > max_age_s:
        return f"heartbeat {path} is {age:.0f}s old (max {max_age_s:.0f}s)"
    return None


def main() -> int:
    """Entry point; returns the exit status."""
    path = Path(os.environ.get("HEALTH_FILE", DEFAULT_HEALTH_FILE))
    reason = check(path, float(os.environ["HEALTH_MAX_AGE_S"]), time.time())
    if reason is None:
        return 0
    sys.stderr.write(reason + "\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
