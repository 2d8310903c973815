"""RunSettings and the children's environment: demo tuning only in replay, user values win."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline_runner.settings import REPLAY_DEMO_ENV, RunSettings, child_env
from scraper_service.settings import ScraperSettings

ENDPOINTS = {"kafka": "127.0.0.1:19092", "elasticsearch": "http://127.0.0.1:19200"}


def test_defaults_are_auto_source_and_no_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SOURCE", "RUN_SOURCE", "DURATION", "RUN_DURATION"):
        monkeypatch.delenv(name, raising=False)
    settings = RunSettings(_env_file=None)
    assert settings.source == "auto"
    assert settings.duration is None


def test_short_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE", "replay")
    monkeypatch.setenv("DURATION", "90")
    settings = RunSettings(_env_file=None)
    assert (settings.source, settings.duration) == ("replay", 90.0)


def test_bad_source_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE", "sometimes")
    with pytest.raises(ValidationError):
        RunSettings(_env_file=None)


def test_replay_env_has_demo_tuning_and_the_run_wiring() -> None:
    settings = RunSettings(_env_file=None, topic="t.q", index_prefix="p-q", id="abc")
    env = child_env(settings, {}, replay_url="http://127.0.0.1:5000/", **ENDPOINTS)
    assert env["IA_STEP"] == REPLAY_DEMO_ENV["IA_STEP"]
    assert env["SCRAPER_SOURCE"] == "replay"
    assert env["SCRAPER_BASE_URL"] == "http://127.0.0.1:5000/"
    assert env["SCRAPER_REPLAY_SERVE"] == "false"
    assert env["SCRAPER_TOPIC"] == env["INDEXER_TOPIC"] == "t.q"
    assert env["IA_QUOTES_INDEX"] == "p-q-*"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == ENDPOINTS["kafka"]
    assert env["CRYPTOVIZ_RUN_ID"] == "abc"


def test_live_env_keeps_the_services_defaults() -> None:
    env = child_env(RunSettings(_env_file=None), {}, replay_url=None, **ENDPOINTS)
    assert env["SCRAPER_SOURCE"] == "live"
    assert not set(REPLAY_DEMO_ENV) & set(env)


def test_user_values_beat_demo_tuning_but_not_the_wiring() -> None:
    base = {"IA_STEP": "30s", "KAFKA_BOOTSTRAP_SERVERS": "elsewhere:9092"}
    env = child_env(RunSettings(_env_file=None), base, replay_url="http://x/", **ENDPOINTS)
    assert env["IA_STEP"] == "30s"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == ENDPOINTS["kafka"]


def test_demo_tuning_is_valid_for_the_services(monkeypatch: pytest.MonkeyPatch) -> None:
    from ia_module.settings import IASettings

    env = child_env(RunSettings(_env_file=None), {}, replay_url="http://x/", **ENDPOINTS)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ia = IASettings(_env_file=None)
    assert ia.min_points >= ia.horizon + 3
    scraper = ScraperSettings(_env_file=None)
    assert scraper.interval_s == 10.0
    assert scraper.replay_serve is False
