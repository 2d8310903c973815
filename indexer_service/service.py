"""The indexer loop: consume, batch, decode, write, dead-letter, commit.

Contract, per batch: every record is either written to Elasticsearch or
acknowledged by the DLQ topic before its offset is committed; nothing is
committed past what was written. A failure before the commit leaves the batch
uncommitted, so it is read again after a restart (ids make that idempotent).

One batch in flight: while a batch's bulk requests are being answered (the
sender threads wait on sockets, without the GIL), the loop reads and decodes
the next one, so reading and writing overlap. The next batch is sent only
once the one in flight is written, dead-lettered and committed, so commits are
in order and at most two batches (one in flight, one being read) are
uncommitted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from cryptoviz_core.health import beat
from cryptoviz_core.schema import SchemaError, decode_quote, format_timestamp
from indexer_service.batch import Batch, Partition, Record
from indexer_service.dead_letter import REASON_REJECTED, DeadLetter
from indexer_service.documents import Document, to_document
from indexer_service.elastic_writer import InFlight, Rejection
from indexer_service.exceptions import Interrupted
from indexer_service.settings import IndexerSettings
from indexer_service.stats import Stats

log = logging.getLogger(__name__)

Wait = Callable[[float], None]

# Poll timeout while a batch is in flight: short, so that a written batch is
# committed promptly even when no new records arrive.
IN_FLIGHT_POLL_S = 0.05


class Consumer(Protocol):
    """What the service needs from a consumer (see consumer.QuoteConsumer)."""

    def start(self) -> None: ...
    def poll(self, timeout_s: float, max_records: int | None = None) -> list[Record]: ...
    def hold(self) -> None: ...
    def release(self) -> None: ...
    def commit(self, offsets: Mapping[Partition, int]) -> bool: ...
    def lag(self) -> int | None: ...
    def close(self) -> None: ...


class Writer(Protocol):
    """What the service needs from a writer (see elastic_writer.ElasticWriter)."""

    retries: int

    def install_template(self, prefix: str, wait: Wait, **options: object) -> None: ...
    def start(self, documents: Sequence[Document]) -> InFlight: ...
    def finish(self, flight: InFlight, wait: Wait) -> list[Rejection]: ...
    def close(self) -> None: ...


class DeadLetters(Protocol):
    """What the service needs from a DLQ producer (see dead_letter.DeadLetterProducer)."""

    def start(self) -> None: ...
    def send_all(self, letters: Sequence[DeadLetter], wait: Wait) -> None: ...
    def close(self) -> None: ...


class Retainer(Protocol):
    """What the service needs from retention (see retention.Retention)."""

    def run(self, today: date) -> list[str]: ...


def decode_batch(
    records: Sequence[Record], prefix: str, indexed_at: datetime
) -> tuple[list[Document], list[Record], list[DeadLetter]]:
    """Split records into documents written at ``indexed_at`` (with their records, same
    order) and dead letters."""
    written = format_timestamp(indexed_at)
    documents: list[Document] = []
    sources: list[Record] = []
    letters: list[DeadLetter] = []
    for record in records:
        message = record.value or b""  # a null value is malformed, like an empty one
        try:
            quote = decode_quote(message)
        except SchemaError as err:
            letters.append(DeadLetter(record, err.reason, str(err)))
        else:
            scraped_at = format_timestamp(quote.scraped_at)  # the text sent: one per instant
            documents.append(to_document(quote.slug, scraped_at, message, prefix, written))
            sources.append(record)
    return documents, sources, letters


@dataclass(frozen=True, slots=True)
class SentBatch:
    """A batch handed to the writer and not yet committed."""

    flight: InFlight
    sources: list[Record]  # the record of each document, same order
    letters: list[DeadLetter]  # records that failed to decode
    offsets: dict[Partition, int]
    size_bytes: int
    started: float

    @property
    def records(self) -> int:
        """How many records the batch holds: documents and dead letters."""
        return len(self.sources) + len(self.letters)


class IndexerService:
    """Runs the loop until `request_stop()`; see the module docstring for the contract."""

    def __init__(
        self,
        settings: IndexerSettings,
        consumer: Consumer,
        writer: Writer,
        dead_letters: DeadLetters,
        retention: Retainer,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        utc_now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self._consumer = consumer
        self._writer = writer
        self._dead_letters = dead_letters
        self._retention = retention
        self._clock = clock
        self._sleep = sleep
        self._utc_now = utc_now
        self._stop_requested = False
        self._consumer_started = False
        self._in_flight: SentBatch | None = None
        self.batch = Batch(
            settings.batch_max_docs, settings.batch_max_bytes, settings.batch_linger_s, clock=clock
        )
        self.stats = Stats(started_at=clock())
        self._next_report = 0.0
        self._next_retention = 0.0

    def request_stop(self) -> None:
        """Ask the loop to write and commit the batches in flight and collected, then return.
        Signal-safe."""
        self._stop_requested = True

    def start(self) -> None:
        """Install the template (retrying while Elasticsearch is down), then connect to Kafka."""
        s = self.settings
        self._writer.install_template(
            s.index_prefix,
            self._wait,
            shards=s.index_shards,
            replicas=s.index_replicas,
            refresh_interval=s.index_refresh_interval,
        )
        self._dead_letters.start()
        self._consumer.start()
        self._consumer_started = True
        now = self._clock()
        self._next_report = now + s.stats_interval_s
        self._next_retention = now  # first run right away
        log.info("indexer started", extra={"settings": s.public_view()})

    def run(self) -> None:
        """Start, loop until a stop is requested, flush the last batch, close.

        Raises GaveUp when Elasticsearch or the DLQ stayed unavailable for every
        retry (the batch is left uncommitted).
        """
        try:
            self.start()
            while not self._stop_requested:
                self.step()
            self.flush()  # SIGTERM: write and commit the batch in flight and the one collected
            self.report()
        except Interrupted:
            in_flight = self._in_flight.records if self._in_flight else 0
            log.warning(
                "stopped while retrying; batches left uncommitted",
                extra={"records": len(self.batch) + in_flight},
            )
        finally:
            self.close()
        log.info("indexer stopped")

    def step(self) -> None:
        """One turn: poll, send the batch if it is ready, commit what was written, chores."""
        timeout = self.settings.poll_timeout_s
        if len(self.batch):
            timeout = max(0.0, min(timeout, self.settings.batch_linger_s - self.batch.age()))
        if self._in_flight:
            timeout = min(timeout, IN_FLIGHT_POLL_S)
        self.batch.extend(self._consumer.poll(timeout, max_records=max(1, self.batch.room)))
        if self.batch.is_ready():
            self._send()
        if self._in_flight and self._in_flight.flight.done():
            self._complete(self._in_flight)
        now = self._clock()
        if now >= self._next_report:
            self.report()
            beat(self.settings.health_file)
            self._next_report = now + self.settings.stats_interval_s
        if now >= self._next_retention:
            self._retention.run(self._utc_now().date())
            self._next_retention = now + self.settings.retention_interval_s

    def flush(self) -> None:
        """Write and commit everything: the batch in flight, then the one collected."""
        if len(self.batch):
            self._send()
        if self._in_flight:
            self._complete(self._in_flight)

    def _send(self) -> None:
        """Decode the collected batch (while the one in flight is written), complete the one in
        flight, then send this one."""
        started = self._clock()
        documents, sources, letters = decode_batch(
            self.batch.records, self.settings.index_prefix, self._utc_now()
        )
        offsets, size = self.batch.commit_offsets(), self.batch.size_bytes
        self.batch.clear()
        if self._in_flight:
            self._complete(self._in_flight)
        flight = self._writer.start(documents)
        self._in_flight = SentBatch(flight, sources, letters, offsets, size, started)

    def _complete(self, sent: SentBatch) -> None:
        """Finish ``sent``, the batch in flight: retries, dead letters, then commit."""
        rejections = self._writer.finish(sent.flight, self._wait)
        letters = sent.letters + [
            DeadLetter(sent.sources[r.position], REASON_REJECTED, f"status {r.status}: {r.error}")
            for r in rejections
        ]
        if letters:
            self._dead_letters.send_all(letters, self._wait)
            for letter in letters:
                log.warning(
                    "dead-lettered",
                    extra={
                        "reason": letter.reason,
                        "error": letter.detail[:500],
                        "topic": letter.record.topic,
                        "partition": letter.record.partition,
                        "offset": letter.record.offset,
                    },
                )
        if not self._consumer.commit(sent.offsets):
            self.stats.commit_failures += 1
        self._in_flight = None
        self._consumer.release()
        indexed = len(sent.flight.documents) - len(rejections)
        self.stats.record_batch(
            indexed, [letter.reason for letter in letters], format_timestamp(self._utc_now())
        )
        log.info(
            "batch written",
            extra={
                "records": sent.records,
                "indexed": indexed,
                "dead_lettered": len(letters),
                "bytes": sent.size_bytes,
                "duration_ms": round((self._clock() - sent.started) * 1000, 1),
                "commit": {f"{t}[{p}]": o for (t, p), o in sent.offsets.items()},
            },
        )

    def report(self) -> None:
        """Log the periodic stats line."""
        log.info(
            "indexer stats",
            extra=self.stats.report(self._clock(), self._consumer.lag(), self._writer.retries),
        )

    def _wait(self, seconds: float) -> None:
        """Back off for ``seconds`` with consumption paused, still polling to stay in the group.

        Raises Interrupted as soon as a stop is requested.
        """
        if self._consumer_started:
            self._consumer.hold()
        deadline = self._clock() + seconds
        while True:
            if self._stop_requested:
                raise Interrupted("stop requested while backing off")
            remaining = deadline - self._clock()
            if remaining <= 0:
                return
            if self._consumer_started:
                self._consumer.poll(0)  # nothing is returned while held
            beat(self.settings.health_file)  # backing off is alive, not hung
            self._sleep(min(remaining, self.settings.poll_timeout_s))

    def close(self) -> None:
        """Close the consumer (without committing), the DLQ producer and the writer."""
        for closer in (self._consumer.close, self._dead_letters.close, self._writer.close):
            try:
                closer()
            except Exception:  # close everything even if one part fails; logged, not hidden
                log.exception("error while closing")
