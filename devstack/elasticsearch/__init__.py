"""Run a real Elasticsearch 9.x node natively, from Maven Central artifacts.

Why this exists: Elastic publishes no 9.x distribution zip on Maven Central, and
the stack must run without Docker. Maven Central does have the server jar, the
entitlement bridge and the netty transport module with their runtime closures,
so `assemble()` rebuilds the parts of a distribution's home that a node needs:

    <home>/lib/                          server jar + runtime closure (the module path)
    <home>/lib/entitlement-bridge/       patched into java.base at launch
    <home>/lib/platform/linux-x64/       libzstd.so -> Debian's libzstd1 (native access)
    <home>/modules/transport-netty4/     HTTP and transport layer
    <home>/lib/entitlement-agent/        } compiled from java/*.java: small stand-ins
    <home>/lib/tools/ansi-console/       } for three pieces Elastic does not publish
    <home>/modules/devstack-rest-root/   }
    <home>/plugins/                      empty
    <home>/config/                       elasticsearch.yml, log4j2.properties

`start()` does what the official `bin/elasticsearch` launcher (server-cli, also
unpublished) would: it runs the JVM with that launcher's system options, as a
non-root user, and writes the serialized ServerArgs the server reads from stdin.
The server then watches stdin: the byte ESC means "shut down cleanly", EOF
means "the launcher died" (it exits too). SIGTERM also shuts it down cleanly.

Like Elastic's integ-test distribution, the node has no x-pack and only the
modules above: no security, ILM, data streams, painless, ingest pipelines or
analysis-common. Responses carry `X-Elastic-Product: Elasticsearch`, so the
official Python client works unpatched.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import os
import platform
import pwd
import re
import shutil
import struct
import subprocess
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final, NamedTuple

from devstack.exceptions import DevstackError
from devstack.jdk import find_java
from devstack.maven import run_copy

__all__ = [
    "ELASTICSEARCH_VERSION",
    "ES_USER",
    "Command",
    "ElasticsearchSetupError",
    "assemble",
    "build_command",
    "start",
]

_HERE: Final = Path(__file__).resolve().parent
_POM: Final = _HERE / "pom.xml"
_JAVA_SOURCES: Final = _HERE / "java"

#: Elasticsearch refuses to run as root; when we are root, start() runs it as this system user.
ES_USER: Final = "cryptoviz-es"
_MIN_JAVA: Final = 21  # Elasticsearch 9.x requirement
_STAMP: Final = ".devstack-assembled"  # marks a complete home; holds the inputs' fingerprint
_NETTY_MODULE: Final = "transport-netty4"
_ROOT_MODULE: Final = "devstack-rest-root"


class ElasticsearchSetupError(DevstackError):
    """The node cannot be assembled or started; the message names the cause and the fix."""


def _read_pom_version() -> str:
    # The pom's property is the single source of truth for the version.
    match = re.search(r"<elasticsearch\.version>([^<]+)</", _POM.read_text())
    if match is None:
        raise ElasticsearchSetupError(f"{_POM} has no <elasticsearch.version> property")
    return match.group(1).strip()


ELASTICSEARCH_VERSION: Final = _read_pom_version()


def _java_home() -> Path:
    """A JDK 21+ ($ES_JAVA_HOME, else the oldest fitting one in /usr/lib/jvm).

    It must be a full JDK: the server attaches its entitlement agent through the
    jdk.attach module, and assemble() compiles the stand-ins with javac.
    """
    try:
        home = find_java(minimum=_MIN_JAVA, env_var="ES_JAVA_HOME").parent.parent
    except DevstackError as err:
        raise ElasticsearchSetupError(
            f"Elasticsearch {ELASTICSEARCH_VERSION} needs Java {_MIN_JAVA}+: {err}"
        ) from None
    if not (home / "bin" / "javac").exists():
        raise ElasticsearchSetupError(
            f"{home} is a Java runtime without javac; Elasticsearch {ELASTICSEARCH_VERSION} "
            f"needs a full JDK {_MIN_JAVA}+; install one (`apt-get install "
            "openjdk-21-jdk-headless`) or point ES_JAVA_HOME at it"
        )
    return home


# --------------------------------------------------------------------------- assemble


def _build_jar(
    java_home: Path, source: str, dest: Path, manifest: str = "", classpath: str = ""
) -> None:
    """Compile one stand-in source file from java/ into its own jar at `dest`."""
    with tempfile.TemporaryDirectory() as classes:
        javac = [str(java_home / "bin" / "javac"), "--release", str(_MIN_JAVA), "-d", classes]
        if classpath:
            javac += ["-cp", classpath]
        result = subprocess.run(
            [*javac, str(_JAVA_SOURCES / source)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise ElasticsearchSetupError(
                f"javac failed on java/{source}; if the pom's version changed, its Elasticsearch "
                f"APIs may have too:\n{result.stderr.strip()}"
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(dest, "w") as out:
            out.writestr("META-INF/MANIFEST.MF", f"Manifest-Version: 1.0\r\n{manifest}\r\n")
            for cls in Path(classes).rglob("*.class"):
                out.write(cls, cls.relative_to(classes).as_posix())


_ELASTICSEARCH_YML: Final = """\
# Written by devstack/elasticsearch on assemble. Flat `key: value` lines only:
# build_command() reads this file and hands the settings to the server, as the
# official launcher does. Ports and paths are added at start time.
cluster.name: cryptoviz-devstack
node.name: devstack
# One node, no cluster formation; keeps failed bootstrap checks as warnings.
discovery.type: single-node
network.host: 127.0.0.1
# Developer disks are often over 90% full; the disk watermarks would then leave
# new shards unassigned or make indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
"""

# Console only: start() sends the process's stdout and stderr to one log file, so
# JVM errors before logging starts and the node's own log end up together.
_LOG4J2_PROPERTIES: Final = """\
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
"""


def _layout_home(java_home: Path, maven: str, home: Path) -> None:
    lib = home / "lib"
    run_copy(_POM, lib, maven)
    # The bridge is patched into java.base at launch; on the module path it would clash.
    bridge = next(lib.glob("elasticsearch-entitlement-bridge-*.jar"))
    (lib / "entitlement-bridge").mkdir()
    bridge.rename(lib / "entitlement-bridge" / bridge.name)

    # A module gets its own closure minus what lib/ already has: the same jar in the
    # server's layer and in the module's layer would be a split package.
    netty = home / "modules" / _NETTY_MODULE
    staging = home / "netty-staging"
    run_copy(_POM, staging, maven, "-P", _NETTY_MODULE)
    netty.mkdir(parents=True)
    for jar in staging.glob("*.jar"):
        if not (lib / jar.name).exists():
            jar.rename(netty / jar.name)
    shutil.rmtree(staging)
    # The build writes these next to the module's jars; the published jar embeds them.
    with zipfile.ZipFile(netty / f"{_NETTY_MODULE}-{ELASTICSEARCH_VERSION}.jar") as module_jar:
        for name in ("plugin-descriptor.properties", "entitlement-policy.yaml"):
            data = module_jar.read(f"META-INF/es-plugins/{_NETTY_MODULE}/{name}")
            (netty / name).write_bytes(data)

    # Native access (zstd, rlimits, system call filter, root check) starts by loading
    # lib/platform/<os-arch>/libzstd.so. Elastic bundles its own build; Debian's libzstd1
    # has the same API. Optional: without it the node disables native access and warns.
    machine = platform.machine()
    system_zstd = Path(f"/usr/lib/{machine}-linux-gnu/libzstd.so.1")
    es_platform = {"x86_64": "linux-x64", "aarch64": "linux-aarch64"}.get(machine)
    if es_platform and system_zstd.exists():
        (lib / "platform" / es_platform).mkdir(parents=True)
        (lib / "platform" / es_platform / "libzstd.so").symlink_to(system_zstd)

    # Stand-ins. The server attaches this agent to itself (EntitlementBootstrap); it
    # re-transforms JDK classes that are already loaded.
    _build_jar(
        java_home, "EntitlementAgent.java", lib / "entitlement-agent" / "entitlement-agent.jar",
        "Agent-Class: EntitlementAgent\r\nCan-Retransform-Classes: true\r\n"
        "Can-Redefine-Classes: true\r\n",
    )  # fmt: skip
    # Loaded by name at startup (ConsoleLoader): the directory and class must exist.
    _build_jar(java_home, "AnsiConsoleLoader.java", lib / "tools" / "ansi-console" / "console.jar")
    # GET / and HEAD / (the client's info() and ping()) live in the unpublished rest-root module.
    root = home / "modules" / _ROOT_MODULE
    _build_jar(
        java_home, "RootEndpointPlugin.java", root / f"{_ROOT_MODULE}.jar", classpath=f"{lib}/*"
    )
    (root / "plugin-descriptor.properties").write_text(
        f"name={_ROOT_MODULE}\n"
        "description=GET / and HEAD / for the devstack node (stand-in for rest-root)\n"
        f"version={ELASTICSEARCH_VERSION}\n"
        f"elasticsearch.version={ELASTICSEARCH_VERSION}\n"
        f"java.version={_MIN_JAVA}\n"
        "classname=io.cryptoviz.devstack.es.RootEndpointPlugin\n"
    )

    (home / "plugins").mkdir()
    (home / "config").mkdir()
    (home / "config" / "elasticsearch.yml").write_text(_ELASTICSEARCH_YML)
    (home / "config" / "log4j2.properties").write_text(_LOG4J2_PROPERTIES)

    # The node runs as ES_USER and must read all of this (it writes only data, logs, tmp).
    for path in [home, *home.rglob("*")]:
        if not path.is_symlink():  # never chmod the system library a link points to
            path.chmod(0o755 if path.is_dir() else 0o644)


def _fingerprint() -> str:
    """Hash of everything that shapes the home: the pom, the stand-ins' sources and the
    layout code with its config files; a change to any of them rebuilds the home."""
    digest = hashlib.sha256()
    for path in (_POM, *sorted(_JAVA_SOURCES.glob("*.java"))):
        digest.update(path.read_bytes())
    for text in (inspect.getsource(_layout_home), _ELASTICSEARCH_YML, _LOG4J2_PROPERTIES):
        digest.update(text.encode())
    return digest.hexdigest()


def assemble(home: Path, maven: str = "mvn") -> Path:
    """Lay out an Elasticsearch home at `home` from the Maven artifacts; return it.

    Idempotent: when `home` was assembled from the same pom and code, this returns
    at once, with no Maven, no JVM and no network. Otherwise it builds a new home
    beside it and swaps it in, so an interrupted run never leaves a half-built one.
    Do not call it while a node runs from `home` and the pom or this code changed.
    """
    home = Path(home).absolute()
    fingerprint = _fingerprint()
    with contextlib.suppress(OSError):
        if (home / _STAMP).read_text() == fingerprint:
            return home

    java_home = _java_home()
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}-", dir=home.parent))
    try:
        _layout_home(java_home, maven, staging)
        (staging / _STAMP).write_text(fingerprint)
        if home.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{home.name}-old-", dir=home.parent))
            home.rename(trash / "home")
            shutil.rmtree(trash)
        staging.rename(home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home


# ------------------------------------------------------------------------- ServerArgs
# The server reads its arguments from stdin in Elasticsearch's own wire format
# (ServerArgs(StreamInput), org.elasticsearch.bootstrap). These write the few
# primitive types it uses, as StreamOutput does.


def _vint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _string(value: str) -> bytes:
    # The length in UTF-16 units, then each unit as 1 to 3 bytes (StreamOutput.writeString).
    utf16 = value.encode("utf-16-le")
    units = [int.from_bytes(utf16[i : i + 2], "little") for i in range(0, len(utf16), 2)]
    out = bytearray(_vint(len(units)))
    for c in units:
        if c <= 0x7F:
            out.append(c)
        elif c <= 0x7FF:
            out += bytes((0xC0 | c >> 6, 0x80 | c & 0x3F))
        else:
            out += bytes((0xE0 | c >> 12, 0x80 | c >> 6 & 0x3F, 0x80 | c & 0x3F))
    return bytes(out)


def _bool(value: bool) -> bytes:
    return b"\x01" if value else b"\x00"


def _server_args(settings: Mapping[str, str], config_dir: Path, logs_dir: Path) -> bytes:
    out = bytearray()
    out += _bool(False)  # daemonize
    out += _bool(False)  # quiet: keep console logging, which start() sends to the log file
    out += _bool(False)  # no pid file: the caller holds the process
    # Secure settings: an empty keystore without password, as KeyStoreWrapper(StreamInput) reads it.
    out += _string("org.elasticsearch.common.settings.KeyStoreWrapper")
    out += struct.pack(">i", 7)  # format version (KeyStoreWrapper.CURRENT_VERSION in 9.5)
    out += _bool(False)  # has a password
    out += _bool(False)  # encrypted bytes present
    out += _vint(0)  # entries
    out += _bool(False)  # closed
    # Node settings: a count, then each key with a generic value (type 0 = string).
    out += _vint(len(settings))
    for key, value in settings.items():
        out += _string(key) + b"\x00" + _string(value)
    out += _string(str(config_dir))
    out += _string(str(logs_dir))
    return bytes(out)


# ---------------------------------------------------------------------- start / stop


class Command(NamedTuple):
    """How to launch the node: run argv with env in cwd, then write stdin to its stdin."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    stdin: bytes


