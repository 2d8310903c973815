"""docker-compose.yml is valid for both parsers and internally consistent.

Two parsers, because each misses what the other catches: Debian's docker-compose
1.29.2 interpolates .env and rejects undefined depends_on targets or volumes, but
knows only 2021's keys; check-jsonschema knows the current Compose spec but does
not interpolate or cross-check. Each check has a negative case on a broken copy.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"

# Services that run once and exit; every other service runs for good.
ONE_SHOT = {"topics", "setup", "kibana-setup"}
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


def load(path: Path = COMPOSE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def env_names(path: Path = ENV_EXAMPLE) -> set[str]:
    return {
        line.split("=", 1)[0]
        for line in path.read_text().splitlines()
        if line and not line.startswith("#")
    }


def docker_compose_config(compose: Path, env_file: Path) -> subprocess.CompletedProcess[str]:
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "docker-compose (Debian package) is required by this test"
    return subprocess.run(
        [docker_compose, "-f", str(compose), "--env-file", str(env_file), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=compose.parent,
    )


def check_jsonschema(compose: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(compose)],
        capture_output=True,
        text=True,
        check=False,
    )


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of docker-compose.yml in ``tmp_path`` with one text replacement."""
    text = COMPOSE.read_text()
    assert old in text, f"{old!r} not in docker-compose.yml: update the negative case"
    copy = tmp_path / "docker-compose.yml"
    copy.write_text(text.replace(old, new, 1))
    return copy


def cross_reference_problems(compose: dict[str, Any], env: set[str], text: str) -> list[str]:
    """depends_on targets, named volumes and ${VAR}s that do not resolve."""
    found = []
    services = compose["services"]
    declared_volumes = set(compose.get("volumes") or {})
    for name, service in services.items():
        for target in service.get("depends_on") or {}:
            if target not in services:
                found.append(f"{name} depends on undefined service {target}")
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")) and source not in declared_volumes:
                found.append(f"{name} uses undeclared volume {source}")
    used = set(VARIABLE.findall(text))
    found += [f"${{{v}}} is not documented in .env.example" for v in sorted(used - env)]
    found += [f".env.example documents {v}, which compose never uses" for v in sorted(env - used)]
    return found


