"""What every chaos scenario shares: its own names, the real services, load, and the tally.

A scenario creates its own topics, consumer group and index prefix, runs the
real indexer (and scraper) as subprocesses, injects one fault, then calls
`ChaosRun.tally()`. The tally treats the topic as the truth: every record in it
must end up either indexed (its deterministic ``_id`` exists) or in the DLQ
(its source partition and offset appear there), and every message a producer
saw acknowledged must be in the topic. Every wait follows measured progress
and is bounded; a stalled wait fails the test naming what it waited for and
what it last saw, with the services' logs attached.

``CHAOS_SCALE`` (0 < scale <= 1, default 1) shrinks every scenario's volume
and outages: ``make chaos`` runs them at full size for docs/RELIABILITY.md,
``make test`` at a tenth.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psutil
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError

from cryptoviz_core.schema import QuoteV1, SchemaError, decode_quote
from devstack.stack import Stack
from indexer_service.dead_letter import HEADER_OFFSET, HEADER_PARTITION, HEADER_REASON
from indexer_service.documents import quote_document
from tests.support.indexer_run import KAFKA_TIMEOUT_MS, PARTITIONS, IndexerRun, stop

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # coins per scraped_at in the synthetic stream, as on a listing page
START = datetime(2026, 11, 28, tzinfo=UTC)
MGET_CHUNK = 5_000
# Reading a topic back fails the tally once no partition advanced for this long.
READ_BACK_STALL_S = 60.0


def chaos_scale() -> float:
    """``CHAOS_SCALE`` from the environment: the fraction of each scenario's full volume."""
    raw = os.environ.get("CHAOS_SCALE", "1")
    try:
        scale = float(raw)
    except ValueError:
        scale = 0.0
    if not 0 < scale <= 1:
        raise ValueError(f"CHAOS_SCALE={raw!r}: expected a number in (0, 1], e.g. 0.1")
    return scale


SCALE = chaos_scale()


def scaled(full: int, floor: int) -> int:
    """``full`` times `SCALE`, never under ``floor`` (a scenario's smallest meaningful size)."""
    return max(floor, round(full * SCALE))


def make_quote(i: int) -> QuoteV1:
    """Message ``i`` of the synthetic stream: pages of 100 coins, one ms apart; ids all distinct."""
    coin = i % PAGE_SIZE
    return QuoteV1(
        source="replay",
        scraped_at=START + timedelta(milliseconds=i // PAGE_SIZE),
        cmc_id=coin + 1,
        slug=f"coin-{coin}",
        name=f"Coin {coin}",
        symbol=f"C{coin}",
        rank=coin + 1,
        currency="USD",
        price=1.0 + i / 1000,
        change_24h_pct=-2.5,
        market_cap=1e9 + i,
        volume_24h=1e7,
        page=1,
        origin="json",
    )


def rss_mb(process: subprocess.Popen[bytes]) -> float:
    """Resident set size of ``process`` in MiB."""
    return round(psutil.Process(process.pid).memory_info().rss / 2**20, 1)


@dataclass(frozen=True)
class Tally:
    """What happened to every message of one scenario.

    ``produced``: records in the topic. ``indexed``: documents in the scenario's
    indices. ``duplicated``: documents beyond the distinct expected ids found.
    ``lost``: acknowledged messages missing from the topic, plus records neither
    indexed nor dead-lettered. ``dead_lettered``: distinct source offsets in the DLQ.
    """

    produced: int
    indexed: int
    duplicated: int
    lost: int
    dead_lettered: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class LoadProducer:
    """Sends `make_quote(first) .. make_quote(first + count - 1)` from a thread.

    ``rate`` is in messages per second (None: as fast as possible). Counts what
    the broker acknowledged and what failed; `timeline` samples both once per
    second with a monotonic timestamp, so a scenario can say what happened
    during its outage.
    """

    def __init__(
        self, bootstrap: str, topic: str, count: int, rate: float | None = None, first: int = 0
    ) -> None:
        self.topic, self.count, self.rate, self.first = topic, count, rate, first
        self.acked: set[int] = set()
        self.failed = 0
        self.timeline: list[tuple[float, int, int]] = []
        self._lock = threading.Lock()
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=20,
            batch_size=256 * 1024,
        )
        self._thread = threading.Thread(target=self._run, name="load-producer", daemon=True)

    def start(self) -> LoadProducer:
        self._thread.start()
        return self

    def _ok(self, i: int) -> Callable[[Any], None]:
        def done(_meta: Any) -> None:
            with self._lock:
                self.acked.add(i)

        return done

    def _failed(self, _err: Exception) -> None:
        with self._lock:
            self.failed += 1

    def counts(self) -> tuple[int, int]:
        """(acknowledged, failed) so far."""
        with self._lock:
            return len(self.acked), self.failed

    def _run(self) -> None:
        started = next_sample = time.monotonic()
        for n in range(self.count):
            i = self.first + n
            quote = make_quote(i)
            try:
                future = self._producer.send(
                    self.topic, key=quote.slug.encode(), value=quote.to_json()
                )
            except KafkaError as err:  # no metadata within max.block.ms: the send failed
                self._failed(err)
            else:
                future.add_callback(self._ok(i)).add_errback(self._failed)
            now = time.monotonic()
            if now >= next_sample:
                self.timeline.append((now, *self.counts()))
                next_sample = now + 1.0
            if self.rate is not None:
                ahead = started + (n + 1) / self.rate - now
                if ahead > 0:
                    time.sleep(ahead)
        self._producer.flush(timeout=180)
        self.timeline.append((time.monotonic(), *self.counts()))
        self._producer.close(timeout=30)

    def join(self, stall_s: float) -> None:
        """Wait until every message was sent and flushed, for as long as acknowledgements
        or failures keep coming; fails the test once they stalled for ``stall_s``."""
        started = last_change = time.monotonic()
        seen = self.counts()
        while self._thread.is_alive():
            self._thread.join(1.0)
            now, counts = time.monotonic(), self.counts()
            if counts != seen:
                seen, last_change = counts, now
            elif now - last_change > stall_s:
                pytest.fail(
                    f"load producer of {self.count} still running after {now - started:.0f}s; "
                    f"(acked, failed) stayed {seen} for {now - last_change:.0f}s"
                )

    def acked_between(self, start: float, end: float) -> tuple[int, int]:
        """(acknowledged, failed) increments between two monotonic instants."""
        before = [s for s in self.timeline if s[0] <= start] or [(start, 0, 0)]
        upto = [s for s in self.timeline if s[0] <= end] or [(end, 0, 0)]
        return upto[-1][1] - before[-1][1], upto[-1][2] - before[-1][2]


