"""Starting and stopping the stack's server processes, found again by recorded pid.

Each server runs in its own session (so Ctrl-C on a terminal does not hit it
and the whole group can be signalled), logs to ``<name>.log`` and is recorded
in ``<name>.pid`` with its kernel start time. A pid file whose start time no
longer matches belongs to a recycled pid and is ignored: we never signal a
process we did not start, and never kill by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

STOP_TIMEOUT_S = 30.0
KILL_TIMEOUT_S = 10.0
POLL_S = 0.1


def _start_ticks(pid: int) -> str | None:
    """The process start time in clock ticks since boot, or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; fields resume after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    state, start = fields[0], fields[19]
    return None if state in ("Z", "X") else start


@dataclass(frozen=True)
class ServerProcess:
    """One recorded server process of the stack, by name, under ``state_dir``."""

    name: str
    state_dir: Path

    @property
    def pidfile(self) -> Path:
        return self.state_dir / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return self.state_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        """The recorded pid if that very process is still running, else None."""
        try:
            pid_text, ticks = self.pidfile.read_text().split()
        except (OSError, ValueError):
            return None
        pid = int(pid_text)
        return pid if _start_ticks(pid) == ticks else None

    def spawn(
        self,
        argv: list[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        stdin: int | None = subprocess.DEVNULL,
    ) -> subprocess.Popen[bytes]:
        """Start the server and record it. The caller waits for readiness."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.logfile.open("ab") as log:
            proc = subprocess.Popen(
                argv,
                stdin=stdin,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        return self.adopt(proc)

    def adopt(self, proc: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        """Record a server that another launcher started (in its own session)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.pidfile.write_text(f"{proc.pid} {_start_ticks(proc.pid)}\n")
        return proc

    def signal(self, signum: signal.Signals) -> bool:
        """Send ``signum`` to the server's process group. False if it is not running."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signum)
        return True

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s``; returns once the process is gone."""
        pid = self.pid()
        if pid is not None:
            self.signal(signal.SIGTERM)
            if not self._wait_gone(pid, timeout_s):
                self.signal(signal.SIGKILL)
                self._wait_gone(pid, KILL_TIMEOUT_S)
        self.pidfile.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL at once, as a crash would; used by fault tests."""
        pid = self.pid()
        if pid is not None:
            self.signal(signal.SIGKILL)
            self._wait_gone(pid, KILL_TIMEOUT_S)
        self.pidfile.unlink(missing_ok=True)

    @staticmethod
    def _wait_gone(pid: int, timeout_s: float) -> bool:
        """True once the whole process, every thread of it, has exited."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                # Our child: the kernel reports it only after all its threads exited, and
                # a JVM's exiting threads still hold its sockets while the leader is a zombie.
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    return True
            except ChildProcessError:
                # Someone else's child (started by an earlier command): a zombie counts as gone.
                if _start_ticks(pid) is None:
                    return True
            time.sleep(POLL_S)
        return False

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log, for error messages."""
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
