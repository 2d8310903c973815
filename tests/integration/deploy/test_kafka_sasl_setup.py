"""deploy/kafka-sasl-setup.sh run as docker-compose.sasl.yml runs it, in a container.

The container stands in for cp-kafka where it matters here: an ``appuser`` (uid
1000) that the image runs as, owning ``/etc/kafka/secrets``, and no ``/kafka-ca``.
Fresh named volumes are mounted at both paths as compose mounts them, so they get
the same ownership as on a user's first start. keytool comes from the host's JDK and
``kafka-configs`` from the devstack's Kafka jars; the SCRAM credentials go to the
devstack's ZooKeeper over the host network.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from devstack.images import Built
from devstack.stack import Stack
from tests.integration.deploy.conftest import java_home

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SERVICE = "kafka-sasl-setup"
CP_KAFKA_LIKE = """FROM {base}
RUN useradd --uid 1000 --user-group --create-home appuser \\
 && mkdir -p /etc/kafka/secrets && chown appuser:appuser /etc/kafka/secrets
USER appuser
"""
SECRETS = {
    "KAFKA_SSL_PASSWORD": "sslpass0123456789",  # pragma: allowlist secret
    "KAFKA_ADMIN_PASSWORD": "admin0123456789",  # pragma: allowlist secret
    "KAFKA_SCRAPER_PASSWORD": "scraper0123456789",  # pragma: allowlist secret
    "KAFKA_INDEXER_PASSWORD": "indexer0123456789",  # pragma: allowlist secret
}
TIMEOUT_S = 300


def docker(stack: Stack, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        stack.engine.docker(*args),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


@pytest.fixture
def volumes(stack: Stack, unique_name: Callable[[str], str]) -> Iterator[tuple[str, str]]:
    made = (unique_name("secrets"), unique_name("ca"))
    yield made
    docker(stack, "volume", "rm", "--force", *made)


def scram_users(stack: Stack, kafka_tools: Path) -> dict[str, str]:
    """User -> its SCRAM credentials as stored in the devstack's ZooKeeper."""
    described = subprocess.run(
        [
            str(kafka_tools / "kafka-configs"),
            "--zookeeper",
            ",".join(stack.endpoints.zookeeper),
            "--describe",
            "--entity-type",
            "users",
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert described.returncode == 0, described.stderr
    return dict(
        re.findall(r"^Configs for user-principal '(\w+)' are (\S+)$", described.stdout, re.M)
    )


def test_sasl_setup_runs_as_compose_runs_it(
    stack: Stack, images: Built, kafka_tools: Path, volumes: tuple[str, str]
) -> None:
    image = "cryptoviz/test-cp-kafka-like:local"
    built = docker(stack, "build", "-t", image, "-", stdin=CP_KAFKA_LIKE.format(base=images.base))
    assert built.returncode == 0, built.stderr
    service = yaml.safe_load((ROOT / "docker-compose.sasl.yml").read_text())["services"][SERVICE]
    secrets, ca = volumes
    jdk = java_home()
    before = scram_users(stack, kafka_tools)
    mounts = [
        f"{secrets}:/etc/kafka/secrets",
        f"{ca}:/kafka-ca",
        f"{ROOT / 'deploy'}:/deploy:ro",
        # The same paths as on the host, so the tool scripts and the JDK's links work.
        f"{jdk}:{jdk}:ro",
        f"{kafka_tools}:{kafka_tools}:ro",
        f"{stack.kafka_lib}:{stack.kafka_lib}:ro",
        *(f"{etc}:{etc}:ro" for etc in Path("/etc").glob("java-*")),
    ]
    env = {
        **SECRETS,
        "ZOOKEEPER_CONNECT": ",".join(stack.endpoints.zookeeper),
        "PATH": f"{kafka_tools}:{jdk / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin",
    }
    user = ["--user", str(service["user"])] if "user" in service else []
    run = docker(
        stack,
        "run",
        "--rm",
        "--network",
        "host",
        *user,
        *(arg for mount in mounts for arg in ("-v", mount)),
        *(arg for key, value in env.items() for arg in ("-e", f"{key}={value}")),
        image,
        *service["entrypoint"],
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]

    # The broker (appuser) reads its stores and the CLI properties; the Python
    # services (uid 10001) read the CA certificate, and nothing else is there.
    broker = docker(
        stack, "run", "--rm", "--user", "1000", "-v", f"{secrets}:/s:ro", image,
        "sh", "-c", "head -c1 /s/kafka.keystore.jks /s/kafka.truststore.jks /s/client.properties"
        " >/dev/null && echo readable",
    )  # fmt: skip
    assert broker.stdout.strip() == "readable", broker.stderr
    client = docker(
        stack, "run", "--rm", "--user", "10001", "-v", f"{ca}:/c:ro", image,
        "sh", "-c", "ls /c && grep -c 'BEGIN CERTIFICATE' /c/ca.crt",
    )  # fmt: skip
    assert client.stdout.split() == ["ca.crt", "1"], client.stderr

    # A new salt per user: written by this run, not left by an earlier one.
    after = scram_users(stack, kafka_tools)
    for user_name in ("admin", "scraper", "indexer"):
        assert after.get(user_name, "").startswith("SCRAM-SHA-512=salt=")
        assert after[user_name] != before.get(user_name)
