"""The chaos results file, and the table of docs/RELIABILITY.md generated from it.

Scenarios write their figures to ``.cache/chaos/results.json`` (``CHAOS_RESULTS``
overrides it: ``make test``'s reduced run keeps its own) as they finish;
``python -m tests.chaos.report`` (run by ``make chaos`` after the suite) then
rewrites the table between the markers of docs/RELIABILITY.md. It refuses to
write a table that mixes runs, misses a scenario or was run at a reduced
``CHAOS_SCALE``, so every figure in the document comes from one complete
full-size run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RESULTS = Path(os.environ.get("CHAOS_RESULTS") or REPO / ".cache" / "chaos" / "results.json")
DOC = REPO / "docs" / "RELIABILITY.md"
BEGIN, END = "<!-- chaos-results:begin -->", "<!-- chaos-results:end -->"
COMMAND = "make chaos"
_SESSION_START = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

# Scenario key -> (title, how to run only it), in table order.
SCENARIOS = {
    "kafka-sigkill": (
        "1. Kafka broker SIGKILLed and restarted under the real scraper",
        "test_kafka_broker.py",
    ),
    "zookeeper-stop": ("2. One ZooKeeper node stopped for 60 s", "test_zookeeper.py"),
    "elasticsearch-stop": (
        "3. Elasticsearch stopped for 60 s under load",
        "test_elasticsearch.py",
    ),
    "indexer-sigkill": (
        "4. Indexer SIGKILLed at 5 random points of 50,000 messages",
        "test_indexer_kill.py",
    ),
    "scraper-sigkill": ("5. Scraper SIGKILLed while publishing a page", "test_scraper_kill.py"),
    "poison": ("6. Poison input mixed into 20,000 good quotes", "test_poison.py"),
    "sustained-load": ("7. 1,000 messages/s for 5 minutes", "test_sustained_load.py"),
    "scale-out": (
        "8. Three indexers share 3 partitions; one SIGKILLed mid-run and restarted",
        "test_scale_out.py",
    ),
}


def run_id() -> str:
    """``CHAOS_RUN_ID`` when ``make chaos`` set it, else this session's start time."""
    return os.environ.get("CHAOS_RUN_ID") or _SESSION_START


def load_results(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {"scenarios": {}}


def _save(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def record_result(path: Path, scenario: str, **entry: Any) -> None:
    """Store (replace) one scenario's entry. ``scenario`` must be a key of SCENARIOS."""
    if scenario not in SCENARIOS:
        raise KeyError(f"unknown chaos scenario {scenario!r}")
    results = load_results(path)
    results["scenarios"][scenario] = entry
    _save(path, results)


def record_suite(path: Path, run: str, wall_s: float, scale: float) -> None:
    """Store the wall time and `CHAOS_SCALE` of the pytest session that ran the scenarios."""
    results = load_results(path)
    results["suite"] = {"run_id": run, "wall_s": wall_s, "scale": scale}
    _save(path, results)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(_cell, value)) + "]"
    return str(value).replace("|", "\\|")


def table(results: dict[str, Any]) -> str:
    """The markdown table of one complete run. Raises ValueError if the results are not one."""
    entries = results["scenarios"]
    missing = [key for key in SCENARIOS if key not in entries]
    if missing:
        raise ValueError(f"results lack scenarios {missing}: run the whole suite")
    runs = {entries[key]["run_id"] for key in SCENARIOS} | {results["suite"]["run_id"]}
    if len(runs) != 1:
        raise ValueError(f"results mix runs {sorted(runs)}: run the whole suite again")
    if results["suite"].get("scale") != 1:
        raise ValueError(
            f"results come from CHAOS_SCALE={results['suite'].get('scale')}: the document "
            "holds full-size figures, run `make chaos`"
        )
    lines = [
        f"Run `{runs.pop()}`: `{COMMAND}`, pytest wall time {results['suite']['wall_s']:g} s.",
        "",
        "| Scenario | Produced | Indexed | Duplicated | Lost | Dead-lettered "
        "| Scenario figures | Time (s) | Reproduce |",
        "|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for key, (title, test_file) in SCENARIOS.items():
        entry = entries[key]
        counts = entry["counts"]
        figures = "<br>".join(f"{k}: {_cell(v)}" for k, v in entry["figures"].items())
        lines.append(
            f"| {title} | {counts['produced']} | {counts['indexed']} | {counts['duplicated']} "
            f"| {counts['lost']} | {counts['dead_lettered']} | {figures} | {entry['duration_s']:g} "
            f"| `{COMMAND} CHAOS_TESTS=tests/chaos/{test_file}` |"
        )
    return "\n".join(lines)


def rewrite(doc: Path, generated: str) -> None:
    """Replace what lies between the markers of ``doc`` with ``generated``."""
    text = doc.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{generated}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.report", description=__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args(argv)
    try:
        generated = table(load_results(args.results))
    except (ValueError, KeyError) as err:
        print(f"chaos report: {err}", file=sys.stderr)
        return 1
    rewrite(args.doc, generated)
    print(f"chaos report: wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
