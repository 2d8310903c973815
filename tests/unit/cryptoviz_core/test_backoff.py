"""Bounded exponential backoff."""

from __future__ import annotations

import random

import pytest

from cryptoviz_core.backoff import Backoff


def test_delays_double_then_cap() -> None:
    policy = Backoff(initial=1, maximum=10, multiplier=2, jitter=0)
    assert [policy.delay(n) for n in range(6)] == [1, 2, 4, 8, 10, 10]


def test_jitter_stays_within_its_spread() -> None:
    policy = Backoff(initial=4, maximum=4, jitter=0.25)
    rng = random.Random(7)
    delays = [policy.delay(3, rng) for _ in range(500)]
    assert min(delays) >= 3.0
    assert max(delays) <= 5.0
    assert len(set(delays)) > 100


def test_huge_attempt_numbers_do_not_overflow() -> None:
    assert Backoff(initial=1, maximum=30, jitter=0).delay(10_000) == 30


def test_exhausted_only_with_a_limit() -> None:
    assert not Backoff().exhausted(1_000)
    limited = Backoff(max_attempts=3)
    assert not limited.exhausted(2)
    assert limited.exhausted(3)


@pytest.mark.parametrize(
    "kwargs", [{"initial": 0}, {"initial": 5, "maximum": 1}, {"multiplier": 0.5}, {"jitter": 1}]
)
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(**kwargs)
