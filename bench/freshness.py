"""Freshness: seconds from a quote's ``scraped_at`` until a search finds it.

    .venv/bin/python bench/freshness.py [--kafka HOST:PORT --es URL] [--cycles 20]

Runs the real scraper (``python -m scraper_service``, Chromium on the replay
pages, its default page size: ``SCRAPER_PAGES`` unset) and the real indexer with
its shipped defaults (batch linger, bulk, the template's refresh interval) on a
fresh topic and index prefix of the local stack. Only the scrape interval is
shortened (``--interval``), so that ``--cycles`` cycles take minutes, not an
hour; each cycle still arrives alone, as with the default minute.

Searches for the run's recent document ids every ``--poll`` seconds, as a
dashboard would (no refresh forced), and takes, for each quote, the end of the
first search that returned it minus its ``scraped_at`` (both on this machine's
clock): what a reader waits, refresh interval included. Also prints the
indexer's own part, ``ingest_latency_ms`` (``indexed_at - scraped_at``, which
excludes the refresh). Endpoints come from the arguments, else from the
DEVSTACK_* settings (``python -m devstack up``). Last line: ``freshness p50 X s, p95 Y s, max Z s``
(target p95 <= 2.5 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from http import HTTPStatus
from pathlib import Path

from elasticsearch import ApiError, Elasticsearch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.services import spawn, stop  # noqa: E402
from cryptoviz_core.logs import read_logged  # noqa: E402
from devstack.cleanup import delete_named  # noqa: E402
from devstack.stack import Stack  # noqa: E402

# Only documents scraped this recently are searched for: the pages still arriving.
WINDOW = "now-30s"
# A run fails once no new document was found for this long.
STALL_S = 120.0


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def scraped_at_of(doc_id: str) -> datetime:
    """The ``scraped_at`` in a document id (``<slug>@<scraped_at>``, indexer_service.documents)."""
    return datetime.fromisoformat(doc_id.rsplit("@", 1)[1])


def measure(
    es: Elasticsearch, prefix: str, scraper_log: Path, args: argparse.Namespace
) -> dict[str, float]:
    """Poll until ``args.cycles`` cycles are done and their quotes found; seconds per quote."""
    found: dict[str, float] = {}  # id -> freshness, s
    last_new = time.monotonic()
    while True:
        try:
            resp = es.search(
                index=f"{prefix}-*",
                query={"range": {"scraped_at": {"gte": WINDOW}}},
                size=10_000,
                source=False,
                ignore_unavailable=True,
                allow_no_indices=True,
            )
        except ApiError as err:
            if err.status_code != HTTPStatus.SERVICE_UNAVAILABLE:
                raise
            continue  # a daily index just created, its shard not started yet
        seen_at = time.time()
        for hit in resp["hits"]["hits"]:
            if hit["_id"] not in found:
                found[hit["_id"]] = seen_at - scraped_at_of(hit["_id"]).timestamp()
                last_new = time.monotonic()
        cycles = len(read_logged(scraper_log, "cycle done"))
        if cycles >= args.cycles and time.monotonic() - last_new > 5.0:
            return found
        if time.monotonic() - last_new > STALL_S:
            raise TimeoutError(
                f"no new document for {STALL_S:g}s; {len(found)} found, "
                f"{cycles} of {args.cycles} cycles done (see {scraper_log})"
            )
        time.sleep(args.poll)


def ingest_latencies(es: Elasticsearch, prefix: str) -> list[float]:
    """``ingest_latency_ms`` of every document of the run, in seconds."""
    es.indices.refresh(index=f"{prefix}-*")
    resp = es.search(index=f"{prefix}-*", size=10_000, source_includes=["ingest_latency_ms"])
    return [h["_source"]["ingest_latency_ms"] / 1000 for h in resp["hits"]["hits"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kafka")
    parser.add_argument("--es")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--interval", type=float, default=5.0, help="SCRAPER_INTERVAL_S")
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between two searches")
    args = parser.parse_args()
    stack = Stack().endpoints  # the DEVSTACK_* stack, unless the arguments name one
    kafka, es_url = args.kafka or stack.kafka, args.es or stack.elasticsearch
    es = Elasticsearch(es_url, request_timeout=30)
    name = f"bench-fresh-{uuid.uuid4().hex[:8]}"
    topic, prefix = name, name
    logs = Path(tempfile.mkdtemp(prefix="freshness-"))
    shared = {"KAFKA_BOOTSTRAP_SERVERS": kafka, "ELASTICSEARCH_URL": es_url}
    indexer = spawn(
        "indexer_service",
        {
            **shared,
            "INDEXER_TOPIC": topic,
            "INDEXER_DLQ_TOPIC": f"{topic}.dlq",
            "INDEXER_CONSUMER_GROUP": f"{name}-group",
            "INDEXER_INDEX_PREFIX": prefix,
        },
        logs / "indexer.log",
    )
    scraper = spawn(
        "scraper_service",
        {
            **shared,
            "SCRAPER_SOURCE": "replay",
            "SCRAPER_TOPIC": topic,
            "SCRAPER_INTERVAL_S": str(args.interval),
            "SCRAPER_JITTER_S": "0",
            "SCRAPER_SNAPSHOT_DIR": str(logs / "snapshots"),
        },
        logs / "scraper.log",
    )
    try:
        found = measure(es, prefix, logs / "scraper.log", args)
        ingest = ingest_latencies(es, prefix)
    finally:
        stop(scraper)
        stop(indexer)
        delete_named(kafka, es, (name,))
        es.close()
    fresh = list(found.values())
    cycles = len({doc_id.rsplit("@", 1)[1] for doc_id in found})
    print(f"{len(fresh)} quotes from {cycles} scrapes; logs in {logs}")
    print(
        f"ingest latency (indexed_at - scraped_at) p50 {statistics.median(ingest):.2f} s, "
        f"p95 {percentile(ingest, 0.95):.2f} s, max {max(ingest):.2f} s"
    )
    print(
        f"freshness p50 {statistics.median(fresh):.2f} s, p95 {percentile(fresh, 0.95):.2f} s, "
        f"max {max(fresh):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
