"""Whole scrape cycles with in-memory fakes: no browser, no Kafka, a fake clock."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from cryptoviz_core.retry import Backoff
from cryptoviz_core.schema import QuoteV1
from scraper_service.exceptions import BrowserError, PublishError
from scraper_service.service import Scraper

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cmc"


class ListSink:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[QuoteV1]] = []
        self.fail = fail

    def write(self, quotes: Sequence[QuoteV1]) -> int:
        if self.fail:
            raise PublishError("broker down")
        self.batches.append(list(quotes))
        return len(quotes)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(
    pages: dict[int, str], sink: ListSink, tmp_path: Path, clock: Clock
) -> tuple[Scraper, list[str]]:
    loads: list[str] = []

    def fetch(url: str) -> str:
        loads.append(url)
        name = pages[int(url.rsplit("=", 1)[1]) if "=" in url else 1]
        if name == "crash":
            raise BrowserError("renderer crashed")
        return (FIXTURES / name).read_text(encoding="utf-8")

    scraper = Scraper(
        fetch=fetch,
        sink=sink,
        page_urls={n: f"http://site/?page={n}" for n in pages},
        source="replay",
        interval_s=60,
        jitter_s=5,
        backoff=Backoff(initial=30, maximum=600, jitter=0),
        snapshot_dir=tmp_path / "snaps",
        snapshot_keep=2,
        clock=clock,
        rng=random.Random(1),
    )
    return scraper, loads


def test_ok_cycle_publishes_every_coin(tmp_path: Path) -> None:
    sink, clock = ListSink(), Clock()
    scraper, loads = make({1: "initial-c.html"}, sink, tmp_path, clock)
    summary = scraper.run_cycle()
    assert summary.outcome == "ok"
    assert (summary.parsed, summary.from_dom, summary.from_json, summary.acked) == (
        100,
        13,
        87,
        100,
    )
    assert len(sink.batches[0]) == 100
    assert loads == ["http://site/?page=1"]
    assert 60 <= scraper.next_delay(summary) <= 65


@pytest.mark.parametrize(
    ("page", "outcome"),
    [
        ("cf-403-just-a-moment.html", "refused:cloudflare-challenge"),
        ("cf-403-attention-required.html", "refused:http-403"),
        ("http-429-rate-limited.html", "refused:http-429"),
        ("empty.html", "layout-not-found"),
        ("crash", "browser-error"),
    ],
)
def test_failed_page_publishes_nothing_and_backs_off(
    page: str, outcome: str, tmp_path: Path
) -> None:
    sink, clock = ListSink(), Clock()
    # Page 1 is fine, page 2 fails: the whole cycle publishes nothing.
    scraper, _ = make({1: "initial-c.html", 2: page}, sink, tmp_path, clock)
    delays = []
    for _ in range(6):
        summary = scraper.run_cycle()
        assert summary.outcome == outcome
        assert summary.acked == 0
        delays.append(scraper.next_delay(summary))
        clock.now += delays[-1]
    assert sink.batches == []
    assert delays[2:] == sorted(delays[2:])
    assert delays[-1] == 600
    snaps = list((tmp_path / "snaps").glob("*.html")) if (tmp_path / "snaps").exists() else []
    assert len(snaps) == (2 if outcome == "layout-not-found" else 0)  # bounded


def test_success_resets_the_backoff(tmp_path: Path) -> None:
    sink, clock = ListSink(), Clock()
    pages = {1: "cf-403-just-a-moment.html"}
    scraper, _ = make(pages, sink, tmp_path, clock)
    scraper.run_cycle()
    clock.now += 100
    pages[1] = "initial-c.html"
    summary = scraper.run_cycle()
    assert summary.outcome == "ok"
    assert scraper.failures == 0


def test_at_most_one_load_per_page_per_interval(tmp_path: Path) -> None:
    sink, clock = ListSink(), Clock()
    scraper, loads = make({1: "initial-c.html"}, sink, tmp_path, clock)
    scraper.run_cycle()
    clock.now += 59
    assert scraper.run_cycle().pages == 0
    clock.now += 1
    scraper.run_cycle()
    assert len(loads) == 2


def test_rejected_rows_do_not_stop_the_rest(tmp_path: Path) -> None:
    sink, clock = ListSink(), Clock()
    scraper, _ = make({1: "synthetic-stress.html"}, sink, tmp_path, clock)
    summary = scraper.run_cycle()
    assert (summary.outcome, summary.parsed, summary.rejected, summary.acked) == ("ok", 4, 2, 4)


def test_publish_failure_is_a_failed_cycle(tmp_path: Path) -> None:
    scraper, _ = make({1: "initial-c.html"}, ListSink(fail=True), tmp_path, Clock())
    summary = scraper.run_cycle()
    assert summary.outcome == "publish-failed"
    assert scraper.failures == 1


def test_every_cycle_logs_each_page_coverage_and_what_was_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink, clock = ListSink(), Clock()
    scraper, _ = make({1: "rendered-c.html", 2: "synthetic-stress.html"}, sink, tmp_path, clock)
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="scraper_service.service"):
            summary = scraper.run_cycle()
        clock.now += 61
        coverage = {r.page: r.coverage for r in caplog.records if r.msg == "page coverage"}  # type: ignore[attr-defined]
        assert coverage == {
            1: "101 rows, 100 JSON entries, 1 non-coin, 100 listed, 100 published, 0 rejected",
            2: "6 rows, 2 JSON entries, 0 non-coin, 6 listed, 4 published, 2 rejected",
        }
        lost = {r.slug: r.reason for r in caplog.records if r.msg == "coin rejected"}  # type: ignore[attr-defined]
        assert set(lost) == {"below-cent-nojson", "bad-cell"}
        assert "json: no entry" in lost["bad-cell"]
        skipped = [r.slug for r in caplog.records if r.msg == "non-coin row skipped"]  # type: ignore[attr-defined]
        assert skipped == ["coinmarketcap-20-index-dtf"]
        assert (summary.listed, summary.skipped, summary.rejected) == (106, 1, 2)