def _tmp_dir(data_dir: Path) -> Path:
    # The JVM and the node need a private temp dir; it lives beside the data dir.
    return data_dir.parent / f"{data_dir.name}-tmp"


def _read_settings_file(path: Path) -> dict[str, str]:
    """Parse the flat `key: value` elasticsearch.yml that assemble() writes."""
    settings: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(": ")
        if not sep or raw[:1].isspace():
            raise ElasticsearchSetupError(
                f"{path}:{number}: expected a flat `key: value` line, got {raw!r}; "
                "write nested settings in dotted form (`cluster.name: x`)"
            )
        settings[key] = value.strip().strip('"')
    return settings


def build_command(
    home: Path,
    data_dir: Path,
    logs_dir: Path,
    http_port: int,
    transport_port: int,
    heap_mb: int = 512,
) -> Command:
    """How to start the node assembled at `home` on 127.0.0.1:`http_port`.

    Pure: it creates no directory and switches no user (Elasticsearch refuses to
    run as root). start() does both; use this directly only to launch it yourself.
    """
    home, data_dir, logs_dir = (Path(p).absolute() for p in (home, data_dir, logs_dir))
    if not (home / _STAMP).exists():
        raise ElasticsearchSetupError(f"{home} is not an assembled home; call assemble() first")
    java_home = _java_home()
    tmp_dir = _tmp_dir(data_dir)
    (bridge,) = (home / "lib" / "entitlement-bridge").glob("*.jar")
    argv = [
        str(java_home / "bin" / "java"),
        f"-Xms{heap_mb}m",
        f"-Xmx{heap_mb}m",
        f"-XX:MaxDirectMemorySize={heap_mb // 2}m",  # the launcher's default: half the heap
        # As the official launcher passes them (its system options and default jvm.options):
        "-Des.networkaddress.cache.ttl=60",
        "-Des.networkaddress.cache.negative.ttl=10",
        "-Xss1m",
        "-Djava.awt.headless=true",
        "-Dfile.encoding=UTF-8",
        "-Djna.nosys=true",
        "-XX:-OmitStackTraceInFastThrow",
        "-XX:+ExitOnOutOfMemoryError",
        "-Dio.netty.noUnsafe=true",
        "-Dio.netty.noKeySetOptimization=true",
        "-Dio.netty.recycler.maxCapacityPerThread=0",
        "--add-opens=org.apache.lucene.core/org.apache.lucene.codecs.lucene99=org.elasticsearch.server",
        "--add-opens=org.apache.lucene.core/org.apache.lucene.internal.vectorization="
        "org.elasticsearch.server",
        "-Dlog4j.shutdownHookEnabled=false",
        "-Dlog4j2.disable.jmx=true",
        "-Dlog4j2.formatMsgNoLookups=true",
        "-Djava.locale.providers=CLDR",
        f"-Des.path.home={home}",
        "-Des.distribution.type=tar",
        f"-Djava.io.tmpdir={tmp_dir}",
        "--add-modules=jdk.incubator.vector",
        "--enable-native-access=org.elasticsearch.nativeaccess,org.elasticsearch.foreign,"
        "org.apache.lucene.core",
        "--enable-native-access=ALL-UNNAMED",
        "--illegal-native-access=deny",
        # libvec.so (Elastic's SIMD library) is not published; without this flag its absence
        # would switch off all native access. Vector maths falls back to Java.
        "-Dorg.elasticsearch.nativeaccess.enableVectorLibrary=false",
        # Entitlements (Java 24+ has no SecurityManager): the server attaches the agent to
        # itself, and the JDK code it instruments calls the bridge from java.base.
        "-XX:+EnableDynamicAgentLoading",
        "-Djdk.attach.allowAttachSelf=true",
        f"--patch-module=java.base={bridge}",
        "--add-exports=java.base/org.elasticsearch.entitlement.bridge="
        "org.elasticsearch.entitlement,java.logging,java.net.http,java.naming,jdk.net",
        # Every jar in lib/ is a module; the server loads modules/ later, each in its own layer.
        f"--module-path={home / 'lib'}",
        "--add-modules=jdk.net",
        "--add-modules=jdk.management.agent",
        "--add-modules=ALL-MODULE-PATH",
        "-m",
        "org.elasticsearch.server/org.elasticsearch.bootstrap.Elasticsearch",
    ]
    env = {
        # Nothing from the caller's environment: JAVA_TOOL_OPTIONS and the like would leak in.
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(tmp_dir),
        # Required at startup (Environment.validateNativesConfig); the launcher sets it so.
        "LIBFFI_TMPDIR": str(tmp_dir),
    }
    settings = _read_settings_file(home / "config" / "elasticsearch.yml")
    settings |= {
        "path.home": str(home),
        "path.data": str(data_dir),
        "path.logs": str(logs_dir),
        "http.port": str(http_port),
        "transport.port": str(transport_port),
    }
    return Command(argv, env, tmp_dir, _server_args(settings, home / "config", logs_dir))


