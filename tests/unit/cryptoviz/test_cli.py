"""The command's wiring that needs no server: help, usage errors, settings, entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cryptoviz.cli import cli, main
from cryptoviz.kafka_io import Kafka
from cryptoviz.settings import Settings
from cryptoviz_core.names import PREDICTIONS_INDEX
from cryptoviz_core.settings import ServiceSettings


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


EVERY_COMMAND = commands(cli)


def test_every_subcommand_is_listed() -> None:
    assert set(EVERY_COMMAND) >= {
        ("topics", "list"),
        ("topics", "describe"),
        ("topics", "create"),
        ("topics", "delete"),
        ("produce",),
        ("consume",),
        ("dlq", "list"),
        ("dlq", "replay"),
        ("reindex",),
        ("status",),
    }


@pytest.mark.parametrize("path", EVERY_COMMAND, ids=" ".join)
def test_every_subcommand_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: cli" in result.output or "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["consume", "t", "--offset", "3", "--since", "1h"], "use one of --from-beginning"),
        (["reindex"], "use exactly one of --from-beginning and --since"),
        (["reindex", "--from-beginning", "--since", "1h"], "use exactly one of"),
        (["topics", "create", "t", "--config", "retention"], "expected NAME=VALUE"),
    ],
)
def test_bad_usage_is_one_line_and_exit_1(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("cryptoviz: ")
    assert message in err
    assert err.count("\n") == 1


def test_invalid_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLI_TIMEOUT_S", "-1")
    assert main(["status"]) == 1
    assert "invalid settings: CLI_TIMEOUT_S" in capsys.readouterr().err


def test_settings_read_the_services_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.load().forecasts.predictions_index == PREDICTIONS_INDEX
    monkeypatch.setenv("IA_PREDICTIONS_INDEX", "p")
    monkeypatch.setenv("INDEXER_CONSUMER_GROUP", "g")
    monkeypatch.setenv("CLI_ZOOKEEPER_CONNECT", "zk1:2181,zk2:2181")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    settings = Settings.load()
    assert settings.forecasts.predictions_index == "p"
    assert settings.indexer.consumer_group == "g"
    assert settings.cli.zookeeper_connect == "zk1:2181,zk2:2181"
    assert settings.cli.kafka_bootstrap_servers == "kafka:9092"


def test_the_entry_point_and_python_m_are_the_same_command() -> None:
    script = Path(sys.executable).parent / "cryptoviz"
    for argv in ([str(script)], [sys.executable, "-m", "cryptoviz"]):
        result = subprocess.run(
            [*argv, "dlq", "--help"], capture_output=True, text=True, check=False, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert "replay" in result.stdout


def test_every_kafka_client_is_secured_as_the_services_are(tmp_path: Path) -> None:
    ca, credential = tmp_path / "ca.pem", "operator-credential"
    secured = ServiceSettings(
        kafka_bootstrap_servers="kafka:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="operator",
        kafka_sasl_password=credential,
        kafka_ssl_cafile=ca,
    )
    config = Kafka(secured, timeout_s=3).config
    assert config["bootstrap_servers"] == "kafka:9093"
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert config["sasl_plain_username"] == "operator"
    assert config["sasl_plain_password"] == credential
    assert config["ssl_cafile"] == str(ca)
    assert config["bootstrap_timeout_ms"] == 3000
    assert "security_protocol" not in Kafka(ServiceSettings(), timeout_s=3).config
