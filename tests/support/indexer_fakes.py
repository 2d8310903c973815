"""In-memory stand-ins for the indexer's I/O parts, for fast tests of the whole loop.

They follow the Protocols in indexer_service/service.py and record what the
service did to them. `ScriptedWriter` is the real ElasticWriter on a scripted
Elasticsearch: its ``send_chunk`` seam and a client that only records templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from cryptoviz_core.retry import Backoff
from cryptoviz_core.schema import QuoteV1
from indexer_service.batch import Partition, Record
from indexer_service.dead_letter import DeadLetter
from indexer_service.documents import Document
from indexer_service.elastic_writer import ElasticWriter, Failures, ItemResult

BASE_TIME = datetime(2026, 11, 28, 4, 52, 12, 123000, tzinfo=UTC)


def sample_quote(i: int = 0, **overrides: Any) -> QuoteV1:
    """A valid quote; ``i`` varies slug, rank and scraped_at (one second apart)."""
    fields: dict[str, Any] = {
        "source": "coinmarketcap",
        "scraped_at": BASE_TIME + timedelta(seconds=i),
        "cmc_id": 1000 + i,
        "slug": f"coin-{i}",
        "name": f"Coin {i}",
        "symbol": f"C{i}",
        "rank": i + 1,
        "currency": "USD",
        "price": 1e-9 * (i + 1),
        "change_1h_pct": -0.5,
        "change_24h_pct": 1.25,
        "change_7d_pct": None,
        "market_cap": 1.5e12,
        "volume_24h": 3.2e10,
        "circulating_supply": 1.9e7,
        "max_supply": 2.1e7,
        "page": 1,
        "origin": "json",
    }
    fields.update(overrides)
    return QuoteV1(**fields)


class FakeRecord(NamedTuple):
    """A consumed record, as kafka-python's ConsumerRecord holds one (see batch.Record)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


def record(value: bytes | None, offset: int, partition: int = 0, topic: str = "t") -> Record:
    """A consumed record carrying ``value``."""
    return FakeRecord(topic=topic, partition=partition, offset=offset, key=b"k", value=value)


@dataclass
class FakeClock:
    """A monotonic clock that only moves when slept on or advanced."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeConsumer:
    """Serves queued records; remembers commits, holds and polls made while held."""

    pending: list[Record] = field(default_factory=list)
    committed: dict[Partition, int] = field(default_factory=dict)
    commits: list[dict[Partition, int]] = field(default_factory=list)
    held: bool = False
    polls_while_held: int = 0
    started: bool = False
    closed: bool = False
    on_poll: Callable[[], None] | None = None

    def start(self) -> None:
        self.started = True

    def poll(self, timeout_s: float, max_records: int | None = None) -> list[Record]:
        if self.on_poll is not None:
            self.on_poll()
        if self.held:
            self.polls_while_held += 1
            return []
        n = len(self.pending) if max_records is None else max_records
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def hold(self) -> None:
        self.held = True

    def release(self) -> None:
        self.held = False

    def commit(self, offsets: Mapping[Partition, int]) -> bool:
        self.commits.append(dict(offsets))
        self.committed.update(offsets)
        return True

    def lag(self) -> int | None:
        return len(self.pending)

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeDeadLetters:
    """Keeps every dead letter it was given, in order."""

    letters: list[DeadLetter] = field(default_factory=list)
    closed: bool = False

    def start(self) -> None:
        pass

    def send_all(self, letters: Sequence[DeadLetter], wait: Callable[[float], None]) -> None:
        self.letters.extend(letters)

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeRetention:
    """Remembers the days it was run for."""

    runs: list[date] = field(default_factory=list)

    def run(self, today: date) -> list[str]:
        self.runs.append(today)
        return []


class ScriptedBulk:
    """Answers each ``_bulk`` request document by document with ``answer(doc, attempt)``.

    ``answer`` returns the HTTP status of one document at one attempt (0-based
    per document); written documents are kept in `stored` by id.
    """

    def __init__(self, answer: Callable[[Document, int], int]) -> None:
        self.answer = answer
        self.attempts: dict[str, int] = {}
        self.stored: dict[str, Document] = {}
        self.requests: list[int] = []  # documents per bulk request

    def __call__(self, documents: Sequence[Document]) -> Failures:
        self.requests.append(len(documents))
        failures = {}
        for offset, doc in enumerate(documents):
            attempt = self.attempts.get(doc.id, 0)
            self.attempts[doc.id] = attempt + 1
            status = self.answer(doc, attempt)
            if 200 <= status < 300:
                self.stored[doc.id] = doc
            else:
                failures[offset] = ItemResult(status, f"error {status}")
        return failures


class TemplateRecorder:
    """The client calls a writer makes besides ``_bulk``: remembers the templates put and
    the index patterns whose mappings were extended."""

    def __init__(self) -> None:
        self.templates: list[str] = []
        self.mappings: list[str] = []
        self.indices = self  # the writer calls client.indices.put_index_template

    def put_index_template(self, name: str, **body: Any) -> None:
        self.templates.append(name)

    def put_mapping(self, index: str, **body: Any) -> None:
        self.mappings.append(index)


class ScriptedWriter(ElasticWriter):
    """The real ElasticWriter answered by a `ScriptedBulk`; its records are exposed as
    `attempts`, `stored` and `requests`, the templates it installed as `templates`."""

    def __init__(
        self,
        answer: Callable[[Document, int], int],
        backoff_attempts: int = 5,
        chunk_docs: int = 3,
        parallelism: int = 2,
    ) -> None:
        bulk, client = ScriptedBulk(answer), TemplateRecorder()
        super().__init__(
            client,  # type: ignore[arg-type]
            Backoff(initial=0.1, maximum=1.0, jitter=0.0, max_attempts=backoff_attempts),
            chunk_docs=chunk_docs,
            parallelism=parallelism,
            send_chunk=bulk,
        )
        self.script = bulk
        self.attempts, self.stored, self.requests = bulk.attempts, bulk.stored, bulk.requests
        self.templates = client.templates