def _ensure_user(name: str) -> pwd.struct_passwd:
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home",
         "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
        check=True, capture_output=True,
    )  # fmt: skip
    return pwd.getpwnam(name)


def _check_reachable(path: Path, user: pwd.struct_passwd) -> None:
    """Fail early, with the fix, when `user` cannot reach `path` (e.g. under /root)."""
    for directory in [path, *path.parents]:
        st = directory.stat()
        if st.st_uid != user.pw_uid and not st.st_mode & 0o001:
            raise ElasticsearchSetupError(
                f"user {user.pw_name} cannot traverse {directory} (mode {st.st_mode & 0o777:o}), "
                f"so Elasticsearch cannot use {path}; keep its home, data and logs under a "
                f"world-traversable directory (not /root) or `chmod o+x {directory}`"
            )


def start(
    home: Path,
    data_dir: Path,
    logs_dir: Path,
    http_port: int,
    transport_port: int,
    heap_mb: int = 512,
    *,
    log_file: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Launch the node and return its process (the JVM itself, in a new session).

    Returns at once; the caller waits for readiness. Output goes to `log_file`
    (default <logs_dir>/elasticsearch.log). When we are root, the node runs as
    ES_USER, created on first use.

    The node outlives the caller (``python -m devstack up`` exits while it runs):
    it holds its own copy of its stdin pipe, whose EOF would otherwise mean "the
    launcher died, shut down". Stop it with SIGTERM on its pid, which is clean.
    """
    cmd = build_command(home, data_dir, logs_dir, http_port, transport_port, heap_mb)
    data_dir, logs_dir = Path(data_dir).absolute(), Path(logs_dir).absolute()
    log_file = Path(log_file) if log_file else logs_dir / "elasticsearch.log"
    user = _ensure_user(ES_USER) if os.geteuid() == 0 else None
    for directory in (data_dir, logs_dir, cmd.cwd):
        directory.mkdir(parents=True, exist_ok=True)
        if user is not None:
            os.chown(directory, user.pw_uid, user.pw_gid)
            _check_reachable(directory, user)
    if user is not None:
        _check_reachable(Path(home).absolute() / "lib", user)

    read_end, write_end = os.pipe()
    try:
        with log_file.open("ab") as log:
            proc = subprocess.Popen(
                cmd.argv,
                env=cmd.env,
                cwd=cmd.cwd,
                stdin=read_end,
                stdout=log,
                stderr=subprocess.STDOUT,
                # A copy of the write end in the node itself means its stdin never reaches EOF.
                pass_fds=(write_end,),
                start_new_session=True,  # Ctrl-C on the caller's terminal does not reach it
                user=user.pw_uid if user else None,
                group=user.pw_gid if user else None,
                extra_groups=[] if user else None,
            )
    finally:
        os.close(read_end)
    with os.fdopen(write_end, "wb") as args_pipe:
        args_pipe.write(cmd.stdin)
    return proc
