"""Pure logic of `status`: readings in, one verdict per part of the pipeline out.

A server is up when it answers as it should (ZooKeeper: leader or follower).
A service is judged by what it leaves behind, so the verdict is the same from
the host, from a container or on the local stack: the scraper by the age of
the newest message on the quotes topic, the indexer by the members of its
consumer group, the IA by the age of its newest forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

ZOOKEEPER_FIX = (
    "start it (`docker compose up -d {name}`, or `python -m devstack up` on the local stack); "
    "with two nodes Kafka stops until both serve"
)
FIXES = {
    "kafka": "start the broker (`docker compose up -d kafka`, or `python -m devstack up`), "
    "or point KAFKA_BOOTSTRAP_SERVERS at it",
    "elasticsearch": "start it (`docker compose up -d elasticsearch`, or `python -m devstack up`), "
    "or point ELASTICSEARCH_URL (and ELASTICSEARCH_CA_CERT) at it",
    "scraper": "start it (`docker compose up -d scraper`, or `python -m scraper_service`) "
    "and read its log for refusals",
    "indexer": "start it (`docker compose up -d indexer`, or `python -m indexer_service`)",
    "ia": "start it (`docker compose up -d ia`, or `python -m ia_module`) and read its log",
}


@dataclass(frozen=True)
class Check:
    """The verdict on one part: ``ok``, what was seen, and the fix when not ok."""

    name: str
    address: str
    ok: bool
    state: str
    fix: str | None = None

    def problem(self) -> str:
        """The one line that says what is wrong and how to fix it."""
        line = f"{self.name} ({self.address}) is {self.state}"
        return f"{line}; fix: {self.fix}" if self.fix else line


def server(name: str, address: str, error: str | None, up_state: str = "up") -> Check:
    """A server that answered (``error`` None) or did not."""
    if error is None:
        return Check(name, address, True, up_state)
    return Check(name, address, False, f"down ({error})", FIXES[name])


def zookeeper(name: str, address: str, mode: str | None, why: str | None) -> Check:
    """A ZooKeeper node: up while it serves as leader or follower (or standalone)."""
    if mode is not None:
        return Check(name, address, True, mode)
    return Check(name, address, False, f"down ({why})", ZOOKEEPER_FIX.format(name=name))


def unknown(name: str, address: str, because: str) -> Check:
    """A part that could not be judged because something it depends on is down."""
    return Check(name, address, False, f"unknown ({because})")


def fresh(name: str, address: str, age_s: float | None, max_age_s: float, what: str) -> Check:
    """A service judged by the age of the newest thing it wrote."""
    if age_s is None:
        return Check(name, address, False, f"down (no {what} yet)", FIXES[name])
    state = f"last {what} {age_s:.0f}s ago"
    if age_s > max_age_s:
        return Check(
            name, address, False, f"down ({state}, more than {max_age_s:.0f}s)", FIXES[name]
        )
    return Check(name, address, True, state)


def members(name: str, group: str, count: int) -> Check:
    """A service judged by the members of its consumer group."""
    if count:
        return Check(name, f"group {group}", True, f"{count} member(s) consuming")
    return Check(
        name, f"group {group}", False, "down (no member in its consumer group)", FIXES[name]
    )


@dataclass
class Report:
    """Everything `status` shows; figures are None where they could not be read."""

    checks: list[Check] = field(default_factory=list)
    lag: dict[int, int] | None = None
    documents: dict[str, int] | None = None
    newest_quote_age_s: float | None = None
    dead_letters_last_hour: int | None = None
    forecasts: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def problems(self) -> list[str]:
        """One line per part that is not ok."""
        return [check.problem() for check in self.checks if not check.ok]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        out["lag"] = None if self.lag is None else {str(p): n for p, n in self.lag.items()}
        return out


def age_s(now_ms: int, then_ms: int | None) -> float | None:
    """Seconds from ``then_ms`` to ``now_ms`` (epoch milliseconds), never negative."""
    return None if then_ms is None else max(0.0, (now_ms - then_ms) / 1000)


def newest(timestamps: Sequence[int | None]) -> int | None:
    """The latest of some timestamps, ignoring the missing ones."""
    present = [t for t in timestamps if t is not None]
    return max(present) if present else None
