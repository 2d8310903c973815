"""Scenario 5: the real scraper SIGKILLed in the middle of publishing a page.

To kill it mid-publish deterministically the broker is frozen (SIGSTOP): the
scraper loads the page, parses it, sends its 100 quotes and blocks waiting for
the acknowledgements; once its produce request (over 1 KB) sits unread in the
broker's socket, it is killed and the broker thawed. What the dead
scraper had handed to the socket may still land, so the killed page may be in
Kafka whole, in part (per-partition batches) or not at all: the figures say
which. After a restart every later page is indexed whole, every document is
the exact quote Kafka holds (nothing half-written), once per slug and
scraped_at.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from cryptoviz_core.logs import read_logged
from cryptoviz_core.schema import QuoteV1, decode_quote
from indexer_service.documents import quote_document
from indexer_service.template import INDEXER_PROPERTIES
from tests.chaos.conftest import Record
from tests.chaos.pipeline import PAGE_SIZE, ChaosRun, paused
from tests.support.indexer_run import stop

pytestmark = pytest.mark.integration

RENDER_BUDGET_S = 4.0
FREEZE_MAX_S = 12.0
# A page slower than one freeze (a loaded machine) is caught by a later one.
FREEZES = 5
POLL_S = 0.2
# A metadata request is under 100 bytes; 100 quotes, even gzipped, are kilobytes.
MIN_PRODUCE_BYTES = 1024
# Long enough that the blocked publish is still waiting when the kill comes.
DELIVERY_TIMEOUT_S = 60.0
WAIT_S = 120.0


def unread_bytes(port: int, client_pid: int) -> int:
    """Bytes ``client_pid`` sent to the server on 127.0.0.1:``port`` that it has not read yet.

    Read from the server side's receive queue in /proc/net/tcp{,6}: with the broker
    frozen, a non-zero queue on the scraper's connection is its produce request.
    """
    client_ports = {
        c.laddr.port
        for c in psutil.Process(client_pid).net_connections("tcp")
        if c.raddr and c.raddr.port == port
    }
    unread = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):  # the JVM listens dual-stack
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(a.split(":")[1], 16) for a in fields[1:3])
            if local == port and remote in client_ports:
                unread += int(fields[4].split(":")[1], 16)  # tx_queue:rx_queue
    return unread


def test_scraper_killed_mid_publish_leaves_whole_valid_pages(
    chaos: ChaosRun, record: Record
) -> None:
    scraper_env = {
        "SCRAPER_RENDER_BUDGET_S": str(RENDER_BUDGET_S),
        "SCRAPER_DELIVERY_TIMEOUT_S": str(DELIVERY_TIMEOUT_S),
    }
    indexer = chaos.start_indexer()
    scraper = chaos.start_scraper("scraper", **scraper_env)

    def cycles(name: str) -> int:
        return len(read_logged(chaos.log_path(name), "cycle done"))

    def acked(name: str) -> int:
        return sum(int(c["acked"]) for c in read_logged(chaos.log_path(name), "cycle done"))

    chaos.wait_until(
        "two published pages (pages so far)", lambda: cycles("scraper"), lambda n: n >= 2, WAIT_S
    )
    # The indexer has joined its group and works before the broker is ever frozen.
    chaos.wait_committed(acked("scraper"), WAIT_S)
    port = chaos.stack.settings.kafka_port
    kafka = chaos.stack.processes["kafka"]
    unread: list[int] = []  # the most unread bytes seen per freeze
    frozen_s: float | None = None  # from the freeze to the kill
    for _ in range(FREEZES):
        published = cycles("scraper")
        # Frozen for seconds only: under Kafka's 18 s ZooKeeper session, which must not expire.
        with paused(kafka.signal):
            frozen_at = time.monotonic()
            unread.append(0)
            while time.monotonic() - frozen_at < FREEZE_MAX_S:
                unread[-1] = max(unread[-1], unread_bytes(port, scraper.pid))
                if unread[-1] >= MIN_PRODUCE_BYTES:
                    frozen_s = round(time.monotonic() - frozen_at, 1)
                    assert stop(scraper, signal.SIGKILL) == -signal.SIGKILL
                    break
                time.sleep(POLL_S)
        if frozen_s is not None:
            break
        # A slow cycle missed this freeze: let the broker renew its session, try the next one.
        chaos.wait_until(
            f"the scraper's next page after {published} (pages so far)",
            lambda: cycles("scraper"),
            published.__lt__,
            WAIT_S,
        )
    else:
        pytest.fail(
            f"the scraper's produce request reached the frozen broker in none of {FREEZES} "
            f"freezes of {FREEZE_MAX_S:g}s; most unread bytes per freeze: {unread}"
        )
    sent_bytes = unread[-1]
    killed_cycles = cycles("scraper") - published
    restarted = chaos.start_scraper("scraper-restarted", **scraper_env)
    chaos.wait_until(
        "two pages after the restart (pages so far)",
        lambda: cycles("scraper-restarted"),
        lambda n: n >= 2,
        WAIT_S,
    )
    assert stop(restarted) == 0
    tally, _ = chaos.drain_and_tally(indexer, WAIT_S)
    quotes = [decode_quote(r.value) for r in chaos.read_topic(chaos.topic)]
    in_kafka = {quote_document(q, chaos.prefix).id: q for q in quotes}
    hits = chaos.es.search(index=f"{chaos.prefix}-*", size=10_000, query={"match_all": {}})
    stored = {
        h["_id"]: QuoteV1.model_validate(
            {k: v for k, v in h["_source"].items() if k not in INDEXER_PROPERTIES}
        )
        for h in hits["hits"]["hits"]
    }
    per_page = Counter(q.scraped_at for q in in_kafka.values())
    partial = [n for n in per_page.values() if n != PAGE_SIZE]
    # What the dead scraper had handed to the socket and the broker stored anyway.
    killed_page_quotes = len(in_kafka) - acked("scraper") - acked("scraper-restarted")
    record(
        "scraper-sigkill",
        tally,
        broker_frozen_s=frozen_s,
        killed_request_bytes=sent_bytes,
        killed_page_quotes_in_kafka=killed_page_quotes,
        pages_in_kafka=len(per_page),
        whole_pages=len(per_page) - len(partial),
    )
    assert 0 <= killed_page_quotes <= PAGE_SIZE
    assert killed_cycles == 0  # the scraper never got to log the killed cycle as done
    assert stored == in_kafka  # every document is exactly its quote; none missing or extra
    assert len(partial) <= 1  # only the killed page may be partial
    assert (tally.lost, tally.duplicated, tally.dead_lettered) == (0, 0, 0)
