"""Bounded, logged retries: the one retry helper of every service, and what "retryable" means.

    from cryptoviz_core.retry import Backoff, retry
    retry(lambda: es.indices.refresh(index=name), "index refresh", Backoff(max_attempts=4))

`retry` calls again while the call raises a retryable error (`is_retryable`),
waiting `Backoff.delay` between attempts, and raises `GaveUp` after
``max_attempts`` attempts, with an ERROR line ``gave up <what>`` that carries
the attempt count. Any other error propagates at once: retrying it would only
repeat it. A call whose work fails only in part (bulk items answered 429)
keeps what is left to do and raises `RetryLater`.

`Backoff` is also the delay schedule of loops that never give up on their own
(the scraper's cycles, the local runner's restarts).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from elastic_transport import TransportError
from elasticsearch import ApiError
from kafka.errors import KafkaError

log = logging.getLogger(__name__)
T = TypeVar("T")

# The status of a request that never got an HTTP answer (connection refused, reset, timed out).
STATUS_NO_ANSWER = 0
MAX_ERROR_CHARS = 500


def is_retryable_status(status: int) -> bool:
    """True for an HTTP status that means "try again later": no answer, 408, 429 or 5xx.

    Any other failure (e.g. 400 mapping conflict) is the request's own fault.
    """
    return status in (STATUS_NO_ANSWER, 408, 429) or status >= 500


class RetryLater(Exception):
    """Raised by a retried call when part of its work failed retryably; it keeps what is left."""


def is_retryable(err: BaseException) -> bool:
    """The one definition of a transient Elasticsearch or Kafka failure.

    Elasticsearch: no answer (connection refused, reset, timed out) or a
    retryable status. Kafka: an error kafka-python marks retriable (broker
    unavailable, leader moving, request timed out). And `RetryLater`.
    """
    if isinstance(err, RetryLater):
        return True
    if isinstance(err, ApiError):
        return is_retryable_status(err.status_code)
    if isinstance(err, TransportError):
        return True
    return isinstance(err, KafkaError) and bool(err.retriable)


class GaveUp(Exception):
    """A retryable failure outlasted every attempt. Raised by `retry`.

    Callers stop what they were doing without losing it: the indexer stops
    without committing (Kafka still holds the records), the IA service skips
    the rest of its cycle.
    """

    def __init__(self, what: str, attempts: int, error: BaseException) -> None:
        super().__init__(f"gave up {what} after {attempts} attempts: {error}")
        self.what, self.attempts, self.error = what, attempts, error


@dataclass(frozen=True)
class Backoff:
    """Delays of ``initial * multiplier**n`` seconds, capped at ``maximum``, with full jitter.

    ``max_attempts`` bounds `retry` (None: the caller decides when to stop).
    """

    initial: float = 1.0
    maximum: float = 60.0
    multiplier: float = 2.0
    jitter: float = 0.2
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.maximum:
            raise ValueError("backoff needs 0 < initial <= maximum")
        if self.multiplier < 1 or not 0 <= self.jitter < 1:
            raise ValueError("backoff needs multiplier >= 1 and 0 <= jitter < 1")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("backoff needs max_attempts >= 1")

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after ``failures`` consecutive failures (1 or more)."""
        base = min(self.maximum, self.initial * self.multiplier ** min(max(failures - 1, 0), 64))
        spread = base * self.jitter
        return max(0.0, base + (rng or random).uniform(-spread, spread))

    def exhausted(self, failures: int) -> bool:
        """True once ``failures`` attempts have failed and the policy allows no more."""
        return self.max_attempts is not None and failures >= self.max_attempts


def retry(
    call: Callable[[], T],
    what: str,
    backoff: Backoff,
    *,
    sleep: Callable[[float], None] = time.sleep,
    context: Mapping[str, Any] | None = None,
) -> T:
    """``call()``, called again after ``sleep(delay)`` while it raises a retryable error.

    ``what`` names the work in the logs, always the same words for the same work
    ("bulk write": the lines are ``bulk write failed, retrying`` and ``gave up
    bulk write``); ``context`` adds fields to every line (a batch's size, an index). ``sleep`` may
    raise to abandon the wait (the indexer's stop request). Raises GaveUp once
    ``backoff.max_attempts`` attempts failed; a non-retryable error at once.
    """
    extra = dict(context or {})
    failures = 0
    while True:
        try:
            return call()
        except Exception as err:
            if not is_retryable(err):
                raise
            failures += 1
            error = f"{type(err).__name__}: {err}"[:MAX_ERROR_CHARS]
            if backoff.exhausted(failures):
                log.error(f"gave up {what}", extra={**extra, "attempts": failures, "error": error})
                raise GaveUp(what, failures, err) from err
            delay = backoff.delay(failures)
            log.warning(
                f"{what} failed, retrying",
                extra={**extra, "attempt": failures, "delay_s": round(delay, 3), "error": error},
            )
            sleep(delay)
