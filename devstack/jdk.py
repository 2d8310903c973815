"""Finding a JDK of the right version among those installed."""

from __future__ import annotations

import os
import re
from pathlib import Path

from devstack.exceptions import DevstackError

JVM_ROOTS = (Path("/usr/lib/jvm"),)


def _major(java_home: Path) -> int | None:
    release = java_home / "release"
    if not (java_home / "bin" / "java").exists() or not release.exists():
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', release.read_text(), re.MULTILINE)
    return int(match.group(1)) if match else None


def installed_jdks() -> dict[Path, int]:
    """Every JDK under /usr/lib/jvm with its major version (symlinked duplicates folded)."""
    found: dict[Path, int] = {}
    for root in JVM_ROOTS:
        for home in sorted(root.glob("*")) if root.is_dir() else []:
            major = _major(home)
            if major is not None:
                found.setdefault(home.resolve(), major)
    return found


def find_java(minimum: int, maximum: int | None = None, env_var: str | None = None) -> Path:
    """The java binary of an installed JDK with ``minimum <= major <= maximum``.

    ``env_var`` (e.g. ES_JAVA_HOME) overrides the search. Prefers the oldest
    fitting major, the one the server was tested on most. Raises DevstackError
    naming the versions found and how to install a fitting one.
    """
    if env_var and os.environ.get(env_var):
        home = Path(os.environ[env_var])
        major = _major(home)
        if major is None or major < minimum:
            raise DevstackError(
                f"{env_var}={home} is not a JDK {minimum}+; unset it or point it at one"
            )
        return home / "bin" / "java"
    jdks = installed_jdks()
    fitting = sorted(
        (major, home)
        for home, major in jdks.items()
        if major >= minimum and (maximum is None or major <= maximum)
    )
    if not fitting:
        seen = ", ".join(f"{home} ({major})" for home, major in jdks.items()) or "none"
        wanted = f"{minimum}-{maximum}" if maximum else f"{minimum}+"
        raise DevstackError(
            f"no JDK {wanted} found (installed: {seen}); "
            f"install one, e.g. `apt-get install openjdk-{minimum}-jdk-headless`"
        )
    return fitting[0][1] / "bin" / "java"
