"""The whole loop on in-memory fakes: what is written, dead-lettered and committed."""

import threading
from collections.abc import Callable

import pytest

from cryptoviz_core.retry import GaveUp
from cryptoviz_core.schema import QuoteV1
from indexer_service.documents import quote_document
from indexer_service.service import IndexerService
from indexer_service.settings import IndexerSettings
from tests.support.indexer_fakes import (
    FakeClock,
    FakeConsumer,
    FakeDeadLetters,
    FakeRetention,
    ScriptedWriter,
    record,
    sample_quote,
)

Answer = Callable[[object, int], int]


def _id(quote: QuoteV1) -> str:
    """The id of ``quote``'s document (ids do not depend on the index prefix)."""
    return quote_document(quote, "p").id


def _settings(**overrides: object) -> IndexerSettings:
    base = IndexerSettings(_env_file=None)
    values = {
        "batch_max_docs": 4,
        "batch_linger_s": 1.0,
        "poll_timeout_s": 0.1,
        "stats_interval_s": 5.0,
        "index_prefix": "p",
    }
    values.update(overrides)
    return base.model_copy(update=values)


class Harness:
    def __init__(self, answer: Answer = lambda doc, attempt: 201, **settings: object) -> None:
        self.clock = FakeClock()
        self.consumer = FakeConsumer(on_poll=lambda: self.clock.sleep(0.1))
        self.writer = ScriptedWriter(answer, backoff_attempts=3)  # type: ignore[arg-type]
        self.dlq = FakeDeadLetters()
        self.retention = FakeRetention()
        self.service = IndexerService(
            _settings(**settings),
            self.consumer,
            self.writer,
            self.dlq,
            self.retention,
            clock=self.clock,
            sleep=self.clock.sleep,
        )

    def feed(self, values: list[bytes | None], partition: int = 0) -> None:
        start = sum(1 for r in self.consumer.pending if r.partition == partition)
        self.consumer.pending += [
            record(v, start + i, partition=partition) for i, v in enumerate(values)
        ]

    def run_until_idle(self, max_steps: int = 200) -> None:
        """Run the real `run()`, asking for a stop once the input is drained and flushed."""

        def step_hook() -> None:
            self.clock.sleep(0.1)
            if not self.consumer.pending and not self.consumer.held:
                self._idle_polls += 1
                if self._idle_polls > max_steps:
                    self.service.request_stop()

        self._idle_polls = 0
        self.consumer.on_poll = step_hook
        self.service.run()


def _quotes(n: int) -> list[QuoteV1]:
    return [sample_quote(i) for i in range(n)]


def test_every_valid_record_is_written_and_committed() -> None:
    h = Harness()
    quotes = _quotes(10)
    h.feed([q.to_json() for q in quotes])
    h.run_until_idle()
    assert set(h.writer.stored) == {_id(q) for q in quotes}
    assert h.consumer.committed == {("t", 0): 10}
    assert h.dlq.letters == []
    assert h.consumer.closed
    assert h.retention.runs  # retention ran at start


def test_batches_respect_the_count_limit() -> None:
    h = Harness(batch_max_docs=4)
    h.feed([q.to_json() for q in _quotes(10)])
    h.run_until_idle()
    # 4 + 4 by count, then 2 by age (linger) or at stop.
    assert [c[("t", 0)] for c in h.consumer.commits] == [4, 8, 10]


def test_poison_records_are_dead_lettered_with_reasons_and_the_rest_written() -> None:
    good = _quotes(3)
    values = [
        good[0].to_json(),
        b"{not json",
        b'{"schema_version": 1, "price": "cheap"}',
        b'{"schema_version": 2, "anything": true}',
        good[1].to_json(),
        None,
        good[2].to_json(),
    ]
    rejected_id = _id(good[1])
    h = Harness(answer=lambda doc, attempt: 400 if doc.id == rejected_id else 201)  # type: ignore[attr-defined]
    h.feed(values)
    h.run_until_idle()
    reasons = [(letter.record.offset, letter.reason) for letter in h.dlq.letters]
    assert sorted(reasons) == [
        (1, "malformed-json"),
        (2, "schema-invalid"),
        (3, "unknown-schema-version"),
        (4, "elasticsearch-rejected"),
        (5, "malformed-json"),
    ]
    assert set(h.writer.stored) == {_id(good[0]), _id(good[2])}
    assert h.consumer.committed == {("t", 0): 7}
    assert h.service.stats.dead_lettered == 5
    assert h.service.stats.indexed == 2


def test_retryable_failures_hold_consumption_and_commit_only_after_success() -> None:
    commits_during_retry: list[int] = []

    def answer(doc: object, attempt: int) -> int:
        commits_during_retry.append(len(h.consumer.commits))
        return 503 if attempt < 2 else 201

    h = Harness(answer=answer, batch_max_docs=3)
    h.feed([q.to_json() for q in _quotes(3)])
    h.run_until_idle()
    assert len(h.writer.stored) == 3
    assert set(commits_during_retry) == {0}  # nothing committed while retrying
    assert h.consumer.polls_while_held > 0  # stayed in the group while backing off
    assert not h.consumer.held  # released after the batch
    assert h.consumer.committed == {("t", 0): 3}


