"""Scraper benchmarks: parse time, full cycle, RSS. Last line has all three figures.

``python bench/scrape.py [--kafka 127.0.0.1:9092] [--rounds 50]``
Targets: parse median <= 100 ms (100-row page, stock BeautifulSoup on lxml); the
parse's CPU time is printed next to it, since on a shared machine the wall time also
counts the time other processes held the CPU. Full cycle with the browser
already open (navigate the lazy local site, scroll 100 rows, parse, every
message acknowledged) <= 3 s; scraper RSS excluding the browser <= 150 MB.
Without ``--kafka`` the cycle is measured up to parsing and marked "no-kafka".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devstack.cleanup import delete_topics
from scraper_service.browser import Browser
from scraper_service.listing import parse_page
from scraper_service.replay.server import ReplayServer

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "cmc" / "rendered-c.html"


def bench_parse(rounds: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of one parse of the 100-row fixture page."""
    html = FIXTURE.read_text(encoding="utf-8")
    wall, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = parse_page(html, source="replay", scraped_at=datetime.now(UTC))
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    assert len(result.quotes) == 100
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def bench_cycle(kafka: str | None, rounds: int) -> tuple[float, int]:
    site, browser = ReplayServer(), Browser(render_budget_s=15)
    publisher = None
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    base = site.start()
    try:
        browser.fetch(base)  # warm: the browser is already open in a running scraper
        if kafka:
            from scraper_service.publisher import Publisher, ensure_topic

            ensure_topic(kafka, topic, 3, 1, 3_600_000)
            publisher = Publisher(kafka, topic)
            publisher.start()
        times, acked = [], 0
        for _ in range(rounds):
            started = time.perf_counter()
            html, stats = browser.fetch(base)
            quotes = parse_page(html, source="replay", scraped_at=datetime.now(UTC)).quotes
            acked = publisher.write(quotes) if publisher else 0
            times.append(time.perf_counter() - started)
            elapsed = time.perf_counter() - started
            print(f"cycle {elapsed:.2f}s rows={stats['full_rows']} acked={acked}")
        return statistics.median(times), acked
    finally:
        browser.close()
        if publisher and kafka:
            publisher.close()
            delete_topics(kafka, (topic,))
        site.close()


def main() -> None:
    """Run the three benchmarks and print the summary line last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kafka", help="bootstrap host:port; without it acks are not measured")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=5)
    args = parser.parse_args()
    parse_ms, parse_cpu_ms = bench_parse(args.rounds)
    print(
        f"parse median {parse_ms:.1f} ms (CPU {parse_cpu_ms:.1f} ms) over {args.rounds} rounds"
        " (target <= 100 ms)"
    )
    cycle_s, acked = bench_cycle(args.kafka, args.cycles)
    label = f"acked={acked}" if args.kafka else "no-kafka"
    print(f"full cycle median {cycle_s:.2f} s ({label}) (target <= 3 s)")
    rss_mb = psutil.Process().memory_info().rss / 2**20
    print(f"scraper RSS {rss_mb:.0f} MB excluding browser (target <= 150 MB)")
    print(
        f"parse_median_ms={parse_ms:.1f} parse_cpu_ms={parse_cpu_ms:.1f} "
        f"cycle_median_s={cycle_s:.2f} ({label}) rss_mb={rss_mb:.0f}"
    )


if __name__ == "__main__":
    main()
