"""The one retry helper: its schedule, what it retries, and how it gives up."""

from __future__ import annotations

import logging
import random

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, ConnectionError, ConnectionTimeout
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError, NotLeaderForPartitionError

from cryptoviz_core.retry import Backoff, GaveUp, RetryLater, is_retryable, retry


def api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "localhost", 9200))
    return ApiError(f"status {status}", meta, {})


def test_delays_double_then_cap() -> None:
    policy = Backoff(initial=1, maximum=10, multiplier=2, jitter=0)
    assert [policy.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_jitter_stays_within_its_spread() -> None:
    policy = Backoff(initial=4, maximum=4, jitter=0.25)
    rng = random.Random(7)
    delays = [policy.delay(3, rng) for _ in range(500)]
    assert min(delays) >= 3.0
    assert max(delays) <= 5.0
    assert len(set(delays)) > 100


def test_huge_failure_counts_do_not_overflow() -> None:
    assert Backoff(initial=1, maximum=30, jitter=0).delay(10_000) == 30


def test_exhausted_only_with_a_limit() -> None:
    assert not Backoff().exhausted(1_000)
    limited = Backoff(max_attempts=3)
    assert not limited.exhausted(2)
    assert limited.exhausted(3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": 0},
        {"initial": 5, "maximum": 1},
        {"multiplier": 0.5},
        {"jitter": 1},
        {"max_attempts": 0},
    ],
)
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(**kwargs)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (api_error(429), True),
        (api_error(408), True),
        (api_error(503), True),
        (api_error(500), True),
        (api_error(400), False),
        (api_error(404), False),
        (ConnectionError("refused"), True),
        (ConnectionTimeout("timed out"), True),
        (KafkaTimeoutError(), True),
        (NotLeaderForPartitionError(), True),
        (MessageSizeTooLargeError(), False),
        (RetryLater("3 of 5 left"), True),
        (ValueError("a bug"), False),
    ],
)
def test_one_definition_of_retryable(error: Exception, retryable: bool) -> None:
    assert is_retryable(error) is retryable


FAST = Backoff(initial=1, maximum=4, jitter=0, max_attempts=4)


def test_retry_waits_between_transient_failures_then_returns() -> None:
    outcomes: list[Exception | str] = [api_error(429), ConnectionError("reset"), "done"]
    slept: list[float] = []

    def call() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert retry(call, "writing", FAST, sleep=slept.append) == "done"
    assert slept == [1, 2]


def test_retry_gives_up_after_max_attempts_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    slept: list[float] = []

    def call() -> None:
        calls.append(1)
        raise RetryLater("2 documents left")

    with (
        caplog.at_level(logging.WARNING, "cryptoviz_core.retry"),
        pytest.raises(GaveUp, match="gave up writing after 4 attempts: 2 documents left") as err,
    ):
        retry(call, "writing", FAST, sleep=slept.append, context={"batch": 7})
    assert len(calls) == 4
    assert slept == [1, 2, 4]
    assert err.value.attempts == 4
    assert isinstance(err.value.error, RetryLater)
    (gave_up,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert gave_up.getMessage() == "gave up writing"
    assert gave_up.__dict__["attempts"] == 4
    assert gave_up.__dict__["batch"] == 7


def test_retry_lets_other_errors_through_at_once() -> None:
    slept: list[float] = []

    def call() -> None:
        raise api_error(400)

    with pytest.raises(ApiError):
        retry(call, "writing", FAST, sleep=slept.append)
    assert slept == []


def test_an_interrupted_wait_ends_the_retries() -> None:
    class Stop(Exception):
        pass

    def sleep(_: float) -> None:
        raise Stop

    def call() -> None:
        raise RetryLater("busy")

    with pytest.raises(Stop):
        retry(call, "writing", FAST, sleep=sleep)
