"""Recorded server processes: found by pid and start time, stopped without leftovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from devstack.processes import ServerProcess

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
# Ignores SIGTERM, as a hung server would.
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True);"
    " time.sleep(60)",
]


def test_spawn_records_and_stop_removes(tmp_path: Path) -> None:
    server = ServerProcess("sleeper", tmp_path)
    proc = server.spawn(SLEEPER)
    assert server.pid() == proc.pid
    server.stop(timeout_s=5)
    assert proc.poll() is not None
    assert server.pid() is None
    assert not server.pidfile.exists()


def test_stop_escalates_to_sigkill(tmp_path: Path) -> None:
    server = ServerProcess("stubborn", tmp_path)
    proc = server.spawn(STUBBORN, stdin=subprocess.DEVNULL)
    # Wait until the handler is installed, or SIGTERM would still kill it.
    while "up" not in server.logfile.read_text():
        pass
    server.signal(signal.SIGTERM)
    gone_before_stop = proc.poll() is not None
    server.stop(timeout_s=0.5)
    assert not gone_before_stop
    assert not Path(f"/proc/{proc.pid}").exists()


def test_a_recycled_pid_is_not_ours(tmp_path: Path) -> None:
    server = ServerProcess("other", tmp_path)
    # Our own pid is alive, but its start time is not the recorded one.
    server.pidfile.write_text(f"{os.getpid()} 1\n")
    assert server.pid() is None
    server.stop(timeout_s=1)  # must not signal the test process
    assert not server.pidfile.exists()


def test_garbage_pidfile_means_not_running(tmp_path: Path) -> None:
    server = ServerProcess("garbage", tmp_path)
    server.pidfile.write_text("not a pid")
    assert server.pid() is None


def test_kill_is_immediate(tmp_path: Path) -> None:
    server = ServerProcess("victim", tmp_path)
    proc = server.spawn(SLEEPER)
    server.kill()
    assert not Path(f"/proc/{proc.pid}").exists()
    assert server.pid() is None


def test_log_tail(tmp_path: Path) -> None:
    server = ServerProcess("talker", tmp_path)
    proc = server.spawn([sys.executable, "-c", "print('\\n'.join(map(str, range(50))))"])
    proc.wait(timeout=10)
    assert server.log_tail(3) == "47\n48\n49"
