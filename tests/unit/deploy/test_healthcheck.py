"""deploy/healthcheck.py: fresh heartbeat healthy, stale or missing unhealthy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deploy import healthcheck


def test_fresh_heartbeat_is_healthy(tmp_path: Path) -> None:
    beat = tmp_path / "heartbeat"
    beat.touch()
    assert healthcheck.check(beat, 60, beat.stat().st_mtime + 59) is None


def test_stale_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    beat = tmp_path / "heartbeat"
    beat.touch()
    reason = healthcheck.check(beat, 60, beat.stat().st_mtime + 61)
    assert reason is not None
    assert "61s old (max 60s)" in reason


def test_missing_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    assert healthcheck.check(tmp_path / "none", 60, 0) == f"no heartbeat file {tmp_path / 'none'}"


def test_exit_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    beat = tmp_path / "heartbeat"
    monkeypatch.setenv("HEALTH_FILE", str(beat))
    monkeypatch.setenv("HEALTH_MAX_AGE_S", "30")
    assert healthcheck.main() == 1
    beat.touch()
    assert healthcheck.main() == 0
    os.utime(beat, (0, 0))
    assert healthcheck.main() == 1
