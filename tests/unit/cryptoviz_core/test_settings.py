"""Shared connection settings."""

from __future__ import annotations

import pytest

from cryptoviz_core.settings import ServiceSettings


def test_secrets_are_masked_when_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELASTICSEARCH_PASSWORD", "hunter2-not-real")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:29092")
    settings = ServiceSettings(_env_file=None)  # type: ignore[call-arg]
    view = settings.public_view()
    assert view["kafka_bootstrap_servers"] == "kafka:29092"
    assert "hunter2" not in str(view)
    assert settings.elasticsearch_password is not None
    assert settings.elasticsearch_password.get_secret_value() == "hunter2-not-real"


def test_bad_log_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        ServiceSettings(_env_file=None)  # type: ignore[call-arg]


def test_heartbeat_touches_and_survives_an_unwritable_path(tmp_path) -> None:
    from cryptoviz_core.health import beat

    target = tmp_path / "beat"
    beat(target)
    first = target.stat().st_mtime_ns
    beat(target)
    assert target.stat().st_mtime_ns >= first
    beat(tmp_path / "missing-dir" / "beat")  # logged, not raised
    beat(None)
