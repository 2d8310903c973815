"""``python -m devstack images``: the three service images, built on the devstack's engine.

The Dockerfiles take their base as ``ARG PYTHON_IMAGE`` (default: the official
``python:3.11-slim-bookworm``). When the engine has no such image and cannot pull
it (no registry reachable), a stand-in is made from Debian packages: debootstrap
bookworm, Debian's Python 3.11 with venv and pip, the host's extra certificate
authorities (so that pip inside a build reaches PyPI through a re-signing proxy),
imported as ``cryptoviz/python-base:<recipe hash>``. Its root file system is cached
as a tarball outside the clone (``DEVSTACK_IMAGE_CACHE``), so a fresh clone only
imports it. One line says which base was used.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from devstack.docker_engine import Engine, apt_install
from devstack.exceptions import DevstackError

REPO_ROOT = Path(__file__).resolve().parent.parent
# Image name -> Dockerfile; the tags are the ones docker-compose.yml gives them.
DOCKERFILES = {
    "scraper": "Dockerfile.scraper",
    "indexer": "Dockerfile.indexer",
    "ia": "Dockerfile.ia",
}
BASE_ARG = "PYTHON_IMAGE"
PULL_TIMEOUT_S = 120.0
BUILD_TIMEOUT_S = 1800.0

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
BASE_PACKAGES = ("python3", "python3-venv", "python3-pip", "ca-certificates")
HOST_CAS = Path("/usr/local/share/ca-certificates")
BASE_REPOSITORY = "cryptoviz/python-base"
# The official image's PATH and locale; its python and pip live in /usr/local/bin.
BASE_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)
# Run in the chroot after debootstrap. Debian marks its Python externally managed
# (PEP 668); the official image has no such marker and our Dockerfiles pip install
# into it, so the stand-in drops it, as it links python and pip where they are there.
CHROOT_SCRIPT = f"""set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get upgrade -y -qq
apt-get install -y -qq --no-install-recommends {" ".join(BASE_PACKAGES)}
update-ca-certificates
apt-get clean
rm -rf /var/lib/apt/lists/*
rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED
ln -sf /usr/bin/python3 /usr/local/bin/python
ln -sf /usr/bin/pip3 /usr/local/bin/pip
"""
SOURCES = (
    f"deb {MIRROR} {SUITE} main\n"
    f"deb {MIRROR} {SUITE}-updates main\n"
    f"deb {SECURITY_MIRROR} {SUITE}-security main\n"
)


def image_tag(name: str) -> str:
    """``cryptoviz/<name>:local``, as docker-compose.yml tags the images it builds."""
    return f"cryptoviz/{name}:local"


def default_base(dockerfile: Path | None = None) -> str:
    """The default of ``ARG PYTHON_IMAGE`` in a Dockerfile (all three give the same)."""
    path = dockerfile or REPO_ROOT / DOCKERFILES["indexer"]
    found = re.search(rf"^ARG {BASE_ARG}=(\S+)$", path.read_text(), re.M)
    if found is None:
        raise DevstackError(f"{path} has no `ARG {BASE_ARG}=<image>` line")
    return found.group(1)


def host_cas(directory: Path = HOST_CAS) -> list[Path]:
    """The host's extra certificate authorities, in a stable order."""
    return sorted(directory.glob("*.crt")) if directory.is_dir() else []


def recipe_key(cas: list[Path]) -> str:
    """Changes whenever the stand-in base would come out different."""
    digest = hashlib.sha256()
    for part in (SUITE, MIRROR, SOURCES, CHROOT_SCRIPT, *BASE_CHANGES):
        digest.update(part.encode() + b"\0")
    for ca in cas:
        digest.update(ca.name.encode() + b"\0" + ca.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Built:
    """What ``images`` made: where the engine listens, the base used, the image tags."""

    docker_host: str
    base: str
    base_source: str
    images: dict[str, str]
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class ImageBuilder:
    """Makes the base (when needed) and builds the service images on ``engine``."""

    def __init__(self, engine: Engine, cache_dir: Path, log: Path) -> None:
        self.engine = engine
        self.cache_dir = cache_dir
        self.log = log

    # -- engine queries ----------------------------------------------------

    def has_image(self, ref: str) -> bool:
        done = subprocess.run(
            self.engine.docker("image", "inspect", ref), capture_output=True, check=False
        )
        return done.returncode == 0

    def _run(self, argv: list[str], what: str, timeout_s: float, **kwargs: object) -> None:
        """Run a step, its output appended to the log; one line naming the step on failure."""
        with self.log.open("ab") as log:
            log.write(f"\n$ {' '.join(argv)}\n".encode())
            log.flush()
            try:
                done = subprocess.run(
                    argv,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    timeout=timeout_s,
                    check=False,
                    **kwargs,  # type: ignore[call-overload]
                )
            except subprocess.TimeoutExpired:
                raise DevstackError(
                    f"{what}: no result after {timeout_s:.0f}s; see {self.log}"
                ) from None
        if done.returncode != 0:
            lines = self.log.read_text(errors="replace").strip().splitlines()
            raise DevstackError(f"{what} failed: {lines[-1] if lines else '?'}; see {self.log}")

    # -- the base ----------------------------------------------------------

    def base(self) -> tuple[str, str]:
        """(image, how it was had): the default when present or pullable, else the stand-in."""
        default = default_base()
        if self.has_image(default):
            return default, "already in the engine"
        with contextlib.suppress(DevstackError):
            self._run(self.engine.docker("pull", default), f"pull {default}", PULL_TIMEOUT_S)
            return default, "pulled"
        cas = host_cas()
        tag = f"{BASE_REPOSITORY}:3.11-{SUITE}-{recipe_key(cas)}"
        if self.has_image(tag):
            return tag, f"{default} cannot be pulled; Debian stand-in already in the engine"
        tarball = self.cache_dir / f"python-base-{SUITE}-{recipe_key(cas)}.tar"
        how = "imported from the cache"
        if not tarball.exists():
            self._make_rootfs(tarball, cas)
            how = "made with debootstrap"
        changes = [arg for change in BASE_CHANGES for arg in ("--change", change)]
        self._run(
            self.engine.docker("import", *changes, str(tarball), tag),
            f"import {tarball}",
            PULL_TIMEOUT_S,
        )
        return tag, f"{default} cannot be pulled; Debian stand-in {how} ({tarball})"

    def _make_rootfs(self, tarball: Path, cas: list[Path]) -> None:
        """debootstrap + Debian's Python + the host's CAs, tarred into the cache."""
        if shutil.which("debootstrap") is None:
            apt_install(["debootstrap"], "to make the base image without a registry")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.cache_dir, prefix="rootfs-") as tmp:
            root = Path(tmp) / "rootfs"
            print(
                f"devstack: debootstrap {SUITE} into {root} (about 2 minutes)",
                file=sys.stderr,
                flush=True,
            )
            self._run(
                ["debootstrap", "--variant=minbase", SUITE, str(root), MIRROR],
                "debootstrap",
                BUILD_TIMEOUT_S,
            )
            (root / "etc/apt/sources.list").write_text(SOURCES)
            shutil.copy2("/etc/resolv.conf", root / "etc/resolv.conf")
            ca_dir = root / "usr/local/share/ca-certificates"
            ca_dir.mkdir(parents=True, exist_ok=True)
            for ca in cas:
                shutil.copy2(ca, ca_dir / ca.name)
            self._run(
                ["chroot", str(root), "/bin/sh", "-c", CHROOT_SCRIPT],
                "Python in the base image",
                BUILD_TIMEOUT_S,
                env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
            )
            # The engine writes its own resolv.conf into each container.
            (root / "etc/resolv.conf").write_text("")
            partial = tarball.with_suffix(".partial")
            self._run(
                ["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."],
                "tar the base image",
                BUILD_TIMEOUT_S,
            )
            partial.rename(tarball)

    # -- the services ------------------------------------------------------

    def build(self, name: str, base: str) -> None:
        dockerfile = DOCKERFILES[name]
        self._run(
            self.engine.docker(
                "build",
                # A failed step's container is removed too, not left behind.
                "--force-rm",
                "--network",
                "host",
                "--build-arg",
                f"{BASE_ARG}={base}",
                "-f",
                str(REPO_ROOT / dockerfile),
                "-t",
                image_tag(name),
                str(REPO_ROOT),
            ),
            f"docker build {dockerfile}",
            BUILD_TIMEOUT_S,
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )

    def build_all(self, names: tuple[str, ...] = tuple(DOCKERFILES)) -> Built:
        started = time.monotonic()
        base, how = self.base()
        print(f"devstack: base image {base} ({how})", file=sys.stderr, flush=True)
        for name in names:
            step = time.monotonic()
            self.build(name, base)
            took = time.monotonic() - step
            print(f"devstack: built {image_tag(name)} in {took:.0f}s", file=sys.stderr, flush=True)
        return Built(
            docker_host=self.engine.host,
            base=base,
            base_source=how,
            images={name: image_tag(name) for name in names},
            seconds=round(time.monotonic() - started, 1),
        )


@contextlib.contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """One build at a time per devstack: two test sessions must not race on the tags."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