@dataclass(kw_only=True)
class ChaosRun(IndexerRun):
    """One scenario on the dedicated stack: the indexer run, the scraper, and the tally."""

    stack: Stack

    # -- services -------------------------------------------------------------

    def start_scraper(self, name: str = "scraper", **env: str) -> subprocess.Popen[bytes]:
        """The real scraper (Chromium) on the replay pages, publishing to this topic."""
        return self.spawn(
            name,
            "scraper_service",
            {
                "SCRAPER_SOURCE": "replay",
                "SCRAPER_TOPIC": self.topic,
                "SCRAPER_TOPIC_PARTITIONS": str(PARTITIONS),
                "SCRAPER_INTERVAL_S": "1",
                "SCRAPER_JITTER_S": "0",
                "SCRAPER_BACKOFF_INITIAL_S": "1",
                "SCRAPER_BACKOFF_MAX_S": "5",
                "SCRAPER_DELIVERY_TIMEOUT_S": "15",
                "SCRAPER_SNAPSHOT_DIR": str(self.logs / "snapshots"),
                **env,
            },
        )

    # -- Kafka positions ----------------------------------------------------

    def end_offsets(self) -> int | None:
        """Records in the topic (sum of end offsets); None when Kafka does not answer."""
        try:
            consumer = KafkaConsumer(
                bootstrap_servers=self.kafka, request_timeout_ms=KAFKA_TIMEOUT_MS
            )
        except KafkaError:
            return None
        try:
            partitions = [TopicPartition(self.topic, p) for p in range(PARTITIONS)]
            ends = consumer.end_offsets(partitions, timeout_ms=KAFKA_TIMEOUT_MS)
            return sum(ends.values())
        except KafkaError:
            return None
        finally:
            consumer.close()

    def lag(self) -> int | None:
        """Records in the topic the indexer has not committed; None when Kafka does not answer."""
        end, done = self.end_offsets(), self.committed()
        return None if end is None or done is None else end - done

    def wait_drained(self, stall_s: float) -> float:
        """Wait until the group committed the whole topic, for as long as commits progress."""
        return self.wait_until(
            "the indexer to commit the whole topic (end offsets, committed)",
            lambda: (self.end_offsets(), self.committed()),
            lambda seen: bool(seen[0]) and seen[0] == seen[1],
            stall_s,
        )

    def drain_and_tally(
        self, indexer: subprocess.Popen[bytes], stall_s: float, acked: set[str] | None = None
    ) -> tuple[Tally, float]:
        """Wait until the whole topic is committed; the indexer must still run and stop
        cleanly on SIGTERM. Returns the `tally` and the seconds the drain took."""
        drain_s = self.wait_drained(stall_s)
        assert indexer.poll() is None, self.log_text()
        assert stop(indexer) == 0
        return self.tally(acked), drain_s

    # -- the tally ------------------------------------------------------------

    def read_topic(self, topic: str) -> Iterator[Any]:
        """Every record of ``topic`` up to the end offsets taken now (bounded wait)."""
        consumer = KafkaConsumer(
            bootstrap_servers=self.kafka, enable_auto_commit=False, max_poll_records=10_000
        )
        try:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            ends = consumer.end_offsets(partitions)
            last_change = time.monotonic()
            while any(consumer.position(tp) < ends[tp] for tp in partitions):
                got = consumer.poll(timeout_ms=1000)
                if got:
                    last_change = time.monotonic()
                elif time.monotonic() - last_change > READ_BACK_STALL_S:
                    pytest.fail(
                        f"reading {topic} back: positions stayed "
                        f"{ {tp.partition: consumer.position(tp) for tp in partitions} } for "
                        f"{READ_BACK_STALL_S:g}s short of end offsets "
                        f"{ {tp.partition: end for tp, end in ends.items()} }"
                    )
                for records in got.values():
                    yield from records
        finally:
            consumer.close()

    def dead_letters(self) -> list[Any]:
        """The DLQ records whose source is this scenario's topic."""
        return [
            r
            for r in self.read_topic(self.dlq)
            if dict(r.headers).get("dlq.source.topic") == self.topic.encode()
        ]

    def dead_letter_reasons(self) -> dict[str, str]:
        """DLQ reason per source ``partition:offset``."""
        return {
            f"{int(h[HEADER_PARTITION])}:{int(h[HEADER_OFFSET])}": h[HEADER_REASON].decode()
            for h in (dict(r.headers) for r in self.dead_letters())
        }

    def tally(self, acked: set[str] | None = None) -> Tally:
        """Count what happened to every record of the topic (see `Tally`).

        ``acked``: ids of the valid quotes a producer saw acknowledged; any that
        is not in the topic counts as lost.
        """
        dead = self.dead_letter_reasons()
        produced = 0
        undelivered = 0  # records neither decodable-and-expected nor dead-lettered
        expected: dict[str, str] = {}  # id -> index
        in_topic: set[str] = set()
        for record in self.read_topic(self.topic):
            produced += 1
            position = f"{record.partition}:{record.offset}"
            try:
                quote = decode_quote(record.value)
            except SchemaError:
                undelivered += position not in dead
                continue
            document = quote_document(quote, self.prefix)
            in_topic.add(document.id)
            if position not in dead:
                expected[document.id] = document.index
        found = self._found(expected)
        self.es.indices.refresh(index=f"{self.prefix}-*", allow_no_indices=True)
        indexed = int(self.es.count(index=f"{self.prefix}-*", allow_no_indices=True)["count"])
        missing_from_topic = len(acked - in_topic) if acked is not None else 0
        tally = Tally(
            produced=produced,
            indexed=indexed,
            duplicated=indexed - len(found),
            lost=missing_from_topic + undelivered + len(expected) - len(found),
            dead_lettered=len(dead),
        )
        log.info("tally", extra=tally.as_dict())
        return tally

    def _found(self, expected: dict[str, str]) -> set[str]:
        """Which of the expected ids exist, asked id by id (mget) in each daily index."""
        by_index: dict[str, list[str]] = {}
        for doc_id, index in expected.items():
            by_index.setdefault(index, []).append(doc_id)
        found: set[str] = set()
        for index, ids in by_index.items():
            for i in range(0, len(ids), MGET_CHUNK):
                answer = self.es.mget(index=index, ids=ids[i : i + MGET_CHUNK], source=False)
                found.update(d["_id"] for d in answer["docs"] if d.get("found"))
        return found


