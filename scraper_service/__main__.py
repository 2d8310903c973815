"""``python -m scraper_service [run|once|parse FILE.html]``: wiring only.

``run`` (default) cycles forever; ``once`` runs one cycle; ``parse`` prints one
schema-v1 JSON object per coin of a saved page, in rank order, logs what was left
out and why, and ends with the page's coverage on stderr (``101 rows, …,
100 published, 0 rejected``); it exits 1 with one message for a challenge page or
a page without a listing.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from cryptoviz_core.logs import configure_logging
from cryptoviz_core.retry import Backoff, retry
from scraper_service.exceptions import LayoutNotFound, PageRefused
from scraper_service.listing import parse_page
from scraper_service.settings import ScraperSettings

log = logging.getLogger("scraper_service")

# Bounds the wait for Kafka at start-up; each attempt itself waits up to 30 s for a broker.
KAFKA_STARTUP_BACKOFF = Backoff(initial=2.0, maximum=30.0, max_attempts=5)


def _parse_file(path: Path, page: int | None, source: str) -> int:
    try:
        result = parse_page(
            path.read_text(encoding="utf-8", errors="replace"),
            source="replay" if source == "replay" else "coinmarketcap",
            scraped_at=datetime.now(UTC),
            page=page,
        )
    except (PageRefused, LayoutNotFound) as err:
        print(f"error: {path}: {err}", file=sys.stderr)
        return 1
    for quote in result.quotes:
        sys.stdout.write(quote.to_json().decode() + "\n")
    sys.stdout.flush()
    result.log(log, file=str(path))
    print(result.coverage(), file=sys.stderr)
    return 0


def _run(settings: ScraperSettings, once: bool) -> int:
    # Imported here so that `parse` needs neither Selenium nor Kafka.
    from scraper_service.browser import Browser
    from scraper_service.publisher import Publisher, ensure_topic
    from scraper_service.replay.server import ReplayServer
    from scraper_service.service import Scraper

    log.info("starting", extra={"settings": settings.public_view()})
    replay = None
    base_url = settings.base_url
    if settings.source == "replay" and settings.replay_serve:
        replay = ReplayServer(port=settings.replay_port)
        base_url = replay.start()
    browser = Browser(
        settings.chromium_binary,
        settings.chromedriver,
        settings.page_load_timeout_s,
        settings.render_budget_s,
        settings.recycle_every,
    )
    publisher = Publisher(
        settings.kafka_bootstrap_servers,
        settings.topic,
        settings.delivery_timeout_s,
        **settings.kafka_security(),
    )

    def connect_kafka() -> None:
        ensure_topic(
            settings.kafka_bootstrap_servers,
            settings.topic,
            settings.topic_partitions,
            settings.topic_replication,
            settings.topic_retention_ms,
            **settings.kafka_security(),
        )
        publisher.start()

    scraper = Scraper(
        fetch=lambda url: browser.fetch(url)[0],
        sink=publisher,
        page_urls={n: settings.page_url(n, base_url) for n in range(1, settings.pages + 1)},
        source="replay" if settings.source == "replay" else "coinmarketcap",
        interval_s=settings.interval_s,
        jitter_s=settings.jitter_s,
        backoff=Backoff(settings.backoff_initial_s, settings.backoff_max_s),
        snapshot_dir=settings.snapshot_dir,
        snapshot_keep=settings.snapshot_keep,
        health_file=settings.health_file,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        # Kafka may still be starting when the scraper does (compose starts both at once).
        retry(
            connect_kafka,
            "Kafka connection",
            KAFKA_STARTUP_BACKOFF,
            context={"bootstrap": settings.kafka_bootstrap_servers},
        )
        if once:
            return 0 if scraper.run_cycle().outcome == "ok" else 1
        scraper.run(stop)
        return 0
    finally:
        browser.close()
        publisher.close()
        if replay is not None:
            replay.close()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run it; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m scraper_service", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="scrape and publish every interval (default)")
    sub.add_parser("once", help="one cycle, then exit (1 if it failed)")
    parse = sub.add_parser("parse", help="print the quotes of a saved page as JSON lines")
    parse.add_argument("file", type=Path)
    parse.add_argument("--page", type=int, default=None, help="default: read from the page")
    parse.add_argument("--source", choices=["coinmarketcap", "replay"], default="coinmarketcap")
    args = parser.parse_args(argv)
    settings = ScraperSettings()
    configure_logging("scraper", settings.log_level)
    if args.command == "parse":
        return _parse_file(args.file, args.page, args.source)
    return _run(settings, once=args.command == "once")


if __name__ == "__main__":
    sys.exit(main())
