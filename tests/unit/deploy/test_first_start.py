"""``make up``'s first part: the generated .env, and the refusal of weak secrets."""

from __future__ import annotations

import io
import re
import stat
from pathlib import Path

import pytest

from deploy import first_start
from deploy.first_start import FirstStartError, ensure_env, env_problems, parse_env, secret_names

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / ".env.example"
# The rule deploy/elasticsearch-setup.sh and kafka-sasl-setup.sh apply to passwords.
SETUP_RULE = re.compile(r"[A-Za-z0-9]{12,}")


def written(tmp_path: Path) -> tuple[Path, str]:
    out = io.StringIO()
    env = tmp_path / ".env"
    ensure_env(EXAMPLE, env, out)
    return env, out.getvalue()


def test_every_secret_is_generated_distinct_and_strong_enough(tmp_path: Path) -> None:
    env, said = written(tmp_path)
    names = secret_names(EXAMPLE.read_text())
    assert len(names) == 9
    values = parse_env(env.read_text())
    secrets = [values[name] for name in names]
    assert len(set(secrets)) == len(secrets)
    assert all(SETUP_RULE.fullmatch(value) for value in secrets)
    assert len(values["KIBANA_ENCRYPTION_KEY"]) >= 32
    assert env_problems(EXAMPLE.read_text(), env.read_text()) == []
    # Everything else is .env.example's, unchanged.
    assert values["KIBANA_PORT"] == parse_env(EXAMPLE.read_text())["KIBANA_PORT"]
    # One line, naming the file and the login, and no secret.
    assert said.count("\n") == 1
    assert str(env) in said
    assert "elastic" in said
    assert not any(value in said for value in secrets)


def test_env_is_private_and_never_overwritten(tmp_path: Path) -> None:
    env, _ = written(tmp_path)
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    before = env.read_text()
    again = io.StringIO()
    ensure_env(EXAMPLE, env, again)
    assert env.read_text() == before
    assert again.getvalue() == ""


def test_two_runs_generate_different_secrets(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, _ = written(tmp_path / "a")
    second, _ = written(tmp_path / "b")
    assert (
        parse_env(first.read_text())["ELASTIC_PASSWORD"]
        != (parse_env(second.read_text())["ELASTIC_PASSWORD"])
    )


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("ELASTIC_PASSWORD", "change-me", "ELASTIC_PASSWORD in .env is a placeholder"),
        ("IA_ES_PASSWORD", "short1", "IA_ES_PASSWORD in .env is too short: it needs 12+"),
        (
            "KIBANA_ENCRYPTION_KEY",
            "k" * 31,
            "KIBANA_ENCRYPTION_KEY in .env is too short: it needs 32+",
        ),
        ("KAFKA_SSL_PASSWORD", "with space 0123456", "KAFKA_SSL_PASSWORD in .env may hold letters"),
        ("INDEXER_ES_PASSWORD", "", "INDEXER_ES_PASSWORD in .env is a placeholder"),
    ],
)
def test_a_weak_existing_secret_is_refused_by_name(
    tmp_path: Path, name: str, value: str, says: str
) -> None:
    env, _ = written(tmp_path)
    text = re.sub(rf"^{name}=.*$", f"{name}={value}", env.read_text(), flags=re.M)
    env.write_text(text)
    with pytest.raises(FirstStartError, match=re.escape(says)):
        ensure_env(EXAMPLE, env, io.StringIO())
    assert env.read_text() == text  # refused, not rewritten


def test_the_cli_says_it_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env.example").write_text(EXAMPLE.read_text())
    (tmp_path / ".env").write_text("ELASTIC_PASSWORD=change-me\n")
    monkeypatch.setattr(first_start, "ROOT", tmp_path)
    assert first_start.main(["env"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("make up: ELASTIC_PASSWORD in .env is a placeholder")


def test_pending_reads_what_docker_ps_says() -> None:
    containers = {
        "setup": first_start.Container("setup", "exited", "Exited (0) 3 minutes ago"),
        "kibana": first_start.Container("kibana", "restarting", "Restarting (1) 5 seconds ago"),
        "indexer": first_start.Container("indexer", "running", "Up 1 minute (healthy)"),
        "ia": first_start.Container("ia", "running", "Up 20 seconds (health: starting)"),
    }
    expected = ["ia", "indexer", "kibana", "kibana-setup", "setup"]
    assert first_start.pending(expected, containers) == [
        "ia (health: starting)",
        "kibana (restarting)",
        "kibana-setup (not created)",
    ]


def test_the_wait_is_bounded_and_names_what_it_waited_for() -> None:
    out = io.StringIO()
    with pytest.raises(FirstStartError, match=r"still waiting for: kibana \(not answering yet\)"):
        first_start.wait_ready([], dict, lambda: False, out, timeout_s=0.3, poll_s=0.1)
    assert "waiting for: kibana (not answering yet)" in out.getvalue()
