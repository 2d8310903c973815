"""The images run the versions the tests run.

devstack/ pins the versions of the local test stack (Maven properties); the
compose images must match them, and the Python images must match the
interpreter and Debian release the tests run on.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}

# Confluent Platform minor -> the Apache Kafka minor it bundles (CP 7.x ships
# Kafka 3.x; Confluent's Streams upgrade guide lists 7.0<->3.0 ... 7.8<->3.8, and
# 7.9 is the release that ships 3.9, the last Kafka line with ZooKeeper mode).
CP_TO_KAFKA = {"7.8": "3.8", "7.9": "3.9"}


def pom_property(pom: Path, name: str) -> str:
    node = ET.parse(pom).getroot().find(f"m:properties/m:{name}", POM_NS)
    text = node.text if node is not None else None
    assert text, f"{pom} has no <{name}>"
    return text.strip()


def images(compose: dict[str, Any]) -> dict[str, str]:
    """Image name (without tag) -> the set of tags used, which must be one."""
    tags: dict[str, set[str]] = {}
    for service in compose["services"].values():
        if "image" in service and "build" not in service:
            name, tag = service["image"].rsplit(":", 1)
            tags.setdefault(name, set()).add(tag)
    assert all(len(t) == 1 for t in tags.values()), f"one image, several tags: {tags}"
    return {name: next(iter(t)) for name, t in tags.items()}


def version_problems(
    compose: dict[str, Any], elasticsearch: str, kafka: str, dockerfiles: dict[str, str]
) -> list[str]:
    found = []
    tags = images(compose)
    for image in (
        "docker.elastic.co/elasticsearch/elasticsearch",
        "docker.elastic.co/kibana/kibana",
    ):
        if tags.get(image) != elasticsearch:
            found.append(
                f"{image}:{tags.get(image)} but the tests run Elasticsearch {elasticsearch}"
            )
    for image in ("confluentinc/cp-kafka", "confluentinc/cp-zookeeper"):
        cp_minor = ".".join(tags.get(image, "?").split(".")[:2])
        if CP_TO_KAFKA.get(cp_minor) != ".".join(kafka.split(".")[:2]):
            found.append(f"{image}:{tags.get(image)} does not ship Kafka {kafka}")
    python = f"python:{sys.version_info.major}.{sys.version_info.minor}-slim-{debian_codename()}"
    for name, text in dockerfiles.items():
        if not re.search(rf"^ARG PYTHON_IMAGE={re.escape(python)}$", text, re.M):
            found.append(f"{name} is not FROM {python} by default")
    return found


def debian_codename() -> str:
    release = Path("/etc/os-release").read_text()
    match = re.search(r"^VERSION_CODENAME=(\w+)", release, re.M)
    assert match, "the tests run on Debian; /etc/os-release has no codename"
    return match.group(1)


def current() -> tuple[dict[str, Any], str, str, dict[str, str]]:
    return (
        yaml.safe_load((ROOT / "docker-compose.yml").read_text()),
        pom_property(ROOT / "devstack/elasticsearch/pom.xml", "elasticsearch.version"),
        pom_property(ROOT / "devstack/pom.xml", "kafka.version"),
        {p.name: p.read_text() for p in ROOT.glob("Dockerfile.*")},
    )


def test_images_match_the_test_stack() -> None:
    assert version_problems(*current()) == []


def test_a_version_drift_is_reported() -> None:
    compose, elasticsearch, _kafka, dockerfiles = current()
    compose["services"]["kibana"]["image"] = "docker.elastic.co/kibana/kibana:9.4.0"
    dockerfiles["Dockerfile.ia"] = dockerfiles["Dockerfile.ia"].replace("3.11-slim", "3.12-slim")
    found = version_problems(compose, elasticsearch, "4.0.0", dockerfiles)
    assert (
        f"docker.elastic.co/kibana/kibana:9.4.0 but the tests run Elasticsearch {elasticsearch}"
        in found
    )
    assert any("cp-kafka" in p and "4.0.0" in p for p in found)
    assert "Dockerfile.ia is not FROM python:3.11-slim-bookworm by default" in found


def test_project_python_matches_the_images() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11,<3.12"' in pyproject
    assert sys.version_info[:2] == (3, 11)
