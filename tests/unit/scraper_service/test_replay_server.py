"""The replay server cycles snapshots and serves fixtures with their status codes."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from scraper_service.replay.server import ReplayServer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cmc"


@pytest.fixture
def base_url():
    server = ReplayServer(fixtures_dir=FIXTURES)
    yield server.start()
    server.close()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_successive_loads_cycle_through_snapshots(base_url: str) -> None:
    bodies = [_get(base_url)[1] for _ in range(4)]
    assert len(set(bodies[:3])) == 3
    assert bodies[3] == bodies[0]
    assert _get(base_url + "snapshot/2/")[1] == bodies[1]
    status, page2 = _get(base_url + "?page=2")
    assert status == 200
    assert b"Page 2 is your current page" in page2


def test_fixtures_are_served_with_their_status(base_url: str) -> None:
    assert _get(base_url + "fixture/cf-403-just-a-moment.html")[0] == 403
    assert _get(base_url + "fixture/http-429-rate-limited.html")[0] == 429
    assert _get(base_url + "fixture/initial-c.html")[0] == 200
    assert _get(base_url + "fixture/nope.html")[0] == 404
