"""Where consume starts, lag per partition, and counts since a time."""

from __future__ import annotations

from cryptoviz.offsets import counted_since, lag, start_offsets

EARLIEST = {0: 5, 1: 0}
LATEST = {0: 20, 1: 3}


def test_from_the_beginning_by_default() -> None:
    assert start_offsets(EARLIEST, LATEST) == {0: 5, 1: 0}


def test_an_offset_is_clamped_into_what_each_partition_retains() -> None:
    assert start_offsets(EARLIEST, LATEST, offset=2) == {0: 5, 1: 2}
    assert start_offsets(EARLIEST, LATEST, offset=10) == {0: 10, 1: 3}


def test_a_time_after_the_newest_record_starts_at_the_end() -> None:
    assert start_offsets(EARLIEST, LATEST, at_time={0: 12, 1: None}) == {0: 12, 1: 3}
    assert start_offsets(EARLIEST, LATEST, at_time={0: 0, 1: 0}) == {0: 0, 1: 0}


def test_lag_counts_uncommitted_partitions_from_zero_and_is_never_negative() -> None:
    assert lag({0: 20, 1: 3, 2: 7}, {0: 15, 1: 4}) == {0: 5, 1: 0, 2: 7}


def test_counted_since() -> None:
    # Partition 0: offsets 0..19 since the time; 1: nothing that recent.
    assert counted_since({0: 20, 1: 3}, {0: 0, 1: None}) == 20
    assert counted_since({0: 20}, {0: 18}) == 2
