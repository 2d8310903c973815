"""Real headless Chromium scrolls the lazy replay page until all 100 rows are rendered."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from scraper_service.browser import Browser
from scraper_service.listing import parse_page
from scraper_service.replay.server import PAGES_DIR, ReplayServer
from tests.support.replay_truth import assert_first_snapshot

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site():
    server = ReplayServer()
    yield server.start()
    server.close()


@pytest.fixture(scope="module")
def browser():
    chromium = Browser(render_budget_s=15)
    yield chromium
    chromium.close()


def test_scrolling_renders_every_row_and_matches_the_truth(site: str, browser: Browser) -> None:
    html, stats = browser.fetch(site + "snapshot/2/")
    assert stats["rows"] == 100
    assert stats["full_rows"] == 100
    result = parse_page(html, source="replay", scraped_at=datetime.now(UTC))
    assert (result.from_dom, result.from_json, len(result.rejected)) == (100, 0, 0)
    truth = json.loads((PAGES_DIR / "page1-snap2.truth.json").read_text())["quotes"]
    assert [q.to_dict() | {"scraped_at": None} for q in result.quotes] == [
        t | {"scraped_at": None} for t in truth
    ]


def test_rows_passed_over_before_the_page_checked_them_are_rendered_on_a_second_pass(
    browser: Browser,
) -> None:
    # The page renders a row only on its second entry into view: what a loaded machine
    # does to the rows in view at load when the first scroll comes before the first frame.
    snapshot = (PAGES_DIR / "page1-snap1.html").read_text()
    late = "if (!entry.isIntersecting) return;"
    assert late in snapshot
    slow = snapshot.replace(
        late, late + " if (!entry.target.dataset.seen) { entry.target.dataset.seen = 1; return; }"
    )
    server = ReplayServer(render=lambda page, load: slow if page == 1 else None)
    try:
        html, stats = browser.fetch(server.start())
    finally:
        server.close()
    assert (stats["rows"], stats["full_rows"]) == (100, 100)
    result = parse_page(html, source="replay", scraped_at=datetime.now(UTC))
    assert (result.from_dom, result.from_json) == (100, 0)
    assert_first_snapshot({q.slug: q.to_dict() for q in result.quotes}, pages=(1,))


def test_browser_is_reused_and_recycled(site: str) -> None:
    chromium = Browser(recycle_every=2, render_budget_s=15)
    try:
        chromium.fetch(site + "?page=2")
        first = chromium.pid
        chromium.fetch(site + "?page=2")
        assert chromium.pid == first
        html, _ = chromium.fetch(site + "?page=2")
        assert chromium.pid != first
        assert "Page 2 is your current page" in html
    finally:
        chromium.close()
    assert chromium.pid is None
