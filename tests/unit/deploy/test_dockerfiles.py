"""The service images: hadolint-clean, and built the way the project requires."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HADOLINT = Path(sys.executable).parent / "hadolint"
# Dockerfile -> the one package of ours it runs, besides cryptoviz_core.
IMAGES = {
    "Dockerfile.scraper": "scraper_service",
    "Dockerfile.indexer": "indexer_service",
    "Dockerfile.ia": "ia_module",
}
# What an image copies besides its own package: the indexer's carries the operator command.
EXTRA_COPIES = {"indexer_service": {"cryptoviz", "deploy/cryptoviz.sh"}}


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    # Default threshold: any finding, down to "info", fails the lint.
    return subprocess.run(
        [str(HADOLINT), "--no-color", str(path)], capture_output=True, text=True, check=False
    )


def image_problems(text: str, package: str) -> list[str]:
    """What a service Dockerfile lacks: base, pinned install of its own dependencies,
    non-root, healthcheck, scope."""
    found = []
    # The base is a build argument (python -m devstack images passes a stand-in where
    # no registry answers); the default is what users build on.
    uncommented = re.sub(r"^#.*\n", "", text, flags=re.M)
    base = r"^ARG PYTHON_IMAGE=python:3\.11-slim-bookworm\nFROM \$\{PYTHON_IMAGE\}$"
    if not re.search(base, uncommented, re.M):
        found.append("base image is not ARG PYTHON_IMAGE=python:3.11-slim-bookworm")
    if "pip install --no-cache-dir --require-hashes -r requirements.lock" not in text:
        found.append("does not pip install its lock with hashes")
    users = re.findall(r"^USER (\S+)", text, re.M)
    if not users or users[-1].split(":")[0] in {"0", "root"}:
        found.append("runs as root")
    if not re.search(r"^HEALTHCHECK ", text, re.M):
        found.append("no HEALTHCHECK")
    copied = {src.rstrip("/") for src in re.findall(r"^COPY (\S+) ", text, re.M)}
    expected = {
        f"{package}/requirements.lock",
        "cryptoviz_core",
        package,
        "deploy/healthcheck.py",
        *EXTRA_COPIES.get(package, ()),
    }
    if copied != expected:
        found.append(f"copies {sorted(copied)}, expected {sorted(expected)}")
    if f'CMD ["python", "-m", "{package}"]' not in text:
        found.append(f"does not run python -m {package}")
    return found


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_hadolint_passes(name: str) -> None:
    result = hadolint(ROOT / name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y chromium\n")
    result = hadolint(bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # :latest
    assert "DL3015" in result.stdout  # no --no-install-recommends


@pytest.mark.parametrize(("name", "package"), sorted(IMAGES.items()))
def test_image_is_built_as_required(name: str, package: str) -> None:
    assert image_problems((ROOT / name).read_text(), package) == []


def test_image_problems_are_reported() -> None:
    text = (ROOT / "Dockerfile.indexer").read_text()
    text = text.replace("USER 10001:10001", "USER root")
    text = text.replace("pip install --no-cache-dir", "pip install")
    text = text.replace("COPY indexer_service/", "COPY . ")
    text = text.replace("ARG PYTHON_IMAGE=python:3.11-slim-bookworm", "ARG PYTHON_IMAGE=python:3")
    found = image_problems(text, "indexer_service")
    assert "runs as root" in found
    assert "does not pip install its lock with hashes" in found
    assert "base image is not ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in found
    assert any(p.startswith("copies ") for p in found)


def test_scraper_image_has_debian_chromium() -> None:
    text = (ROOT / "Dockerfile.scraper").read_text()
    assert "apt-get install -y --no-install-recommends chromium chromium-driver" in text
    assert "rm -rf /var/lib/apt/lists/*" in text


def test_dockerignore_keeps_secrets_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    # An allow-list: everything is excluded first, so .env can never be sent.
    assert lines[[line.startswith("#") for line in lines].index(False)] == "*"
    assert not any(line.startswith("!") and ".env" in line for line in lines)
