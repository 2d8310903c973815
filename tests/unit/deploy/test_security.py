"""Security properties of the deployment, each with a case proving the check bites.

Nothing is published beyond 127.0.0.1, Elasticsearch keeps security and TLS on,
secrets have no defaults and no literal values, containers do not run as root
unless they must, and certificate verification is never switched off.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
SECRET = re.compile(r"PASSWORD|SECRET|TOKEN|ENCRYPTION_?KEY|API_KEY")
# Root where it must be, and why: nothing else may set user 0.
ROOT_ALLOWED = {"setup": "creates the certificate volume and sets its ownership"}
# Hosts a Kafka listener may advertise: the compose network name or this machine.
LOCAL_HOSTS = {"kafka", "127.0.0.1", "localhost"}


def load(text: str | None = None) -> dict[str, Any]:
    return yaml.safe_load(text if text is not None else COMPOSE.read_text())


def port_problems(compose: dict[str, Any]) -> list[str]:
    found = []
    for name, service in compose["services"].items():
        for port in service.get("ports") or []:
            # Long syntax names the address; short syntax starts with it, if given.
            bound = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
            if bound != "127.0.0.1":
                found.append(f"{name} publishes {port} beyond 127.0.0.1")
    return found


def elasticsearch_problems(compose: dict[str, Any]) -> list[str]:
    env = compose["services"]["elasticsearch"]["environment"]
    return [
        f"{key} is not true"
        for key in (
            "xpack.security.enabled",
            "xpack.security.http.ssl.enabled",
            "xpack.security.transport.ssl.enabled",
        )
        if str(env.get(key)).lower() != "true"
    ]


def secret_problems(text: str) -> list[str]:
    """Secrets with a default value, or set to a literal instead of a required ${VAR:?}."""
    found = [
        f"secret {name} has a default value"
        for name in re.findall(r"\$\{([A-Z0-9_]+):?-", text)
        if SECRET.search(name)
    ]
    for name, service in load(text)["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET.search(key) and not re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]+\}", str(value)):
                found.append(f"{name}: {key} is not a required ${{VAR:?message}}")
    return found


def root_problems(compose: dict[str, Any]) -> list[str]:
    return [
        f"{name} runs as root"
        for name, service in compose["services"].items()
        if str(service.get("user", "")).split(":")[0] in {"0", "root"} and name not in ROOT_ALLOWED
    ]


def kafka_problems(compose: dict[str, Any]) -> list[str]:
    env = compose["services"]["kafka"]["environment"]
    found = []
    # The port may be a ${VAR:-default}; only the host matters here.
    listeners = re.sub(r"\$\{[^}]*\}", "0", env["KAFKA_ADVERTISED_LISTENERS"])
    for listener in listeners.split(","):
        host = listener.split("://", 1)[1].rsplit(":", 1)[0]
        if host not in LOCAL_HOSTS:
            found.append(f"Kafka advertises {listener} off-host")
    return found


INSECURE = re.compile(r"verify_certs\s*=\s*False|curl[ \t]+(?:\S+[ \t]+)*(?:-k|--insecure)(?=\s)")
# This file holds the insecure patterns as test data.
SCAN_EXEMPT = {"tests/unit/deploy/test_security.py"}


def insecure_files(root: Path, names: list[str]) -> list[str]:
    """Files among ``names`` (relative to ``root``) that switch TLS verification off."""
    found = []
    for name in names:
        path = root / name
        if name in SCAN_EXEMPT:
            continue
        if path.suffix in {".py", ".sh", ".yml", ".yaml", ".md", ".toml", ".cfg", ""}:
            text = path.read_text(errors="replace") if path.is_file() else ""
            if INSECURE.search(text):
                found.append(name)
    return found


def repo_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.splitlines()


def test_ports_are_bound_to_loopback() -> None:
    assert port_problems(load()) == []


def test_a_public_port_is_reported() -> None:
    compose = load()
    compose["services"]["kibana"]["ports"] = ["5601:5601"]
    compose["services"]["kafka"]["ports"] = [{"target": 9094, "published": 9094}]
    assert port_problems(compose) == [
        "kafka publishes {'target': 9094, 'published': 9094} beyond 127.0.0.1",
        "kibana publishes 5601:5601 beyond 127.0.0.1",
    ]


def test_elasticsearch_security_and_tls_are_on() -> None:
    assert elasticsearch_problems(load()) == []


def test_elasticsearch_security_off_is_reported() -> None:
    compose = load()
    compose["services"]["elasticsearch"]["environment"]["xpack.security.enabled"] = "false"
    assert elasticsearch_problems(compose) == ["xpack.security.enabled is not true"]


def test_secrets_are_required_and_never_defaulted() -> None:
    assert secret_problems(COMPOSE.read_text()) == []


def test_defaulted_or_literal_secret_is_reported() -> None:
    text = COMPOSE.read_text().replace(
        "${IA_ES_PASSWORD:?set IA_ES_PASSWORD in .env}", "${IA_ES_PASSWORD:-changeme}"
    )
    text = text.replace("ELASTICSEARCH_USERNAME: kibana_system", "SERVER_PASSWORD: hunter2")
    found = secret_problems(text)
    assert "secret IA_ES_PASSWORD has a default value" in found
    assert "ia: ELASTICSEARCH_PASSWORD is not a required ${VAR:?message}" in found
    assert "kibana: SERVER_PASSWORD is not a required ${VAR:?message}" in found


# The volume holding the private keys, and the services that need them.
KEYS_VOLUME = "es-certs"
KEYS_ALLOWED = {"setup": "creates them", "elasticsearch": "serves TLS with them"}


def key_problems(compose: dict[str, Any]) -> list[str]:
    """Services that mount the private keys without needing them."""
    return [
        f"{name} mounts {KEYS_VOLUME} (private keys)"
        for name, service in compose["services"].items()
        for volume in service.get("volumes") or []
        if str(volume).split(":")[0] == KEYS_VOLUME and name not in KEYS_ALLOWED
    ]


def test_only_elasticsearch_and_setup_see_the_private_keys() -> None:
    assert key_problems(load()) == []


def test_a_service_mounting_the_keys_is_reported() -> None:
    compose = load()
    compose["services"]["kibana"]["volumes"].append("es-certs:/usr/share/kibana/config/certs:ro")
    assert key_problems(compose) == ["kibana mounts es-certs (private keys)"]


def test_only_setup_runs_as_root() -> None:
    assert root_problems(load()) == []


def test_root_container_is_reported() -> None:
    compose = load()
    compose["services"]["kibana-setup"]["user"] = "0:0"
    assert root_problems(compose) == ["kibana-setup runs as root"]


def test_kafka_is_not_advertised_off_host() -> None:
    assert kafka_problems(load()) == []


def test_kafka_advertised_off_host_is_reported() -> None:
    compose = load()
    env = compose["services"]["kafka"]["environment"]
    env["KAFKA_ADVERTISED_LISTENERS"] = "INTERNAL://kafka:9092,HOST://203.0.113.7:9094"
    assert kafka_problems(compose) == ["Kafka advertises HOST://203.0.113.7:9094 off-host"]


def test_tls_verification_is_never_disabled() -> None:
    assert insecure_files(ROOT, repo_files()) == []


def test_disabled_verification_is_found(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_text("Elasticsearch(url, verify_certs" + " = False)\n")
    (tmp_path / "probe.sh").write_text("curl -s -k https://elasticsearch:9200\n")
    (tmp_path / "fine.py").write_text("Elasticsearch(url, ca_certs=ca)\n")
    found = insecure_files(tmp_path, ["client.py", "probe.sh", "fine.py"])
    assert found == ["client.py", "probe.sh"]


def test_example_passwords_do_not_work() -> None:
    # The same rule elasticsearch-setup.sh enforces before touching anything.
    setup = (ROOT / "deploy/elasticsearch-setup.sh").read_text()
    rule = re.search(r"=~ (\^\[A-Za-z0-9\]\{\d+,\}\$)", setup)
    assert rule, "elasticsearch-setup.sh no longer checks password strength"
    example = (ROOT / ".env.example").read_text()
    secrets = re.findall(r"^([A-Z0-9_]+)=(.*)$", example, re.M)
    placeholders = [value for name, value in secrets if SECRET.search(name)]
    assert len(placeholders) == 9  # 5 for Elasticsearch and Kibana, 4 for Kafka SASL
    assert not any(re.fullmatch(rule.group(1), value) for value in placeholders)
    # kafka-sasl-setup.sh enforces the same rule on the Kafka ones.
    assert rule.group(0) in (ROOT / "deploy/kafka-sasl-setup.sh").read_text()


def test_env_file_is_never_committed() -> None:
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" not in repo_files()
