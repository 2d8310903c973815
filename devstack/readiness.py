"""Polling until a condition holds, within a deadline; never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable

from devstack.exceptions import DevstackError

POLL_S = 0.25


def wait_until(
    what: str, check: Callable[[], bool], timeout_s: float, alive: Callable[[], bool] | None = None
) -> None:
    """Call ``check`` until it returns True; raise DevstackError after ``timeout_s``.

    ``alive`` lets a wait fail fast when the server process died while starting.
    Exceptions from ``check`` count as "not yet".
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if alive is not None and not alive():
            raise DevstackError(f"{what}: the process exited while starting")
        if time.monotonic() >= deadline:
            raise DevstackError(f"{what}: not ready after {timeout_s:.0f}s")
        time.sleep(POLL_S)
