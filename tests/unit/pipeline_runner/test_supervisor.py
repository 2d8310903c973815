"""The supervisor with tiny real children: restart after a crash, give up, stop whole groups."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from cryptoviz_core.retry import Backoff
from pipeline_runner.supervisor import ChildGaveUp, ChildSpec, Supervisor

SLEEPER = "import time; time.sleep(60)"
# Ignores SIGTERM, so only the SIGKILL after the grace period stops it.
STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
# Leaves a grandchild in its process group, as the scraper leaves Chromium.
PARENT = (
    "import subprocess, sys, time; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
)
FAST = Backoff(initial=0.05, maximum=0.1, jitter=0.0, max_attempts=3)
WAIT_S = 10.0


def spec(tmp_path: Path, name: str, code: str) -> ChildSpec:
    return ChildSpec(name, [sys.executable, "-c", code], dict(os.environ), tmp_path / f"{name}.log")


def poll_until(supervisor: Supervisor, condition, seconds: float = WAIT_S) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        supervisor.poll()
        time.sleep(0.05)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_crashed_child_is_restarted(tmp_path: Path) -> None:
    marker = tmp_path / "ran-once"
    code = f"import pathlib, sys, time; p = pathlib.Path({str(marker)!r})\n" + (
        "if not p.exists():\n    p.touch(); sys.exit(3)\ntime.sleep(60)"
    )
    with Supervisor([spec(tmp_path, "flaky", code)], FAST, 60.0, 2.0) as sup:
        sup.start()
        first = sup.pids()["flaky"]
        poll_until(sup, lambda: sup.states()[0].restarts == 1 and sup.states()[0].running)
        assert sup.pids()["flaky"] != first
    assert gone(first)


def test_child_crashing_every_time_gives_up(tmp_path: Path) -> None:
    with Supervisor([spec(tmp_path, "broken", "import sys; sys.exit(1)")], FAST, 60.0, 2.0) as sup:
        sup.start()
        with pytest.raises(ChildGaveUp, match="broken exited with code 1 3 times"):
            poll_until(sup, lambda: False)


def test_stop_reaches_grandchildren_and_is_idempotent(tmp_path: Path) -> None:
    with Supervisor([spec(tmp_path, "parent", PARENT)], FAST, 60.0, 2.0) as sup:
        sup.start()
        pid = sup.pids()["parent"]
        deadline = time.monotonic() + WAIT_S
        while not psutil.Process(pid).children():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        grandchild = psutil.Process(pid).children()[0].pid
        sup.stop()
        sup.stop()
        assert sup.pids() == {}
    assert gone(pid)
    assert gone(grandchild)


def test_sigterm_ignored_means_sigkill_after_grace(tmp_path: Path) -> None:
    with Supervisor([spec(tmp_path, "stubborn", STUBBORN)], FAST, 60.0, 0.5) as sup:
        sup.start()
        pid = sup.pids()["stubborn"]
        time.sleep(0.3)  # let it install its SIGTERM handler
        started = time.monotonic()
        sup.close()
    assert gone(pid)
    assert time.monotonic() - started < 0.5 + 5.0


def test_stopped_child_is_not_restarted(tmp_path: Path) -> None:
    specs = [spec(tmp_path, "a", SLEEPER), spec(tmp_path, "b", SLEEPER)]
    with Supervisor(specs, FAST, 60.0, 2.0) as sup:
        sup.start()
        sup.stop(["a"])
        for _ in range(5):
            sup.poll()
            time.sleep(0.05)
        assert set(sup.pids()) == {"b"}


def test_exception_inside_the_block_still_stops_children(tmp_path: Path) -> None:
    pids: list[int] = []

    def run() -> None:
        with Supervisor([spec(tmp_path, "s", SLEEPER)], FAST, 60.0, 2.0) as sup:
            sup.start()
            pids.append(sup.pids()["s"])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run()
    assert gone(pids[0])
