"""docker-compose.sasl.yml: a valid override that leaves no Kafka client in plaintext.

Checked like the main file (tests/unit/deploy/test_compose.py): Debian's
docker-compose interpolates and merges both files with .env.example, and the
Compose spec schema checks the override alone. Each check has a negative case.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.unit.deploy.test_compose import ENV_EXAMPLE, ROOT, check_jsonschema

COMPOSE = ROOT / "docker-compose.yml"
SASL = ROOT / "docker-compose.sasl.yml"
# Services that talk to Kafka with the Python client, and so read KAFKA_* settings.
PYTHON_CLIENTS = ("scraper", "indexer")


def merged(env_file: Path = ENV_EXAMPLE, override: Path = SASL) -> subprocess.CompletedProcess[str]:
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "docker-compose (Debian package) is required by this test"
    return subprocess.run(
        [
            docker_compose,
            "-f",
            str(COMPOSE),
            "-f",
            str(override),
            "--env-file",
            str(env_file),
            "config",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def services() -> dict[str, Any]:
    result = merged()
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def plaintext_problems(config: dict[str, Any]) -> list[str]:
    """Kafka listeners or Python clients of the merged config that are not SASL_SSL."""
    found = []
    protocol_map = config["kafka"]["environment"]["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    for entry in protocol_map.split(","):
        if not entry.endswith(":SASL_SSL"):
            found.append(f"kafka listener {entry}")
    for name in PYTHON_CLIENTS:
        env = config[name]["environment"]
        if env.get("KAFKA_SECURITY_PROTOCOL") != "SASL_SSL" or not env.get("KAFKA_SSL_CAFILE"):
            found.append(f"{name} is not a SASL_SSL client verifying the broker")
    return found


def test_docker_compose_accepts_both_files_together() -> None:
    result = merged()
    assert result.returncode == 0, result.stderr


def test_a_missing_kafka_secret_stops_compose(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(ENV_EXAMPLE.read_text().replace("KAFKA_SCRAPER_PASSWORD=change-me\n", ""))
    result = merged(env)
    assert result.returncode != 0
    assert "KAFKA_SCRAPER_PASSWORD" in result.stderr


def test_compose_spec_schema_accepts_the_override() -> None:
    result = check_jsonschema(SASL)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_spec_schema_rejects_a_broken_override(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.sasl.yml"
    text = SASL.read_text()
    assert "condition: service_completed_successfully" in text
    broken.write_text(text.replace("condition: service_completed_successfully", "condition: done"))
    assert check_jsonschema(broken).returncode != 0


def test_every_listener_and_client_uses_sasl_ssl() -> None:
    assert plaintext_problems(services()) == []


def test_a_plaintext_client_is_reported() -> None:
    config = services()
    config["indexer"]["environment"]["KAFKA_SECURITY_PROTOCOL"] = "PLAINTEXT"
    config["kafka"]["environment"]["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] = (
        "INTERNAL:SASL_SSL,HOST:PLAINTEXT"
    )
    assert plaintext_problems(config) == [
        "kafka listener HOST:PLAINTEXT",
        "indexer is not a SASL_SSL client verifying the broker",
    ]


def test_each_client_has_its_own_user_and_the_broker_trusts_hostnames() -> None:
    config = services()
    users = {config[name]["environment"]["KAFKA_SASL_USERNAME"] for name in PYTHON_CLIENTS}
    assert users == set(PYTHON_CLIENTS)
    broker = config["kafka"]["environment"]
    assert broker["KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM"] == "https"
    assert broker["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    # The clients mount the CA only, never the broker's keystores.
    for name in PYTHON_CLIENTS:
        assert all("kafka-secrets" not in str(v) for v in config[name].get("volumes", []))
