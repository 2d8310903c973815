"""A Docker engine of the devstack's own: Debian's ``docker.io``, on its own socket.

The daemon never runs with its defaults, which create the ``docker0`` bridge on a
private address range: containers here may reach loopback only, so it starts with
no bridge, no iptables rules, no masquerading and no forwarding (only the ``host``
and ``none`` networks exist). Its socket, data root, exec root, pid file and
configuration file are all under the devstack's state, so it never meets another
engine on the machine (a system one, or another clone's devstack). Like the other
servers it is recorded by pid and stopped by ``python -m devstack down``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devstack.exceptions import DevstackError
from devstack.processes import ServerProcess
from devstack.readiness import wait_until

# Debian's client, the same version as its daemon: the newer client some machines
# carry in /usr/local/bin warns about the legacy builder and does not reuse its cache.
DOCKER = Path("/usr/bin/docker")
DOCKERD = Path("/usr/sbin/dockerd")
PACKAGE = "docker.io"
NAME = "dockerd"
ANSWER_TIMEOUT_S = 10.0
START_TIMEOUT_S = 60.0
# Stopping containers first takes up to their own stop timeouts.
STOP_TIMEOUT_S = 60.0

DAEMON_FLAGS = (
    "--bridge=none",
    "--iptables=false",
    "--ip-masq=false",
    "--ip-forward=false",
)


def apt_install(packages: list[str], why: str) -> None:
    """Install Debian packages (we run as root where the devstack installs anything)."""
    print(
        f"devstack: installing {' '.join(packages)} from apt ({why})", file=sys.stderr, flush=True
    )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
    ):
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise DevstackError(
                f"`{' '.join(argv)}` failed ({tail[0]}); install {' '.join(packages)} by hand"
            )


class Engine:
    """The devstack's dockerd under ``home``; ``host`` is what DOCKER_HOST should say."""

    def __init__(self, home: Path, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.root = home / "docker"
        self.socket = state_dir / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.process = ServerProcess(NAME, state_dir)

    def daemon_command(self) -> list[str]:
        """The dockerd command line: no bridge, everything under the devstack's state."""
        return [
            str(DOCKERD),
            *DAEMON_FLAGS,
            f"--host={self.host}",
            f"--data-root={self.root / 'data'}",
            f"--exec-root={self.root / 'exec'}",
            # The daemon's own pid file; ours (dockerd.pid) records pid and start time.
            f"--pidfile={self.root / 'dockerd.pid'}",
            # An empty configuration of our own: /etc/docker/daemon.json, if another
            # engine on the machine has one, must not add a bridge or a socket here.
            f"--config-file={self.root / 'daemon.json'}",
        ]

    def docker(self, *args: str) -> list[str]:
        """A ``docker`` command line talking to this engine."""
        return [str(DOCKER), "-H", self.host, *args]

    def answers(self) -> bool:
        """The daemon on our socket answers an API call."""
        if not self.socket.exists():
            return False
        try:
            done = subprocess.run(
                self.docker("version", "--format", "{{.Server.Version}}"),
                capture_output=True,
                timeout=ANSWER_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def running(self) -> bool:
        return self.process.pid() is not None

    def up(self) -> str:
        """Install the engine if missing, start our daemon unless it answers; returns ``host``."""
        if not (DOCKER.exists() and DOCKERD.exists()):
            apt_install([PACKAGE], f"{DOCKER} or {DOCKERD} is missing")
        if self.answers():
            return self.host
        if self.running():
            # Recorded but not answering: a half-dead daemon we started; start afresh.
            self.process.stop(STOP_TIMEOUT_S)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "daemon.json").write_text("{}\n")
        self.socket.unlink(missing_ok=True)
        env = {**os.environ}
        # dockerd finds containerd, runc and tini on PATH.
        env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
        self.process.spawn(self.daemon_command(), env=env)
        try:
            wait_until(f"dockerd ({self.host})", self.answers, START_TIMEOUT_S, alive=self.running)
        except DevstackError as err:
            self.process.stop(STOP_TIMEOUT_S)
            raise DevstackError(f"{err}; its log: {self.process.logfile}") from None
        return self.host

    def down(self) -> None:
        """Stop our daemon (it stops its containers first). Idempotent."""
        self.process.stop(STOP_TIMEOUT_S)
        self.socket.unlink(missing_ok=True)