def acked_ids(producer: LoadProducer) -> set[str]:
    """Document ids of the quotes ``producer`` saw acknowledged."""
    return {quote_document(make_quote(i), "").id for i in producer.acked}


@contextlib.contextmanager
def paused(process_signal: Callable[[signal.Signals], bool]) -> Iterator[None]:
    """SIGSTOP a stack server for the block, SIGCONT it after, whatever happens."""
    process_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process_signal(signal.SIGCONT)


@dataclass(frozen=True)
class Outage:
    """What the pipeline did while one server was down (see `outage`)."""

    seconds: float  # from the stop until the server served again
    acked: int  # producer acknowledgements during the outage
    failed: int  # producer failures during the outage
    committed: int | None  # offsets the indexer committed during the outage (None: unknown)
    indexer_alive: bool
    probe: str  # what `probe` answered mid-outage ("" without a probe)

    def figures(self) -> dict[str, Any]:
        return {f"outage_{k}": v for k, v in asdict(self).items() if v != ""}


def outage(
    chaos: ChaosRun,
    producer: LoadProducer,
    indexer: subprocess.Popen[bytes],
    server: str,
    hold_s: float,
    graceful: bool = True,
    probe: Callable[[], str] | None = None,
) -> Outage:
    """Take ``server`` down for ``hold_s`` under load, bring it back, and say what happened.

    ``probe`` runs once, half-way through. Committed offsets are read just
    before the restart; Kafka may not answer them, which yields None.
    """
    before = chaos.committed()
    down_at = time.monotonic()
    (chaos.stack.stop if graceful else chaos.stack.kill)(server)
    try:
        time.sleep(hold_s / 2)
        answer = probe() if probe is not None else ""
        time.sleep(max(0.0, down_at + hold_s - time.monotonic()))
        during = chaos.committed()
        alive = indexer.poll() is None
    finally:
        chaos.stack.start(server)
    up_at = time.monotonic()
    acked, failed = producer.acked_between(down_at, up_at)
    return Outage(
        seconds=round(up_at - down_at, 1),
        acked=acked,
        failed=failed,
        committed=None if before is None or during is None else during - before,
        indexer_alive=alive,
        probe=answer,
    )
