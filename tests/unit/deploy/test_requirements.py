"""Each image installs what its service imports, at the versions requirements.txt pins."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("scraper_service", "indexer_service", "ia_module")
# Run by every image besides the service itself (see the Dockerfiles).
IMAGE_EXTRAS = (ROOT / "deploy" / "healthcheck.py",)
# Packages an image carries besides its service's: the indexer's has the operator command.
IMAGE_PACKAGES = {"indexer_service": ("cryptoviz",)}
OUR_PACKAGES = {"cryptoviz_core", "cryptoviz", *SERVICES}


def pinned() -> dict[str, str]:
    """requirements.txt: canonical distribution name -> pinned version."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line.strip())
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def listed(service: str) -> set[str]:
    """The distribution names in ``<service>/requirements.in``."""
    lines = (ROOT / service / "requirements.in").read_text().splitlines()
    return {canonicalize_name(line) for line in map(str.strip, lines) if line and line[0] != "#"}


def _module_file(module: str) -> Path | None:
    """The file of one of our modules, e.g. cryptoviz_core.schema; None for others."""
    if module.split(".")[0] not in OUR_PACKAGES:
        return None
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def third_party_imports(service: str) -> set[str]:
    """Top-level names imported by the code an image runs: its packages, the cryptoviz_core
    modules they reach, and the image's extra scripts."""
    packages = (service, *IMAGE_PACKAGES.get(service, ()))
    queue = [*(p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))), *IMAGE_EXTRAS]
    seen: set[Path] = set()
    names: set[str] = set()
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for module in modules:
                ours = _module_file(module)
                if ours is not None:
                    queue.append(ours)
                elif module.split(".")[0] not in OUR_PACKAGES | set(sys.stdlib_module_names):
                    names.add(module.split(".")[0])
    return names


def installed_with(names: set[str]) -> set[str]:
    """``names`` and everything pip installs with them (their non-extra requirements)."""
    found: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        for text in requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return found


def missing(service: str, names: set[str]) -> set[str]:
    """Distributions the service imports that installing ``names`` would not bring."""
    distributions = packages_distributions()
    imported = {
        canonicalize_name(dist)
        for name in third_party_imports(service)
        for dist in distributions.get(name, [name])
    }
    return imported - installed_with(names)


@pytest.mark.parametrize("service", SERVICES)
def test_every_listed_dependency_is_pinned(service: str) -> None:
    assert listed(service) - pinned().keys() == set()


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_has_everything_its_service_imports(service: str) -> None:
    assert missing(service, listed(service)) == set()


def test_a_missing_dependency_is_found() -> None:
    # selenium is imported by the scraper only; elasticsearch by cryptoviz_core.elastic,
    # which the indexer reaches through `from cryptoviz_core.elastic import connect`.
    assert missing("scraper_service", listed("scraper_service") - {"selenium"}) == {"selenium"}
    indexer = listed("indexer_service") - {"elasticsearch"}
    assert "elasticsearch" in missing("indexer_service", indexer)


def test_the_slim_images_leave_the_forecasting_stack_out() -> None:
    for service in ("scraper_service", "indexer_service"):
        assert installed_with(listed(service)).isdisjoint({"numpy", "pandas", "statsforecast"})
