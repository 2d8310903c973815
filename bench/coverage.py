"""Coverage: how many listing pages one browser scrapes within the default interval.

    .venv/bin/python bench/coverage.py [--kafka HOST:PORT] [--pages 10] [--cycles 3]

Generates ``--pages`` replay pages (``tools.replay.generate``: 100 coins each,
lazily rendered like the real site), serves them locally, and runs the real
scraper (``python -m scraper_service``: one Chromium, its default render budget)
with ``SCRAPER_PAGES=--pages`` against Kafka, cycle after cycle. Each cycle's
time and acknowledged quotes come from the scraper's own "cycle done" log line.
The first cycle also starts Chromium, so the median of the later ones is the
figure. The largest ``SCRAPER_PAGES`` that fits the default interval scales
the measured time per page. Kafka comes from ``--kafka``, else the DEVSTACK_*
settings. Last line: ``coverage N pages (M coins): cycle median X s, acked A;
... largest SCRAPER_PAGES in the default S s interval: P`` (target: 10 pages
<= 20 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.services import spawn, stop  # noqa: E402
from cryptoviz_core.logs import read_logged  # noqa: E402
from devstack.cleanup import delete_topics  # noqa: E402
from devstack.stack import Stack  # noqa: E402
from scraper_service.replay.server import ReplayServer  # noqa: E402
from scraper_service.settings import ScraperSettings  # noqa: E402
from tools.replay.generate import write_replay  # noqa: E402

COINS_PER_PAGE = 100
# A run fails once the scraper logged no cycle for this long.
STALL_S = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kafka")
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--cycles", type=int, default=3, help="the first one starts Chromium")
    args = parser.parse_args()
    kafka = args.kafka or Stack().endpoints.kafka
    interval_s = ScraperSettings.model_fields["interval_s"].default
    work = Path(tempfile.mkdtemp(prefix="coverage-"))
    write_replay(work / "pages", pages=args.pages)
    site = ReplayServer(pages_dir=work / "pages")
    topic = f"bench-coverage-{uuid.uuid4().hex[:8]}"
    log = work / "scraper.log"
    scraper = spawn(
        "scraper_service",
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "SCRAPER_SOURCE": "replay",
            "SCRAPER_REPLAY_SERVE": "false",
            "SCRAPER_BASE_URL": site.start(),
            "SCRAPER_PAGES": str(args.pages),
            "SCRAPER_TOPIC": topic,
            "SCRAPER_INTERVAL_S": "1",
            "SCRAPER_JITTER_S": "0",
            "SCRAPER_SNAPSHOT_DIR": str(work / "snapshots"),
        },
        log,
    )
    try:
        done: list[dict[str, object]] = []
        last_change = time.monotonic()
        while len(done) < args.cycles:
            if scraper.poll() is not None:
                raise RuntimeError(f"the scraper exited with {scraper.returncode}; see {log}")
            if time.monotonic() - last_change > STALL_S:
                raise TimeoutError(f"{len(done)} of {args.cycles} cycles in {STALL_S:g}s; {log}")
            time.sleep(0.5)
            now_done = read_logged(log, "cycle done")
            if len(now_done) != len(done):
                done, last_change = now_done, time.monotonic()
    finally:
        stop(scraper)
        site.close()
        delete_topics(kafka, (topic,))
    for n, cycle in enumerate(done, 1):
        print(
            f"cycle {n}: {cycle['duration_s']} s, {cycle['outcome']}, acked {cycle['acked']}, "
            f"rejected {cycle['rejected']}"
        )
    later = done[1:] or done
    cycle_s = statistics.median(float(c["duration_s"]) for c in later)  # type: ignore[arg-type]
    acked = min(int(c["acked"]) for c in later)  # type: ignore[call-overload]
    fits = min(100, int(interval_s / (cycle_s / args.pages)))
    print(
        f"coverage {args.pages} pages ({args.pages * COINS_PER_PAGE} coins): cycle median "
        f"{cycle_s:.1f} s over {len(later)} cycles (first, with Chromium start, "
        f"{float(done[0]['duration_s']):.1f} s), acked {acked} (target <= 20 s); largest "  # type: ignore[arg-type]
        f"SCRAPER_PAGES in the default {interval_s:g} s interval: {fits}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
