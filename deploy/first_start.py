"""``make up``: from a clone to the dashboards in one command.

``python -m deploy.first_start up``: when ``.env`` is missing, writes it from
``.env.example`` with every secret generated (Python's ``secrets``, each meeting the
rule ``setup`` enforces), mode 0600, and says so in one line. An existing ``.env`` is
never overwritten; a placeholder or a too-short secret in it is refused, naming the
variable. Then ``docker compose up -d``, and a wait that shows which services are
still starting until Kibana answers and ``kibana-setup`` has imported the dashboards.
No secret is ever printed. ``env`` does the ``.env`` part alone.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "change-me"
ALPHANUMERIC = string.ascii_letters + string.digits
WAIT_TIMEOUT_S = 1200.0
POLL_S = 5.0
PROGRESS_EVERY_S = 15.0
HTTP_TIMEOUT_S = 5.0


class FirstStartError(RuntimeError):
    """One line naming what is wrong and what to do; the command exits 1."""


@dataclass(frozen=True)
class Rule:
    """What ``deploy/elasticsearch-setup.sh`` (or kafka-sasl-setup.sh) accepts."""

    min_length: int
    generated_length: int
    pattern: str  # a full match on the value

    def problem(self, name: str, value: str) -> str | None:
        if not value or PLACEHOLDER in value:
            return (
                f"{name} in .env is a placeholder: set a real value, or delete .env "
                "to have every secret generated"
            )
        if len(value) < self.min_length:
            return f"{name} in .env is too short: it needs {self.min_length}+ characters"
        if not re.fullmatch(self.pattern, value):
            return f"{name} in .env may hold letters and digits only"
        return None

    def generate(self) -> str:
        return "".join(secrets.choice(ALPHANUMERIC) for _ in range(self.generated_length))


# Passwords go into JSON bodies, JAAS and properties files: letters and digits only.
PASSWORD = Rule(min_length=12, generated_length=24, pattern=r"[A-Za-z0-9]+")
# Kibana refuses an encryption key under 32 characters.
KEY = Rule(min_length=32, generated_length=48, pattern=r"[A-Za-z0-9]+")
RULES = {"KIBANA_ENCRYPTION_KEY": KEY}


def secret_names(example: str) -> list[str]:
    """The variables ``.env.example`` leaves as placeholders: the secrets."""
    return re.findall(rf"^([A-Z0-9_]+)={re.escape(PLACEHOLDER)}$", example, re.M)


def rule(name: str) -> Rule:
    return RULES.get(name, PASSWORD)


def generate_env(example: str) -> str:
    """``.env.example`` with each placeholder replaced by a fresh secret of its kind."""
    return re.sub(
        rf"^([A-Z0-9_]+)={re.escape(PLACEHOLDER)}$",
        lambda m: f"{m[1]}={rule(m[1]).generate()}",
        example,
        flags=re.M,
    )


def parse_env(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        found = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line.strip())
        if found:
            values[found[1]] = found[2].strip().strip("'\"")
    return values


def env_problems(example: str, env: str) -> list[str]:
    values = parse_env(env)
    return [
        problem
        for name in secret_names(example)
        if (problem := rule(name).problem(name, values.get(name, ""))) is not None
    ]


def ensure_env(example_path: Path, env_path: Path, out: TextIO) -> dict[str, str]:
    """Write ``.env`` when missing (0600, never over an existing file); check it; its values."""
    example = example_path.read_text()
    try:
        fd = os.open(env_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        problems = env_problems(example, env_path.read_text())
        if problems:
            raise FirstStartError(problems[0]) from None
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(generate_env(example))
        out.write(
            f"wrote {env_path} with generated secrets (mode 0600, keep it private); "
            "log into Kibana as elastic with its ELASTIC_PASSWORD\n"
        )
    return parse_env(env_path.read_text())


# ---- waiting for the stack ----

# The one-shot services: done when they exited 0.
ONE_SHOTS = frozenset({"setup", "topics", "kibana-setup", "kafka-sasl-setup"})


@dataclass(frozen=True)
class Container:
    """What ``docker ps`` says of one compose service's container."""

    service: str
    state: str  # created, running, restarting, exited, ...
    status: str  # e.g. "Up 3 minutes (healthy)", "Exited (0) 2 minutes ago"

    @property
    def health(self) -> str | None:
        found = re.search(r"\((healthy|unhealthy|health: starting)\)", self.status)
        return found[1] if found else None

    @property
    def exit_code(self) -> int | None:
        found = re.match(r"Exited \((-?\d+)\)", self.status)
        return int(found[1]) if found else None


