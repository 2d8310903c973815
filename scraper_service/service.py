"""The scrape loop: load each page once per interval, parse, publish, summarise.

I/O is injected (a fetch callable and a sink), so unit tests drive whole cycles
with in-memory fakes and a fake clock. All waiting and backoff is decided here.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptoviz_core.health import wait_beating
from cryptoviz_core.retry import Backoff
from cryptoviz_core.schema import QuoteV1
from scraper_service.exceptions import BrowserError, LayoutNotFound, PageRefused, PublishError
from scraper_service.listing import PageResult, Source, parse_page

log = logging.getLogger(__name__)


class Sink(Protocol):
    """Where quotes go (`publisher.Publisher` in production, a list in tests)."""

    def write(self, quotes: Sequence[QuoteV1]) -> int:
        """Publish and return how many were acknowledged; raise PublishError if none."""
        ...


Fetch = Callable[[str], str]


@dataclass(frozen=True)
class CycleSummary:
    """What one cycle did; logged as one structured line."""

    outcome: str  # "ok", "refused:<kind>", "layout-not-found", "browser-error", "publish-failed"
    pages: int = 0
    parsed: int = 0
    from_dom: int = 0
    from_json: int = 0
    listed: int = 0
    rejected: int = 0
    skipped: int = 0
    acked: int = 0
    duration_s: float = 0.0


class Scraper:
    """Runs cycles over ``page_urls`` (page number -> URL) and publishes to ``sink``."""

    def __init__(
        self,
        *,
        fetch: Fetch,
        sink: Sink,
        page_urls: dict[int, str],
        source: Source,
        interval_s: float,
        jitter_s: float,
        backoff: Backoff,
        snapshot_dir: Path | None = None,
        snapshot_keep: int = 20,
        health_file: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.fetch, self.sink, self.page_urls, self.source = fetch, sink, page_urls, source
        self.interval_s, self.jitter_s, self.backoff = interval_s, jitter_s, backoff
        self.snapshot_dir, self.snapshot_keep = snapshot_dir, snapshot_keep
        self.health_file = health_file
        self.clock, self.rng = clock, rng or random.Random()
        self.failures = 0  # consecutive failed cycles, drives the backoff
        self._last_load: dict[int, float] = {}

    def run_cycle(self) -> CycleSummary:
        """Load, parse and publish every page once. Never raises for site or Kafka trouble.

        A refusal or unreadable layout on any page means nothing is published for
        the cycle; a rejected row only drops that row.
        """
        started = self.clock()
        results: list[PageResult] = []
        outcome = "ok"
        for page, url in self.page_urls.items():
            last = self._last_load.get(page)
            if last is not None and started - last < self.interval_s:
                # At most one load per page per interval, whatever the caller does.
                log.warning("page load skipped: too soon", extra={"page": page})
                continue
            self._last_load[page] = started
            html = ""
            try:
                html = self.fetch(url)
                results.append(
                    parse_page(html, source=self.source, scraped_at=datetime.now(UTC), page=page)
                )
            except PageRefused as err:
                outcome = f"refused:{err.kind}"
                log.warning(
                    "page refused", extra={"page": page, "kind": err.kind, "detail": err.detail}
                )
                break
            except LayoutNotFound as err:
                outcome = "layout-not-found"
                log.error(str(err), extra={"page": page, "url": url})
                self._snapshot(html, page)
                break
            except BrowserError as err:
                outcome = "browser-error"
                log.error("browser failed", extra={"page": page, "error": str(err)})
                break
        quotes = [q for r in results for q in r.quotes] if outcome == "ok" else []
        for result in results if outcome == "ok" else []:
            result.log(log)
        acked = 0
        if quotes:
            try:
                acked = self.sink.write(quotes)
            except PublishError as err:
                outcome = "publish-failed"
                log.error("publish failed", extra={"error": str(err)})
        self.failures = 0 if outcome == "ok" else self.failures + 1
        summary = CycleSummary(
            outcome=outcome,
            pages=len(results),
            parsed=len(quotes),
            from_dom=sum(r.from_dom for r in results) if quotes else 0,
            from_json=sum(r.from_json for r in results) if quotes else 0,
            listed=sum(len(r.listed) for r in results),
            rejected=sum(len(r.rejected) for r in results),
            skipped=sum(r.skipped for r in results),
            acked=acked,
            duration_s=round(self.clock() - started, 3),
        )
        log.info("cycle done", extra=summary.__dict__)
        return summary

    def next_delay(self, summary: CycleSummary) -> float:
        """Seconds to wait before the next cycle starts.

        After success: the interval plus up to ``jitter_s`` (never less, so no page
        loads twice in one interval), minus the time the cycle took. After a
        failure: the interval or the exponential backoff, whichever is longer.
        """
        wait = self.interval_s + self.rng.uniform(0, self.jitter_s)
        if self.failures:
            wait = max(wait, self.backoff.delay(self.failures, self.rng))
            log.info("backing off", extra={"failures": self.failures, "delay_s": round(wait, 1)})
        return max(0.0, wait - summary.duration_s)

    def run(self, stop: threading.Event, max_cycles: int | None = None) -> None:
        """Cycle until ``stop`` is set (or ``max_cycles`` ran); sleeps via ``stop.wait``."""
        cycles = 0
        while not stop.is_set():
            summary = self.run_cycle()
            cycles += 1
            if max_cycles is not None and cycles >= max_cycles:
                return
            wait_beating(stop, self.next_delay(summary), self.health_file)

    def _snapshot(self, html: str, page: int) -> None:
        """Keep the bad page for debugging; at most ``snapshot_keep`` files are kept."""
        if self.snapshot_dir is None or self.snapshot_keep == 0 or not html:
            return
        self.snapshot_dir.mkdir(parents=True, exist_ok=True)
        stamp = re.sub(r"[^0-9T]", "", datetime.now(UTC).isoformat(timespec="milliseconds"))
        path = self.snapshot_dir / f"{stamp}-page{page}.html"
        path.write_text(html[:5_000_000], encoding="utf-8")
        old = sorted(self.snapshot_dir.glob("*-page*.html"))[: -self.snapshot_keep]
        for stale in old:
            stale.unlink(missing_ok=True)
        log.info("page snapshot saved", extra={"path": str(path)})