def test_docker_compose_accepts_the_file() -> None:
    result = docker_compose_config(COMPOSE, ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr


def test_docker_compose_rejects_an_unknown_key(tmp_path: Path) -> None:
    broken = broken_copy(tmp_path, "    mem_limit: ${ES_MEM_LIMIT", "    mem_limt: ${ES_MEM_LIMIT")
    result = docker_compose_config(broken, ENV_EXAMPLE)
    assert result.returncode != 0
    assert "mem_limt" in result.stderr


def test_docker_compose_rejects_a_missing_secret(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(ENV_EXAMPLE.read_text().replace("IA_ES_PASSWORD=change-me\n", ""))
    result = docker_compose_config(COMPOSE, env)
    assert result.returncode != 0
    assert "IA_ES_PASSWORD" in result.stderr


def test_compose_spec_schema_accepts_the_file() -> None:
    result = check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_spec_schema_rejects_a_bad_condition(tmp_path: Path) -> None:
    broken = broken_copy(
        tmp_path, "condition: service_completed_successfully", "condition: service_done"
    )
    assert check_jsonschema(broken).returncode != 0


def test_references_resolve() -> None:
    # .env.example also documents the variables of the SASL override.
    text = COMPOSE.read_text() + (ROOT / "docker-compose.sasl.yml").read_text()
    assert cross_reference_problems(load(), env_names(), text) == []


def test_unresolved_references_are_reported(tmp_path: Path) -> None:
    broken = broken_copy(tmp_path, "      - kafka-data:/var/lib/kafka/data", "      - kdata:/x")
    text = broken.read_text().replace("${LOG_LEVEL:-INFO}", "${LOGLEVEL:-INFO}")
    found = cross_reference_problems(yaml.safe_load(text), env_names(), text)
    assert "kafka uses undeclared volume kdata" in found
    assert "${LOGLEVEL} is not documented in .env.example" in found
    assert ".env.example documents LOG_LEVEL, which compose never uses" in found


def lifecycle_problems(compose: dict[str, Any], dockerfiles: dict[str, str]) -> list[str]:
    """Long-running services restart and have a healthcheck; one-shots never restart."""
    found = []
    for name, service in compose["services"].items():
        restart = str(service.get("restart"))
        if name in ONE_SHOT:
            if restart != "no":
                found.append(f"one-shot {name} has restart {restart}")
            continue
        if restart != "unless-stopped":
            found.append(f"{name} has restart {restart}")
        dockerfile = (service.get("build") or {}).get("dockerfile")
        has_check = "healthcheck" in service or (
            dockerfile is not None and "\nHEALTHCHECK " in dockerfiles.get(dockerfile, "")
        )
        if not has_check:
            found.append(f"{name} has no healthcheck")
    return found


def dockerfile_texts() -> dict[str, str]:
    return {p.name: p.read_text() for p in ROOT.glob("Dockerfile.*")}


def test_every_service_has_a_lifecycle() -> None:
    assert lifecycle_problems(load(), dockerfile_texts()) == []


def test_missing_healthcheck_and_restart_are_reported() -> None:
    compose = load()
    del compose["services"]["kafka"]["healthcheck"]
    compose["services"]["topics"]["restart"] = "always"
    dockerfiles = {"Dockerfile.ia": "FROM python:3.11-slim-bookworm\n"}
    found = lifecycle_problems(compose, dockerfiles)
    assert "kafka has no healthcheck" in found
    assert "ia has no healthcheck" in found
    assert "one-shot topics has restart always" in found


def elasticsearch_client_problems(compose: dict[str, Any]) -> list[str]:
    """Services that talk to Elasticsearch verify its certificate with the mounted CA."""
    found = []
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        if "ELASTICSEARCH_URL" not in env:
            continue
        if not str(env["ELASTICSEARCH_URL"]).startswith("https://"):
            found.append(f"{name} talks to Elasticsearch without TLS")
        ca = env.get("ELASTICSEARCH_CA_CERT")
        mounts = [v for v in service.get("volumes") or [] if v.endswith(":ro")]
        if not ca or not any(ca.startswith(v.split(":")[1]) for v in mounts):
            found.append(f"{name} has no read-only CA for ELASTICSEARCH_CA_CERT")
    return found


def test_elasticsearch_clients_verify_tls() -> None:
    assert elasticsearch_client_problems(load()) == []


def test_client_without_ca_is_reported() -> None:
    compose = load()
    compose["services"]["ia"]["volumes"] = ["es-ca:/certs"]  # writable: not good enough
    compose["services"]["indexer"]["environment"]["ELASTICSEARCH_URL"] = "http://es:9200"
    found = elasticsearch_client_problems(compose)
    assert found == [
        "indexer talks to Elasticsearch without TLS",
        "ia has no read-only CA for ELASTICSEARCH_CA_CERT",
    ]


@pytest.mark.parametrize("node", ["zookeeper1", "zookeeper2"])
def test_zookeeper_nodes_form_one_ensemble(node: str) -> None:
    services = load()["services"]
    env = services[node]["environment"]
    assert env["ZOOKEEPER_SERVERS"] == "zookeeper1:2888:3888;zookeeper2:2888:3888"
    assert services["kafka"]["environment"]["KAFKA_ZOOKEEPER_CONNECT"] == (
        "zookeeper1:2181,zookeeper2:2181"
    )
    assert {v.split(":")[1] for v in services[node]["volumes"]} == {
        "/var/lib/zookeeper/data",
        "/var/lib/zookeeper/log",
    }


# ZooKeeper settings cp-zookeeper's zookeeper.properties template does not render:
# set as ZOOKEEPER_* variables they are silently dropped.
UNRENDERED_ZOOKEEPER = {
    "ZOOKEEPER_4LW_COMMANDS_WHITELIST": "-Dzookeeper.4lw.commands.whitelist=",
    "ZOOKEEPER_ADMIN_ENABLE_SERVER": "-Dzookeeper.admin.enableServer=",
}


def zookeeper_setting_problems(env: dict[str, Any]) -> list[str]:
    found = [
        f"{name} is ignored by cp-zookeeper; set {prop}... in KAFKA_OPTS"
        for name, prop in UNRENDERED_ZOOKEEPER.items()
        if name in env
    ]
    # The healthcheck sends `srvr`: the whitelist must say so, not rely on a default.
    if "-Dzookeeper.4lw.commands.whitelist=srvr" not in str(env.get("KAFKA_OPTS", "")).split():
        found.append("srvr is not whitelisted in KAFKA_OPTS")
    return found


@pytest.mark.parametrize("node", ["zookeeper1", "zookeeper2"])
def test_zookeeper_settings_reach_zookeeper(node: str) -> None:
    assert zookeeper_setting_problems(load()["services"][node]["environment"]) == []


def test_an_ignored_zookeeper_setting_is_reported() -> None:
    env = {"ZOOKEEPER_4LW_COMMANDS_WHITELIST": "srvr", "ZOOKEEPER_CLIENT_PORT": 2181}
    assert zookeeper_setting_problems(env) == [
        "ZOOKEEPER_4LW_COMMANDS_WHITELIST is ignored by cp-zookeeper; set "
        "-Dzookeeper.4lw.commands.whitelist=... in KAFKA_OPTS",
        "srvr is not whitelisted in KAFKA_OPTS",
    ]


def scale_problems(service: dict[str, Any]) -> list[str]:
    """Why ``docker compose up --scale <service>=N`` would break: names, ports, shared files."""
    problems = [f"fixed {key}" for key in ("container_name", "ports", "hostname") if key in service]
    for volume in service.get("volumes", []):
        spec = (
            volume if isinstance(volume, str) else f"{volume.get('source')}:{volume.get('target')}"
        )
        if not (spec.endswith(":ro") or (isinstance(volume, dict) and volume.get("read_only"))):
            problems.append(f"writable shared volume {spec}")
    return problems


def test_the_indexer_scales_out() -> None:
    # Every instance joins one consumer group; nothing else of it may be shared.
    assert scale_problems(load()["services"]["indexer"]) == []


def test_what_stops_scaling_is_reported() -> None:
    service = {"container_name": "indexer", "volumes": ["es-ca:/certs:ro", "state:/var/lib/x"]}
    assert scale_problems(service) == [
        "fixed container_name",
        "writable shared volume state:/var/lib/x",
    ]