def compose_containers(docker: list[str], project: str) -> dict[str, Container]:
    """The project's containers, by service, from their compose labels."""
    done = subprocess.run(
        [
            *docker,
            "ps",
            "--all",
            "--filter",
            f"label=com.docker.compose.project={project}",
            "--format",
            '{{.Label "com.docker.compose.service"}}\t{{.State}}\t{{.Status}}',
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise FirstStartError(f"docker ps failed: {done.stderr.strip()}")
    found = {}
    for line in done.stdout.splitlines():
        service, state, status = [*line.split("\t"), "", ""][:3]
        found[service] = Container(service, state, status)
    return found


def pending(expected: list[str], containers: Mapping[str, Container]) -> list[str]:
    """What is not done yet, as ``service (state)``; raises when a one-shot failed."""
    waiting = []
    for name in expected:
        container = containers.get(name)
        if container is None:
            waiting.append(f"{name} (not created)")
        elif name in ONE_SHOTS:
            if container.exit_code not in (None, 0):
                raise FirstStartError(
                    f"{name} failed (exit {container.exit_code}): docker compose logs {name}"
                )
            if container.exit_code is None:
                waiting.append(f"{name} ({container.state})")
        elif container.health != "healthy":
            waiting.append(f"{name} ({container.health or container.state})")
    return waiting


def kibana_answers(url: str, username: str, password: str) -> bool:
    """Kibana's status API says it is available."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    request = urllib.request.Request(
        f"{url}/api/status", headers={"Authorization": f"Basic {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            body = json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return bool(body.get("status", {}).get("overall", {}).get("level") == "available")


def wait_ready(
    expected: list[str],
    containers: Callable[[], Mapping[str, Container]],
    kibana: Callable[[], bool],
    out: TextIO,
    timeout_s: float = WAIT_TIMEOUT_S,
    poll_s: float = POLL_S,
    progress_every_s: float = PROGRESS_EVERY_S,
) -> float:
    """Poll until every service is done and Kibana answers; return the seconds it took.

    Says which services are still starting whenever that changes, and at least every
    ``progress_every_s``. Raises FirstStartError when a one-shot fails or at the timeout.
    """
    started = time.monotonic()
    last_line, last_time = "", 0.0
    while True:
        waiting = pending(expected, containers())
        if not waiting and not kibana():
            waiting = ["kibana (not answering yet)"]
        elapsed = time.monotonic() - started
        if not waiting:
            return elapsed
        line = f"[{elapsed:4.0f}s] waiting for: {', '.join(waiting)}"
        if line.split("] ")[1] != last_line or elapsed - last_time >= progress_every_s:
            out.write(line + "\n")
            out.flush()
            last_line, last_time = line.split("] ")[1], elapsed
        if elapsed >= timeout_s:
            raise FirstStartError(
                f"not ready after {timeout_s:.0f}s, still waiting for: {', '.join(waiting)}; "
                "see docker compose ps and docker compose logs"
            )
        time.sleep(poll_s)


def compose_services(compose: list[str], root: Path) -> list[str]:
    """The services compose starts (overrides included), as it lists them itself."""
    done = subprocess.run(
        [*compose, "config", "--services"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise FirstStartError(f"docker compose config failed: {done.stderr.strip()}")
    return sorted(done.stdout.split())


def project_name(root: Path) -> str:
    """Compose's project name: COMPOSE_PROJECT_NAME, else the folder's name normalised."""
    return os.environ.get("COMPOSE_PROJECT_NAME") or re.sub(r"[^a-z0-9_-]", "", root.name.lower())


def up(root: Path, out: TextIO) -> None:
    env = ensure_env(root / ".env.example", root / ".env", out)
    docker = ["docker"]
    compose = [*docker, "compose"]
    started = subprocess.run([*compose, "up", "-d"], cwd=root, check=False)
    if started.returncode != 0:
        raise FirstStartError("docker compose up -d failed (its messages are above)")
    url = f"http://localhost:{env.get('KIBANA_PORT', '5601')}"
    took = wait_ready(
        compose_services(compose, root),
        lambda: compose_containers(docker, project_name(root)),
        lambda: kibana_answers(url, "elastic", env["ELASTIC_PASSWORD"]),
        out,
    )
    out.write(f"CryptoViz is up after {took:.0f}s: {url} (user elastic, password in .env)\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.first_start", description=__doc__)
    parser.add_argument("command", choices=["env", "up"])
    args = parser.parse_args(argv)
    try:
        if args.command == "env":
            ensure_env(ROOT / ".env.example", ROOT / ".env", sys.stdout)
        else:
            up(ROOT, sys.stdout)
    except FirstStartError as err:
        print(f"make up: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
