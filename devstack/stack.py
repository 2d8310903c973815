"""The whole local stack: start in dependency order, wait for real readiness, stop cleanly."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from devstack import elasticsearch as es_node
from devstack import kafka, zookeeper
from devstack.docker_engine import Engine
from devstack.exceptions import DevstackError
from devstack.images import Built, ImageBuilder
from devstack.images import exclusive as images_exclusive
from devstack.jdk import find_java
from devstack.maven import copy_dependencies
from devstack.processes import ServerProcess
from devstack.readiness import wait_until
from devstack.settings import DevstackSettings

HERE = Path(__file__).resolve().parent
ZOOKEEPERS = ("zookeeper1", "zookeeper2")
SERVICES = (*ZOOKEEPERS, "kafka", "elasticsearch")
HTTP_TIMEOUT_S = 3.0
PORT_RELEASE_S = 5.0


@dataclass(frozen=True)
class Endpoints:
    """Where each service listens; what ``python -m devstack up`` prints."""

    zookeeper: list[str]
    kafka: str
    elasticsearch: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def elasticsearch_ready(url: str) -> bool:
    """``GET /`` says it is Elasticsearch, and cluster health is at least yellow."""
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as root:
            if root.headers.get("X-Elastic-Product") != "Elasticsearch":
                return False
        health_url = f"{url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        with urllib.request.urlopen(health_url, timeout=HTTP_TIMEOUT_S) as health:
            return json.load(health).get("status") in ("yellow", "green")
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Stack:
    """The four servers of the local stack, under ``settings.home``.

    Every method is safe to call whatever state the stack is in: ``up`` starts
    only what is not running, ``down`` stops only what is. Servers are found
    by their recorded pid, so a second process (a CLI call, a test session)
    sees the stack the first one started.
    """

    def __init__(self, settings: DevstackSettings | None = None) -> None:
        self.settings = settings or DevstackSettings()
        home = self.settings.home
        self.state_dir = home / "state"
        self.data_dir = home / "data"
        self.processes = {name: ServerProcess(name, self.state_dir) for name in SERVICES}
        self.engine = Engine(home, self.state_dir)

    @property
    def endpoints(self) -> Endpoints:
        s = self.settings
        return Endpoints(
            zookeeper=[f"127.0.0.1:{p}" for p in s.zookeeper_ports],
            kafka=f"127.0.0.1:{s.kafka_port}",
            elasticsearch=f"http://127.0.0.1:{s.elasticsearch_port}",
        )

    # -- lifecycle ---------------------------------------------------------

    def up(self) -> Endpoints:
        """Start whatever is not running and wait until all of it is ready.

        On any failure, stops what this call started and raises DevstackError.
        """
        started: list[str] = []
        with self._exclusive():
            try:
                self._up(started)
            except BaseException:
                for name in reversed(started):
                    self.processes[name].stop()
                raise
        return self.endpoints

    def _up(self, started: list[str]) -> None:
        """Start what is missing, recording each name in ``started`` for the rollback."""
        self.fetch()
        for name in ZOOKEEPERS:
            if not self.running(name):
                self._spawn(name)
                started.append(name)
        self._wait_zookeeper()
        for name in ("kafka", "elasticsearch"):
            if not self.running(name):
                self.start(name)
                started.append(name)
        self._wait_kafka()
        self._wait_elasticsearch()

    def docker(self) -> str:
        """Start the devstack's Docker engine unless it answers; returns its DOCKER_HOST."""
        with self._exclusive():
            return self.engine.up()

    def images(self) -> Built:
        """The engine up, then the three service images built on it (the base made if needed)."""
        self.docker()
        builder = ImageBuilder(
            self.engine, self.settings.image_cache, self.state_dir / "images.log"
        )
        with images_exclusive(self.state_dir / "images.lock"):
            return builder.build_all()

    def down(self) -> None:
        """Stop every server, dependents first (the engine's containers use the others).
        Idempotent."""
        with self._exclusive():
            self.engine.down()
            for name in reversed(SERVICES):
                self.processes[name].stop()

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise ``up`` and ``down`` across processes: two test runs, or a CLI
        call during a test run, must not both start the same server."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.state_dir / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def start(self, name: str) -> None:
        """Start one server (e.g. after a fault test stopped it) and wait until it serves."""
        self._spawn(name)
        waits: dict[str, Callable[[], None]] = {
            "kafka": self._wait_kafka,
            "elasticsearch": self._wait_elasticsearch,
        }
        waits.get(name, self._wait_zookeeper)()

    def stop(self, name: str) -> None:
        """Stop one server gracefully."""
        self.processes[name].stop()

    def kill(self, name: str) -> None:
        """SIGKILL one server, as a crash would."""
        self.processes[name].kill()

    def running(self, name: str) -> bool:
        return self.processes[name].pid() is not None

    def status(self) -> dict[str, bool]:
        """Per service: does it really serve (not just: is its process alive)."""
        zk_ports = list(self.settings.zookeeper_ports)
        ok = {name: zookeeper.serves(port) for name, port in zip(ZOOKEEPERS, zk_ports, strict=True)}
        ok["kafka"] = self.running("kafka") and kafka.answers_metadata(self.endpoints.kafka)
        ok["elasticsearch"] = elasticsearch_ready(self.endpoints.elasticsearch)
        return ok

    # -- internals ---------------------------------------------------------

    def fetch(self) -> None:
        """Resolve and lay out the servers' artifacts; a no-op when the cache is warm."""
        self.kafka_lib = copy_dependencies(
            HERE / "pom.xml", self.settings.home / "kafka-lib", self.settings.maven
        )
        self.es_home = es_node.assemble(
            self.settings.elasticsearch_dir / "home", self.settings.maven
        )

    def _ports(self, name: str) -> dict[int, str]:
        s = self.settings
        if name in ZOOKEEPERS:
            i = ZOOKEEPERS.index(name)
            peer, election = s.zookeeper_quorum_ports[i]
            return {
                s.zookeeper_ports[i]: f"DEVSTACK_ZOOKEEPER_PORTS ({name} client)",
                peer: f"DEVSTACK_ZOOKEEPER_QUORUM_PORTS ({name} peer)",
                election: f"DEVSTACK_ZOOKEEPER_QUORUM_PORTS ({name} election)",
            }
        if name == "kafka":
            return {s.kafka_port: "DEVSTACK_KAFKA_PORT"}
        return {
            s.elasticsearch_port: "DEVSTACK_ELASTICSEARCH_PORT",
            s.elasticsearch_transport_port: "DEVSTACK_ELASTICSEARCH_TRANSPORT_PORT",
        }

    def _check_ports(self, name: str) -> None:
        for port, setting in self._ports(name).items():
            # A server killed a moment ago may still be closing its sockets.
            deadline = time.monotonic() + PORT_RELEASE_S
            while not _port_free(port) and time.monotonic() < deadline:
                time.sleep(0.2)
            if not _port_free(port):
                raise DevstackError(
                    f"port {port} for {name} is already in use by another process; "
                    f"stop that process or choose another port with {setting}"
                )

    def _java_command(self, main_class: str, heap_mb: int, args: list[str]) -> list[str]:
        java = find_java(minimum=11, maximum=21)
        log4j = kafka.write_log4j(self.state_dir / "log4j.properties")
        return [
            str(java),
            f"-Xms{heap_mb}m",
            f"-Xmx{heap_mb}m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{log4j}",
            "-cp",
            f"{self.kafka_lib}/*",
            main_class,
            *args,
        ]

    def _spawn(self, name: str) -> None:
        if self.running(name):
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._check_ports(name)
        s = self.settings
        process = self.processes[name]
        if name in ZOOKEEPERS:
            i = ZOOKEEPERS.index(name)
            cfg = zookeeper.write_config(
                i + 1, self.data_dir / name, s.zookeeper_ports[i], list(s.zookeeper_quorum_ports)
            )
            process.spawn(self._java_command(zookeeper.MAIN_CLASS, s.zookeeper_heap_mb, [str(cfg)]))
        elif name == "kafka":
            # After a crash, the dead broker's ZooKeeper session holds /brokers/ids/0 until
            # it expires; a broker started before that exits at once.
            wait_until(
                "kafka (the crashed broker's ZooKeeper session to expire)",
                lambda: not kafka.registered_in_zookeeper(list(s.zookeeper_ports)),
                kafka.SESSION_EXPIRY_S,
            )
            cfg = kafka.write_config(self.data_dir / "kafka", s.kafka_port, list(s.zookeeper_ports))
            process.spawn(self._java_command(kafka.MAIN_CLASS, s.kafka_heap_mb, [str(cfg)]))
        else:
            node = es_node.start(
                self.es_home,
                s.elasticsearch_dir / "data",
                s.elasticsearch_dir / "logs",
                http_port=s.elasticsearch_port,
                transport_port=s.elasticsearch_transport_port,
                heap_mb=s.elasticsearch_heap_mb,
                log_file=process.logfile,
            )
            process.adopt(node)

    def _alive(self, name: str) -> Callable[[], bool]:
        return lambda: self.running(name)

    def _failure(self, name: str, err: DevstackError) -> DevstackError:
        """One line: what failed, the server's last error if it logged one, and its log."""
        process = self.processes[name]
        errors = [
            line.strip()
            for line in process.log_tail(200).splitlines()
            if "ERROR" in line or "FATAL" in line or "Exception" in line
        ]
        cause = f"; last error: {errors[-1][:300]}" if errors else ""
        return DevstackError(f"{err}{cause}; full log: {process.logfile}")

    def _wait_zookeeper(self) -> None:
        for name, port in zip(ZOOKEEPERS, self.settings.zookeeper_ports, strict=True):
            try:
                wait_until(
                    f"{name} (srvr on 127.0.0.1:{port})",
                    functools.partial(zookeeper.serves, port),
                    self.settings.ready_timeout_s,
                    alive=self._alive(name),
                )
            except DevstackError as err:
                raise self._failure(name, err) from None

    def _wait_kafka(self) -> None:
        bootstrap = self.endpoints.kafka
        zk_ports = list(self.settings.zookeeper_ports)
        try:
            wait_until(
                f"kafka (metadata on {bootstrap}, /brokers/ids/{kafka.BROKER_ID} in ZooKeeper)",
                lambda: (
                    kafka.registered_in_zookeeper(zk_ports) and kafka.answers_metadata(bootstrap)
                ),
                self.settings.ready_timeout_s,
                alive=self._alive("kafka"),
            )
        except DevstackError as err:
            raise self._failure("kafka", err) from None

    def _wait_elasticsearch(self) -> None:
        url = self.endpoints.elasticsearch
        try:
            wait_until(
                f"elasticsearch ({url} health yellow)",
                lambda: elasticsearch_ready(url),
                self.settings.ready_timeout_s,
                alive=self._alive("elasticsearch"),
            )
        except DevstackError as err:
            raise self._failure("elasticsearch", err) from None
