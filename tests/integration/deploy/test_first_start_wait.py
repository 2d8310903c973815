"""``make up``'s wait, against real containers on the devstack's engine.

Compose's own stack cannot run here (no registry for the Elastic and Confluent
images, no bridge network), so the containers are ones that can: our indexer image
on the local stack, and one-shots and a Kibana stand-in made of the base image.
They carry the labels compose gives its containers, which is all the wait reads,
besides Kibana's status API.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deploy.first_start import FirstStartError, compose_containers, kibana_answers, wait_ready
from devstack.images import Built
from devstack.stack import Stack

pytestmark = pytest.mark.integration

TIMEOUT_S = 240.0
EXPECTED = ["indexer", "kibana", "kibana-setup", "setup"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Project:
    """Containers labelled as compose labels one project's services."""

    def __init__(self, stack: Stack, name: str) -> None:
        self.stack, self.name = stack, name
        self.containers: list[str] = []

    def run(self, service: str, image: str, options: list[str], command: list[str]) -> None:
        container = f"{self.name}-{service}"
        labels = [
            f"com.docker.compose.project={self.name}",
            f"com.docker.compose.service={service}",
        ]
        argv = self.stack.engine.docker(
            "run", "-d", "--name", container, "--network", "host",
            *(arg for label in labels for arg in ("--label", label)),
            *options, image, *command,
        )  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        self.containers.append(container)

    def states(self) -> Callable[[], dict[str, object]]:
        return lambda: dict(compose_containers(self.stack.engine.docker(), self.name))

    def remove(self) -> None:
        if self.containers:
            subprocess.run(
                self.stack.engine.docker("rm", "--force", *self.containers),
                capture_output=True,
                timeout=120,
                check=False,
            )


@pytest.fixture
def project(stack: Stack, unique_name: Callable[[str], str]) -> Iterator[Project]:
    made = Project(stack, unique_name("up"))
    yield made
    made.remove()


def start_stack(
    project: Project, images: Built, kafka_bootstrap: str, es_url: str, status: Path, port: int
) -> None:
    """The services ``make up`` waits for, as containers that can run here."""
    base = images.base
    project.run("setup", base, [], ["python3", "-c", "pass"])
    project.run(
        "indexer",
        images.images["indexer"],
        ["-e", f"KAFKA_BOOTSTRAP_SERVERS={kafka_bootstrap}", "-e", f"ELASTICSEARCH_URL={es_url}"],
        [],
    )
    probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/api/status')"
    project.run(
        "kibana",
        base,
        [
            "-v",
            f"{status}:/srv:ro",
            "--health-cmd",
            f'python3 -c "{probe}"',
            "--health-interval",
            "2s",
        ],
        ["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", "/srv"],
    )
    # The dashboard import takes a while, then exits 0.
    project.run("kibana-setup", base, [], ["python3", "-c", "import time; time.sleep(8)"])


def test_waits_until_every_service_is_done_and_kibana_answers(
    project: Project,
    images: Built,
    kafka_bootstrap: str,
    es_url: str,
    tmp_path: Path,
) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "status").write_text(
        json.dumps({"status": {"overall": {"level": "available"}}})
    )
    port = free_port()
    start_stack(project, images, kafka_bootstrap, es_url, tmp_path, port)
    out = io.StringIO()
    took = wait_ready(
        EXPECTED,
        project.states(),  # type: ignore[arg-type]
        lambda: kibana_answers(f"http://127.0.0.1:{port}", "elastic", "unused"),
        out,
        timeout_s=TIMEOUT_S,
        poll_s=1.0,
    )
    progress = out.getvalue().splitlines()
    # It said what it waited for: the indexer's healthcheck and the import, at least.
    assert any("indexer (health: starting)" in line for line in progress), progress
    assert any("kibana-setup (running)" in line for line in progress), progress
    assert took > 5
    states = project.states()()
    assert states["kibana-setup"].exit_code == 0  # type: ignore[attr-defined]
    assert states["indexer"].health == "healthy"  # type: ignore[attr-defined]


def test_a_failed_one_shot_stops_the_wait_naming_it(project: Project, images: Built) -> None:
    project.run("setup", images.base, [], ["python3", "-c", "raise SystemExit(3)"])
    with pytest.raises(
        FirstStartError, match=r"^setup failed \(exit 3\): docker compose logs setup"
    ):
        wait_ready(
            ["setup"],
            project.states(),
            lambda: True,
            io.StringIO(),
            timeout_s=60,
            poll_s=0.5,  # type: ignore[arg-type]
        )