def test_gave_up_leaves_the_batch_uncommitted_and_closes() -> None:
    h = Harness(answer=lambda doc, attempt: 503, batch_max_docs=2)
    h.feed([q.to_json() for q in _quotes(2)])
    with pytest.raises(GaveUp):
        h.run_until_idle()
    assert h.consumer.commits == []
    assert h.consumer.closed
    assert h.dlq.closed


def test_stop_during_backoff_commits_nothing() -> None:
    h = Harness(answer=lambda doc, attempt: 429, batch_max_docs=2)

    def stop_when_held() -> None:
        h.clock.sleep(0.1)
        if h.consumer.held:
            h.service.request_stop()

    h.feed([q.to_json() for q in _quotes(2)])
    h.consumer.on_poll = stop_when_held
    h.service.run()  # returns normally: Interrupted is a clean stop
    assert h.consumer.commits == []
    assert h.consumer.closed


def test_stop_writes_the_collected_batch_and_commits_it() -> None:
    h = Harness(batch_max_docs=100, batch_linger_s=60.0)
    quotes = _quotes(5)
    h.feed([q.to_json() for q in quotes])

    def stop_after_first_poll() -> None:
        h.clock.sleep(0.1)
        if len(h.service.batch):
            h.service.request_stop()

    h.consumer.on_poll = stop_after_first_poll
    h.service.run()
    assert len(h.writer.stored) == 5
    assert h.consumer.committed == {("t", 0): 5}


def test_offsets_are_committed_per_partition() -> None:
    h = Harness(batch_max_docs=10)
    quotes = _quotes(6)
    h.feed([q.to_json() for q in quotes[:4]], partition=0)
    h.feed([q.to_json() for q in quotes[4:]], partition=1)
    h.run_until_idle()
    assert h.consumer.committed == {("t", 0): 4, ("t", 1): 2}


def test_stats_report_counts_and_rate() -> None:
    h = Harness(batch_max_docs=5)
    h.feed([q.to_json() for q in _quotes(5)] + [b"bad"])
    h.run_until_idle()
    line = h.service.stats.report(h.clock(), lag=0, retries=0)
    assert line["indexed_total"] == 5
    assert line["dead_lettered_total"] == 1
    assert line["dead_letter_reasons"] == {"malformed-json": 1}
    assert line["last_successful_write"] is not None


def test_stats_rate_covers_the_time_since_the_previous_report() -> None:
    from indexer_service.stats import Stats

    stats = Stats(started_at=0.0)
    stats.record_batch(100, [], "2026-11-28T00:00:00.000Z")
    assert stats.report(10.0, lag=5, retries=0)["docs_per_s"] == 10.0
    stats.record_batch(300, ["schema-invalid"], "2026-11-28T00:00:01.000Z")
    line = stats.report(12.0, lag=None, retries=2)
    assert line["docs_per_s"] == 150.0
    assert line["indexed_total"] == 400
    assert line["consumer_lag"] is None


def test_each_batch_is_committed_before_the_next_is_written() -> None:
    h = Harness(batch_max_docs=2)
    commits_at_write: list[int] = []
    answer = h.writer.script.answer

    def recording(doc: object, attempt: int) -> int:
        commits_at_write.append(len(h.consumer.commits))
        return answer(doc, attempt)  # type: ignore[arg-type]

    h.writer.script.answer = recording
    h.feed([q.to_json() for q in _quotes(6)])
    h.run_until_idle()
    assert [c[("t", 0)] for c in h.consumer.commits] == [2, 4, 6]
    assert commits_at_write == [0, 0, 1, 1, 2, 2]


def test_a_retried_batch_commits_before_the_next() -> None:
    first = {_id(q) for q in _quotes(2)}

    def answer(doc: object, attempt: int) -> int:
        return 503 if doc.id in first and attempt < 2 else 201  # type: ignore[attr-defined]

    h = Harness(answer=answer, batch_max_docs=2)
    h.feed([q.to_json() for q in _quotes(6)])
    h.run_until_idle()
    assert [c[("t", 0)] for c in h.consumer.commits] == [2, 4, 6]
    assert len(h.writer.stored) == 6
    assert h.consumer.polls_while_held > 0


def test_the_next_batch_is_read_while_one_is_being_written() -> None:
    h = Harness(batch_max_docs=2)
    answered = threading.Event()
    answer = h.writer.script.answer
    polled_while_writing: list[bool] = []

    def slow(doc: object, attempt: int) -> int:
        answered.wait(timeout=30)
        return answer(doc, attempt)  # type: ignore[arg-type]

    def poll_then_answer() -> None:
        polled_while_writing.append(bool(h.writer.requests) and not answered.is_set())
        answered.set()

    h.writer.script.answer = slow
    h.feed([q.to_json() for q in _quotes(4)])
    h.service.start()
    h.service.step()
    # The first batch is sent and unanswered, yet step() returned: the loop reads on.
    assert (h.writer.requests, h.writer.stored, h.consumer.commits) == ([2], {}, [])
    h.consumer.on_poll = poll_then_answer
    h.service.step()
    assert polled_while_writing == [True]
    h.service.flush()
    assert [c[("t", 0)] for c in h.consumer.commits] == [2, 4]
    assert len(h.writer.stored) == 4
    h.service.close()
