"""Resolving pinned artifacts with Maven, once; later runs need no network."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from devstack.exceptions import DevstackError

DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MAVEN_TIMEOUT_S = 900


def run_copy(pom: Path, out_dir: Path, maven: str = "mvn", *extra: str) -> None:
    """Copy the runtime closure of ``pom`` (with ``extra`` Maven arguments, e.g. a
    profile) into ``out_dir``. Raises DevstackError when Maven is missing, hangs
    or cannot resolve an artifact."""
    if shutil.which(maven) is None:
        raise DevstackError(f"`{maven}` not found; install Maven (`apt-get install maven`)")
    command = [
        maven, "-q", "-B", "-f", str(pom), *extra, f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        f"-DoutputDirectory={out_dir}", "-DincludeScope=runtime",
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=MAVEN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise DevstackError(
            f"Maven did not resolve {pom} within {MAVEN_TIMEOUT_S}s; check access to Maven Central"
        ) from None
    if result.returncode != 0:
        missing = [line for line in result.stdout.splitlines() if "ERROR" in line][:1]
        detail = missing[0].replace("[ERROR] ", "").strip() if missing else "see `mvn` output"
        raise DevstackError(
            f"Maven could not resolve the artifacts of {pom}: {detail}; "
            "check network access to Maven Central (the first run needs it) or the pinned version"
        )


def copy_dependencies(pom: Path, target: Path, maven: str = "mvn") -> Path:
    """Copy the runtime closure of ``pom`` into ``target``; idempotent.

    A marker holding the pom's hash makes a second call a no-op, so a warm
    cache starts with no Maven run at all.
    """
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    marker = target / ".resolved"
    if marker.exists() and marker.read_text() == digest:
        return target
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    run_copy(pom, staging, maven)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    marker.write_text(digest)
    return target
