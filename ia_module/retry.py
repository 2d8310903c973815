"""Bounded, logged retries of Elasticsearch calls."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from elasticsearch import ApiError, ConnectionError, ConnectionTimeout

from cryptoviz_core.backoff import Backoff
from ia_module.errors import StoreUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# Statuses that mean "try again later"; any other API error is a bug or a bad
# request and retrying it would only repeat it.
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


def is_retryable(err: Exception) -> bool:
    """True for connection problems, timeouts and the statuses in RETRYABLE_STATUS."""
    if isinstance(err, ConnectionError | ConnectionTimeout):
        return True
    return isinstance(err, ApiError) and err.meta.status in RETRYABLE_STATUS


def with_retries(
    call: Callable[[], T],
    what: str,
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``, retrying retryable errors up to ``backoff.max_attempts`` attempts.

    Raises StoreUnavailable after the last attempt ("gave up" logged at ERROR);
    non-retryable errors propagate at once.
    """
    attempt = 0
    while True:
        try:
            return call()
        except (ConnectionError, ConnectionTimeout, ApiError) as err:
            if not is_retryable(err):
                raise
            attempt += 1
            if backoff.exhausted(attempt):
                log.error("gave up", extra={"what": what, "attempts": attempt, "error": str(err)})
                raise StoreUnavailable(f"{what}: {err}") from err
            delay = backoff.delay(attempt - 1)
            log.warning(
                "retrying",
                extra={
                    "what": what,
                    "attempt": attempt,
                    "delay_s": round(delay, 2),
                    "error": str(err),
                },
            )
            sleep(delay)
