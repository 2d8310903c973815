"""Bulk writes to Elasticsearch with per-document outcomes and bounded retries.

Each document ends in one of three states: written; retryable failure
(`cryptoviz_core.retry.is_retryable_status`: no answer, 408, 429, 5xx), re-sent
alone through `cryptoviz_core.retry.retry`; or rejected (any other status, e.g.
a 400 mapping conflict), returned to the caller to be dead-lettered. Only the
failed documents are re-sent.

The bulk helpers run with ``max_retries=0``: `retry` is the one place that
retries writes, so the policy, the logs and the "gave up" are in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch
from elasticsearch.helpers import streaming_bulk

from cryptoviz_core.retry import (
    STATUS_NO_ANSWER,
    Backoff,
    RetryLater,
    is_retryable_status,
    retry,
)
from indexer_service.documents import Document
from indexer_service.template import INDEXER_PROPERTIES, index_template, template_name

log = logging.getLogger(__name__)

# Far above bulk_chunk_docs * the largest valid quote; chunks are cut by count.
MAX_CHUNK_BYTES = 100 * 1024 * 1024
# The parts of a `_bulk` answer the writer reads; `errors` is read by the helper.
BULK_FILTER_PATH = "errors,items.*.status,items.*.error"


class Outcome(Enum):
    """What to do with one document after a bulk attempt."""

    WRITTEN = "written"
    RETRY = "retry"
    REJECTED = "rejected"


def classify(status: int) -> Outcome:
    """The outcome of a per-item bulk status (0 = no HTTP answer at all)."""
    if 200 <= status < 300:
        return Outcome.WRITTEN
    if is_retryable_status(status):
        return Outcome.RETRY
    return Outcome.REJECTED


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One document's answer from a bulk attempt: HTTP status and error text ("" if none)."""

    status: int
    error: str = ""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A document Elasticsearch refused for good: its position in the written batch."""

    position: int
    status: int
    error: str


# A bulk request's documents that were not written: position in the request -> answer.
# Written documents, the vast majority, cost nothing more to report.
Failures = dict[int, ItemResult]


def describe_error(error: Any) -> str:
    """A one-line description of a bulk item error (a dict from ES, or any other value)."""
    if isinstance(error, dict):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
        cause = error.get("caused_by")
        if isinstance(cause, dict):
            text += f" (caused by {cause.get('type', 'error')}: {cause.get('reason', '')})"
        return text
    return str(error)


def item_result(info: dict[str, Any]) -> ItemResult:
    """Normalise the ``{op_type: item}`` of one document the bulk helpers did not report ok."""
    (item,) = info.values()
    return ItemResult(int(item.get("status", 500)), describe_error(item.get("error", "unknown")))


# One ``_bulk`` request: its documents in, the ones not written out (see `send_bulk`).
SendChunk = Callable[[Sequence[Document]], Failures]


@dataclass(frozen=True, slots=True)
class InFlight:
    """One bulk attempt being sent by the sender threads (`ElasticWriter.start`)."""

    documents: Sequence[Document]
    chunk_docs: int
    futures: list[Future[Failures]]  # one per chunk of ``chunk_docs`` documents, in order

    def done(self) -> bool:
        """True once every request of the attempt has its answer."""
        return all(future.done() for future in self.futures)

    def failures(self) -> Failures:
        """Wait for every answer; the documents not written, by position."""
        return {
            chunk * self.chunk_docs + offset: result
            for chunk, future in enumerate(self.futures)
            for offset, result in future.result().items()
        }


class ElasticWriter:
    """Writes batches of documents; see the module docstring for the retry contract.

    Used from one thread; owns a pool of ``parallelism`` threads that send the
    chunks of a batch concurrently while that thread goes on (`start`, then
    `finish`). `close()` stops the pool. ``send_chunk`` sends one request
    (default: `send_bulk` on ``client``); tests pass a script.
    """

    def __init__(
        self,
        client: Elasticsearch,
        backoff: Backoff,
        *,
        chunk_docs: int,
        parallelism: int,
        send_chunk: SendChunk | None = None,
    ) -> None:
        self._client = client
        self._backoff = backoff
        self._chunk_docs = chunk_docs
        self._send_request = send_chunk or partial(send_bulk, client)
        self._pool = ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="bulk")
        self.retries = 0  # retry rounds over the writer's life, for stats

    def install_template(self, prefix: str, wait: Callable[[float], None], **options: Any) -> None:
        """Create or overwrite the index template for ``<prefix>-*``. Idempotent.

        Daily indices that already exist (created by an older template) get the
        fields the indexer adds: a strict mapping would reject every document otherwise.

        Retries while Elasticsearch is unreachable or answers 429/5xx (``wait``
        sleeps between attempts); raises GaveUp when attempts run out and
        elasticsearch's ApiError when the template itself is refused (a bug).
        """
        body = index_template(prefix, **options)

        def install() -> None:
            self._client.indices.put_index_template(name=template_name(prefix), **body)
            self._client.indices.put_mapping(
                index=f"{prefix}-*",
                properties=INDEXER_PROPERTIES,
                allow_no_indices=True,
                ignore_unavailable=True,
            )

        retry(
            install,
            "index template install",
            self._backoff,
            sleep=wait,
            context={"template": template_name(prefix)},
        )
        log.info("index template installed", extra={"template": template_name(prefix)})

    def start(self, documents: Sequence[Document]) -> InFlight:
        """Send ``documents`` in the sender threads, a ``_bulk`` request per chunk, and return
        at once: the caller reads and decodes the next batch meanwhile, then calls `finish`."""
        chunk = self._chunk_docs
        futures = [
            self._pool.submit(self._send_request, documents[i : i + chunk])
            for i in range(0, len(documents), chunk)
        ]
        return InFlight(documents, chunk, futures)

    def finish(self, flight: InFlight, wait: Callable[[float], None]) -> list[Rejection]:
        """Wait for the batch `start` sent; return the documents Elasticsearch rejected for good.

        Every other document is written when this returns. Retryable failures
        are re-sent after ``wait(delay)`` (which may raise Interrupted); GaveUp
        is raised once the backoff's attempts are exhausted. Retries are driven
        from the caller's thread: ``wait`` polls the Kafka consumer, which only
        that thread may use.
        """
        documents = flight.documents
        pending = list(range(len(documents)))  # positions still to write
        rejections: list[Rejection] = []
        sent: InFlight | None = flight

        def attempt() -> None:
            nonlocal pending, sent
            if sent is None:  # a retry: re-send what the last attempt left
                self.retries += 1
                sent = self.start([documents[i] for i in pending])
            failures, sent = sent.failures(), None
            retry_later: list[int] = []
            last_error = ""
            for offset, result in failures.items():
                outcome = classify(result.status)
                if outcome is Outcome.RETRY:
                    retry_later.append(pending[offset])
                    last_error = f"{result.status}: {result.error}"
                elif outcome is Outcome.REJECTED:
                    rejections.append(Rejection(pending[offset], result.status, result.error))
            pending = retry_later
            if pending:
                raise RetryLater(f"{len(pending)} of {len(documents)} documents: {last_error}")

        retry(
            attempt, "bulk write", self._backoff, sleep=wait, context={"documents": len(documents)}
        )
        return sorted(rejections, key=lambda r: r.position)

    def close(self) -> None:
        """Stop the sender threads. Idempotent."""
        self._pool.shutdown(wait=True)


def send_bulk(client: Elasticsearch, documents: Sequence[Document]) -> Failures:
    """One ``_bulk`` request for ``documents``: the ones not written, by position."""
    failures: Failures = {}
    answered = 0
    try:
        # Documents expand to pre-serialised lines (Document.bulk_lines) that
        # the helper sends as they are; its annotations only know dicts.
        for ok, info in streaming_bulk(
            client,
            documents,  # type: ignore[arg-type]
            chunk_size=len(documents),
            max_chunk_bytes=MAX_CHUNK_BYTES,
            expand_action_callback=Document.bulk_lines,  # type: ignore[arg-type]
            max_retries=0,  # this module retries; see the module docstring
            raise_on_error=False,
            # The helper's own per-item error report needs action dicts;
            # a refused request is mapped to every document just below.
            raise_on_exception=True,
            yield_ok=True,  # every item, so that ``answered`` is each one's position
            # Only what item_result reads: a much smaller answer to parse.
            filter_path=BULK_FILTER_PATH,
        ):
            if not ok:
                failures[answered] = item_result(info)
            answered += 1
    except ApiError as err:  # not per item: e.g. the bulk endpoint itself refused
        return dict.fromkeys(range(len(documents)), ItemResult(err.status_code, str(err)))
    except TransportError as err:  # connection refused, reset or timed out
        lost = ItemResult(STATUS_NO_ANSWER, f"{type(err).__name__}: {err}")
        return dict.fromkeys(range(len(documents)), lost)
    # The helper pairs items with documents silently: never count a document
    # Elasticsearch did not answer for as written.
    unanswered = ItemResult(STATUS_NO_ANSWER, "no item in the bulk answer")
    failures.update(dict.fromkeys(range(answered, len(documents)), unanswered))
    return failures
