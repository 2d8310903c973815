"""Child processes of a run: start, restart after a crash with bounded backoff, stop.

Each child runs in its own process group, so a stop reaches everything it
spawned (Chromium and chromedriver under the scraper) and a Ctrl-C in the
terminal reaches only the runner, which then stops the children in order.
Polled, not threaded: the runner calls `poll` from its one loop.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psutil

from cryptoviz_core.retry import Backoff

log = logging.getLogger(__name__)

# How often a stop checks whether a process group has emptied.
STOP_POLL_S = 0.1
# After SIGKILL the kernel needs a moment; bounded so a stop always returns.
KILL_WAIT_S = 5.0


class SupervisorError(Exception):
    """Root of the supervisor's errors."""


class ChildGaveUp(SupervisorError):
    """Raised by `Supervisor.poll` when a child crashed ``max_attempts`` times in a row.

    The caller stops the run: restarting further would only hide the cause
    (read the child's log file, named in the message).
    """


@dataclass(frozen=True)
class ChildSpec:
    """What to run: ``argv`` with ``env``, stdout and stderr appended to ``log_path``."""

    name: str
    argv: Sequence[str]
    env: dict[str, str]
    log_path: Path


@dataclass(frozen=True)
class ChildState:
    """A child as the view shows it."""

    name: str
    pid: int | None
    restarts: int
    running: bool


class _Child:
    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.crashes = 0  # consecutive crashes, reset once the child stays up
        self.restarts = 0
        self.restart_at: float | None = None


def _group_alive(pgid: int) -> bool:
    """True while any non-zombie process is in group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # killpg succeeds on zombies too (orphans wait for a reaper): look closer.
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return  # already gone: stopping is idempotent


def stop_group(pgid: int, process: subprocess.Popen[bytes] | None, grace_s: float) -> bool:
    """SIGTERM group ``pgid``, wait up to ``grace_s``, then SIGKILL what is left.

    Returns True when the group emptied within the grace period. Reaps
    ``process`` (the group leader) when given. Idempotent; never raises for
    a group that is already gone.
    """
    _signal_group(pgid, signal.SIGTERM)
    graceful = _wait_group(pgid, process, grace_s)
    if not graceful:
        log.warning("child ignored SIGTERM, killing", extra={"pgid": pgid, "grace_s": grace_s})
        _signal_group(pgid, signal.SIGKILL)
        _wait_group(pgid, process, KILL_WAIT_S)
    if process is not None:
        process.poll()  # the leader may have exited after the loop's last poll
    return graceful


def _wait_group(pgid: int, process: subprocess.Popen[bytes] | None, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if process is not None:
            process.poll()  # reap the leader, or it stays a zombie in the group
        if not _group_alive(pgid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(STOP_POLL_S)


class Supervisor:
    """Runs ``specs`` as children; `close` (or leaving the ``with`` block) stops them all.

    A child that exits while not being stopped is a crash: it is restarted
    after ``backoff.delay(n)`` seconds for its n-th consecutive crash, and
    `poll` raises ChildGaveUp at crash number ``backoff.max_attempts``. A child
    up for ``stable_after_s`` has its crash count reset.
    """

    def __init__(
        self,
        specs: Iterable[ChildSpec],
        backoff: Backoff,
        stable_after_s: float,
        grace_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backoff, self.stable_after_s, self.grace_s, self.clock = (
            backoff,
            stable_after_s,
            grace_s,
            clock,
        )
        self._children = {spec.name: _Child(spec) for spec in specs}

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start every child not running yet. Raises OSError when one cannot be executed;
        the caller's `close` then stops those already started."""
        for child in self._children.values():
            if child.process is None:
                self._spawn(child)

    def _spawn(self, child: _Child) -> None:
        spec = child.spec
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        with spec.log_path.open("ab") as out:
            # process_group=0: the child leads a new group (pgid == pid) in our session.
            child.process = subprocess.Popen(
                list(spec.argv),
                env=spec.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                process_group=0,
            )
        child.started_at = self.clock()
        child.restart_at = None
        log.info(
            "child started",
            extra={"child": spec.name, "pid": child.process.pid, "log": str(spec.log_path)},
        )

    def poll(self) -> None:
        """Notice crashes and run the restarts that are due. Call it often (about 1/s).

        Raises ChildGaveUp when a child used up its consecutive restarts.
        """
        now = self.clock()
        for child in self._children.values():
            if child.process is None:
                if child.restart_at is not None and now >= child.restart_at:
                    child.restarts += 1
                    self._spawn(child)
                continue
            code = child.process.poll()
            if code is None:
                if child.crashes and now - child.started_at >= self.stable_after_s:
                    child.crashes = 0
                continue
            self._crashed(child, code, now)

    def _crashed(self, child: _Child, code: int, now: float) -> None:
        process, name = child.process, child.spec.name
        assert process is not None  # only called for a started child
        # Reap anything the crashed child left in its group (an orphaned Chromium).
        stop_group(process.pid, process, self.grace_s)
        child.process = None
        if now - child.started_at >= self.stable_after_s:
            child.crashes = 0
        child.crashes += 1
        if self.backoff.exhausted(child.crashes):
            log.error(
                "child gave up",
                extra={"child": name, "exit_code": code, "crashes": child.crashes},
            )
            raise ChildGaveUp(
                f"{name} exited with code {code} {child.crashes} times in a row; "
                f"see {child.spec.log_path}"
            )
        delay = self.backoff.delay(child.crashes)
        child.restart_at = now + delay
        log.warning(
            "child crashed, restarting",
            extra={
                "child": name,
                "exit_code": code,
                "crashes": child.crashes,
                "delay_s": round(delay, 1),
            },
        )

    def states(self) -> list[ChildState]:
        """Each child's pid (None while waiting for a restart), restarts and liveness."""
        return [
            ChildState(
                name=c.spec.name,
                pid=c.process.pid if c.process is not None else None,
                restarts=c.restarts,
                running=c.process is not None and c.process.poll() is None,
            )
            for c in self._children.values()
        ]

    def pids(self) -> dict[str, int]:
        """The pid of every child currently started."""
        return {s.name: s.pid for s in self.states() if s.pid is not None}

    def stop(self, names: Iterable[str] | None = None) -> None:
        """Stop ``names`` (default: all, in reverse start order) and cancel their restarts.

        Each gets SIGTERM to its whole group, ``grace_s`` to exit, then SIGKILL.
        Idempotent; a stopped child is not restarted.
        """
        order = list(names) if names is not None else list(reversed(self._children))
        for name in order:
            child = self._children[name]
            child.restart_at = None
            if child.process is None:
                continue
            process, child.process = child.process, None
            graceful = stop_group(process.pid, process, self.grace_s)
            log.info(
                "child stopped",
                extra={"child": name, "exit_code": process.returncode, "graceful": graceful},
            )

    def close(self) -> None:
        """Stop every child. Idempotent; safe on any exit path."""
        self.stop()
