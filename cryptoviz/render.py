"""Rich rendering of what the subcommands print; `--json` bypasses it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table

from cryptoviz.dead_letters import ReasonGroup
from cryptoviz.health import Report

# Shown by `topics describe` and `topics create` even at their default value.
KEY_CONFIGS = ("cleanup.policy", "retention.ms", "retention.bytes")


def topic_configs(configs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The configs worth showing: the key ones, and every one not at its default."""
    return {
        name: str(entry["value"])
        for name, entry in sorted(configs.items())
        if name in KEY_CONFIGS or entry.get("config_source") != "DEFAULT_CONFIG"
    }


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return escape(str(value))


def rows_table(rows: Sequence[Mapping[str, Any]], title: str | None = None) -> Table:
    """A table with one column per key of the first row."""
    table = Table(title=title, title_justify="left")
    for column in rows[0] if rows else ["(none)"]:
        table.add_column(str(column).replace("_", " "))
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    return table


def record(out: Console, view: Mapping[str, Any]) -> None:
    """One consumed message: a heading line, its headers, then its value."""
    out.print(
        f"[bold]{escape(view['topic'])}[/] partition {view['partition']} offset {view['offset']}"
        f"  {view['timestamp']}  key={escape(str(view['key']))}"
    )
    for name, value in view["headers"].items():
        out.print(f"  {escape(name)}: {escape(str(value))}")
    value = view["value"]
    out.print(escape(value if isinstance(value, str) else json.dumps(value, indent=2)))


def dead_letter_groups(groups: Sequence[ReasonGroup], topic: str) -> Table:
    table = Table(title=f"Dead letters in {topic}", title_justify="left")
    for column in ("reason", "count", "samples: dlq offset, source, error, value"):
        table.add_column(column)
    for group in groups:
        lines = [
            f"{s['dlq_offset']}  from {s['source']}  {s['error']}\n  {s['value']}"
            for s in (letter.sample() for letter in group.samples)
        ]
        table.add_row(group.reason, str(group.count), escape("\n".join(lines)))
    return table


def status(out: Console, report: Report) -> None:
    checks = Table(title="CryptoViz status", title_justify="left")
    for column in ("", "part", "where", "state"):
        checks.add_column(column)
    for check in report.checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        checks.add_row(mark, check.name, escape(check.address), escape(check.state))
    figures = Table(title="Figures", title_justify="left", show_header=False)
    figures.add_column()
    figures.add_column()
    lag = (
        "-"
        if report.lag is None
        else ", ".join(f"p{p}: {n}" for p, n in sorted(report.lag.items()))
    )
    figures.add_row("indexer lag per partition", lag)
    docs = (
        "-"
        if report.documents is None
        else "\n".join(f"{name}: {count}" for name, count in sorted(report.documents.items()))
        or "no index yet"
    )
    figures.add_row("documents per index", escape(docs))
    figures.add_row("newest quote age", _seconds(report.newest_quote_age_s))
    figures.add_row("dead letters, last hour", _cell(report.dead_letters_last_hour))
    figures.add_row("forecasts written", _cell(report.forecasts))
    parts: list[Any] = [checks, figures]
    parts += [f"[dim]{escape(note)}[/]" for note in report.notes]
    out.print(Group(*parts))


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"
