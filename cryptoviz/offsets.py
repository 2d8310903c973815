"""Pure offset arithmetic: where `consume` starts, lag, and counts between two offsets."""

from __future__ import annotations

from collections.abc import Mapping


def start_offsets(
    earliest: Mapping[int, int],
    latest: Mapping[int, int],
    *,
    offset: int | None = None,
    at_time: Mapping[int, int | None] | None = None,
) -> dict[int, int]:
    """Per partition, the first offset to read.

    ``offset`` is clamped into what the partition retains; ``at_time`` holds the
    first offset at or after a time per partition (None: no record that recent,
    so start at the end). Neither: from the beginning.
    """
    if offset is not None:
        return {p: min(max(offset, earliest[p]), latest[p]) for p in earliest}
    if at_time is not None:
        firsts = {p: at_time.get(p) for p in earliest}
        return {p: latest[p] if first is None else first for p, first in firsts.items()}
    return dict(earliest)


def lag(latest: Mapping[int, int], committed: Mapping[int, int | None]) -> dict[int, int]:
    """Per partition, messages the group has not committed yet; never negative.

    A partition without a committed offset counts from 0: the indexer reads a
    new group from the earliest offset.
    """
    return {p: max(0, end - (committed.get(p) or 0)) for p, end in latest.items()}


def counted_since(latest: Mapping[int, int], at_time: Mapping[int, int | None]) -> int:
    """Messages written since a time, given the first offset at or after it per partition."""
    firsts = {p: at_time.get(p) for p in latest}
    return sum(end - first for p, end in latest.items() if (first := firsts[p]) is not None)
