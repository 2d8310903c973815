"""Each image's lock (``<service>/requirements.lock``, from ``make lock``) agrees with
its ``requirements.in`` and the pins of ``requirements.txt``, with hashes throughout.

That the lock is complete (every transitive dependency pinned) is checked by pip
itself: ``--require-hashes`` refuses to install anything the lock does not name, and
the integration suite builds every image.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.unit.deploy.test_requirements import SERVICES, listed, pinned

ROOT = Path(__file__).resolve().parents[3]
REQUIREMENT = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def parse(text: str) -> tuple[dict[str, str], set[str], set[str]]:
    """(name -> pinned version, names required by the .in file, names without a hash)."""
    pins: dict[str, str] = {}
    direct: set[str] = set()
    unhashed: set[str] = set()
    current = ""
    for line in text.splitlines():
        found = REQUIREMENT.match(line)
        if found:
            current = canonicalize_name(found[1])
            pins[current] = found[2]
            unhashed.add(current)
        elif current and line.strip().startswith("--hash=sha256:"):
            unhashed.discard(current)
        elif current and re.match(r"^\s+#\s+(via\s+)?-r \S+requirements\.in$", line):
            direct.add(current)
    return pins, direct, unhashed


def lock_problems(service: str, text: str) -> list[str]:
    found = []
    if "--generate-hashes" not in text or f"{service}/requirements.in" not in text:
        found.append("not made by `make lock` (pip-compile --generate-hashes)")
    pins, direct, unhashed = parse(text)
    wanted = listed(service)
    if direct != wanted:
        found.append(f"locks {sorted(direct)} as direct, requirements.in lists {sorted(wanted)}")
    top = pinned()
    for name in sorted(wanted & pins.keys()):
        if pins[name] != top.get(name):
            found.append(f"{name}=={pins[name]}, requirements.txt pins {top.get(name)}")
    if unhashed:
        found.append(f"no hash for {sorted(unhashed)}")
    return found


def lock(service: str) -> str:
    return (ROOT / service / "requirements.lock").read_text()


@pytest.mark.parametrize("service", SERVICES)
def test_lock_matches_requirements(service: str) -> None:
    assert lock_problems(service, lock(service)) == []


def test_a_stale_lock_is_reported() -> None:
    text = lock("indexer_service")
    version = pinned()["elasticsearch"]
    older = text.replace(f"elasticsearch=={version}", "elasticsearch==9.0.0")
    assert "elasticsearch==9.0.0, requirements.txt pins " + version in lock_problems(
        "indexer_service", older
    )
    # A dependency added to requirements.in but not locked yet.
    without = re.sub(r"(?ms)^kafka-python==.*?(?=^\S)", "", text)
    assert any(p.startswith("locks ") for p in lock_problems("indexer_service", without))
    unhashed = re.sub(r"(?m)^(crc32c==\S+) \\\n(\s+--hash=\S+( \\)?\n)+", r"\1\n", text)
    assert "no hash for ['crc32c']" in lock_problems("indexer_service", unhashed)
