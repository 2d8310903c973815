"""Routing of per-item bulk results: written, retried alone, or rejected for the DLQ."""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from elasticsearch import Elasticsearch

from cryptoviz_core.retry import Backoff, GaveUp
from indexer_service.documents import Document, quote_document
from indexer_service.elastic_writer import (
    ElasticWriter,
    ItemResult,
    Outcome,
    Rejection,
    classify,
    describe_error,
    item_result,
)
from indexer_service.exceptions import Interrupted
from tests.support.indexer_fakes import ScriptedWriter, sample_quote


def _docs(n: int) -> list[Document]:
    return [quote_document(sample_quote(i), "p") for i in range(n)]


def write(
    writer: ElasticWriter, documents: list[Document], wait: Callable[[float], None]
) -> list[Rejection]:
    """Send and finish one batch, as the service does with the loop going on in between."""
    return writer.finish(writer.start(documents), wait)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.WRITTEN),
        (201, Outcome.WRITTEN),
        (0, Outcome.RETRY),  # no HTTP answer: connection lost
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (400, Outcome.REJECTED),  # mapping conflict
        (404, Outcome.REJECTED),
        (409, Outcome.REJECTED),
        (413, Outcome.REJECTED),
    ],
)
def test_classify(status: int, outcome: Outcome) -> None:
    assert classify(status) is outcome


def test_item_result_reads_a_helper_item() -> None:
    error = {
        "type": "document_parsing_exception",
        "reason": "failed to parse field [slug]",
        "caused_by": {"type": "illegal_argument_exception", "reason": "For input string"},
    }
    bad = item_result({"index": {"_id": "b", "status": 400, "error": error}})
    assert bad.status == 400
    assert bad.error == (
        "document_parsing_exception: failed to parse field [slug] "
        "(caused by illegal_argument_exception: For input string)"
    )
    assert item_result({"index": {"_id": "c"}}) == ItemResult(500, "unknown")
    assert describe_error("boom") == "boom"


def test_all_written_in_chunks_of_the_configured_size() -> None:
    writer = ScriptedWriter(lambda doc, attempt: 201, chunk_docs=3)
    docs = _docs(7)
    assert write(writer, docs, wait=pytest.fail) == []
    assert sorted(writer.requests) == [1, 3, 3]
    assert set(writer.stored) == {d.id for d in docs}
    writer.close()


def test_only_failed_documents_are_retried_after_a_backoff() -> None:
    docs = _docs(6)
    flaky = {docs[1].id: 2, docs[4].id: 1}  # failures before success
    waits: list[float] = []
    writer = ScriptedWriter(
        lambda doc, attempt: 429 if attempt < flaky.get(doc.id, 0) else 201, chunk_docs=2
    )
    assert write(writer, docs, wait=waits.append) == []
    assert waits == [0.1, 0.2]  # exponential, from the backoff policy
    assert writer.requests[3:] == [2, 1]  # round 2: both flaky docs; round 3: one
    assert writer.attempts[docs[0].id] == 1
    assert writer.attempts[docs[1].id] == 3
    assert len(writer.stored) == 6
    assert writer.retries == 2
    writer.close()


def test_rejections_are_returned_by_position_and_not_retried() -> None:
    docs = _docs(5)
    writer = ScriptedWriter(lambda doc, attempt: 400 if doc.id in {docs[1].id, docs[3].id} else 201)
    rejections = write(writer, docs, wait=pytest.fail)
    assert [(r.position, r.status) for r in rejections] == [(1, 400), (3, 400)]
    assert writer.attempts[docs[1].id] == 1
    assert set(writer.stored) == {docs[0].id, docs[2].id, docs[4].id}
    writer.close()


def test_mixed_retry_and_reject() -> None:
    docs = _docs(3)
    statuses = {docs[0].id: [503, 201], docs[1].id: [400], docs[2].id: [0, 0, 201]}
    writer = ScriptedWriter(lambda doc, attempt: statuses[doc.id][attempt])
    rejections = write(writer, docs, wait=lambda s: None)
    assert [r.position for r in rejections] == [1]
    assert set(writer.stored) == {docs[0].id, docs[2].id}
    writer.close()


def test_gives_up_after_the_configured_attempts() -> None:
    waits: list[float] = []
    writer = ScriptedWriter(lambda doc, attempt: 503, backoff_attempts=3)
    with pytest.raises(GaveUp, match="after 3 attempts: 1 of 1 documents: 503"):
        write(writer, _docs(1), wait=waits.append)
    assert len(waits) == 2
    assert writer.stored == {}
    writer.close()


def test_wait_may_interrupt_the_retries() -> None:
    def interrupt(seconds: float) -> None:
        raise Interrupted("stop")

    writer = ScriptedWriter(lambda doc, attempt: 429)
    with pytest.raises(Interrupted):
        write(writer, _docs(2), wait=interrupt)
    writer.close()


class _ShortBulkAnswers(BaseHTTPRequestHandler):
    """An Elasticsearch stand-in whose ``_bulk`` answers "ok" for the first document only."""

    def do_PUT(self) -> None:  # the client sends _bulk with PUT
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"errors": False, "items": [{"index": {"status": 201}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_documents_missing_from_the_bulk_answer_are_retried_not_counted_written() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ShortBulkAnswers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = Elasticsearch(f"http://127.0.0.1:{server.server_port}", max_retries=0)
    writer = ElasticWriter(
        client,
        Backoff(initial=0.01, maximum=0.01, jitter=0.0, max_attempts=3),
        chunk_docs=10,
        parallelism=1,
    )
    waits: list[float] = []
    try:
        # Each attempt, the first document sent is answered; the others are re-sent.
        assert write(writer, _docs(3), waits.append) == []
        assert len(waits) == 2
        with pytest.raises(GaveUp, match="1 of 4 documents: 0: no item in the bulk answer"):
            write(writer, _docs(4), waits.append)
    finally:
        writer.close()
        client.close()
        server.shutdown()
