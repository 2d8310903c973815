"""The RELIABILITY table is written from one complete, full-size run only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.report import SCENARIOS, load_results, record_result, record_suite, table


def _results(tmp_path: Path, scale: float) -> Path:
    path = tmp_path / "results.json"
    counts = {"produced": 1, "indexed": 1, "duplicated": 0, "lost": 0, "dead_lettered": 0}
    for key in SCENARIOS:
        record_result(path, key, run_id="r1", test=key, duration_s=1.0, counts=counts, figures={})
    record_suite(path, "r1", 10.0, scale)
    return path


def test_full_size_run_makes_a_table(tmp_path: Path) -> None:
    text = table(load_results(_results(tmp_path, 1.0)))
    assert text.startswith("Run `r1`")
    assert text.count("\n| ") == len(SCENARIOS) + 1  # header and one row per scenario


def test_reduced_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"CHAOS_SCALE=0\.1"):
        table(load_results(_results(tmp_path, 0.1)))
