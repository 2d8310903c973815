"""The ``cryptoviz`` command: click wiring, one function per subcommand.

Each subcommand reads its input, calls the I/O wrappers (`kafka_io`,
`elastic_io`) and the pure logic, and prints a rich table, or JSON with
``--json``. Every failure is one line on stderr (``cryptoviz: ...``) and a
non-zero exit: 1 for bad input or a server that is down, 2 for bad usage.
New subcommands attach to `cli` (``@cli.command()``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

import click
from kafka.admin import OffsetSpec, OffsetTimestamp
from rich.console import Console

from cryptoviz import dead_letters, messages, offsets, render
from cryptoviz.elastic_io import Elastic
from cryptoviz.exceptions import CliError
from cryptoviz.kafka_io import Kafka
from cryptoviz.settings import Settings
from cryptoviz.status import gather
from indexer_service.settings import IndexerSettings

JSON_HELP = "Print JSON instead of a table, for scripts."


@dataclass
class App:
    """What every subcommand shares: settings read once, clients made on first use."""

    settings: Settings
    out: Console = field(default_factory=lambda: Console(highlight=False))
    _kafka: Kafka | None = None
    _elastic: Elastic | None = None

    @property
    def indexer(self) -> IndexerSettings:
        """The indexer's topics, group and index prefix: what the command works on."""
        return self.settings.indexer

    @property
    def kafka(self) -> Kafka:
        if self._kafka is None:
            self._kafka = Kafka(self.settings.cli, self.settings.cli.timeout_s)
        return self._kafka

    @property
    def elastic(self) -> Elastic:
        if self._elastic is None:
            self._elastic = Elastic(self.settings.cli, self.settings.cli.timeout_s)
        return self._elastic

    def close(self) -> None:
        for client in (self._kafka, self._elastic):
            if client is not None:
                client.close()

    def json(self, value: Any) -> None:
        """One JSON document on stdout."""
        click.echo(json.dumps(value, default=str))


pass_app = click.make_pass_decorator(App)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Operate a CryptoViz pipeline: topics, messages, dead letters, re-indexing, status.

    Reads the same settings as the services (KAFKA_*, ELASTICSEARCH_*, INDEXER_*,
    from the environment, then .env). Start with `cryptoviz status`.
    """
    app = App(Settings.load())
    ctx.obj = app
    ctx.call_on_close(app.close)


# -- topics --------------------------------------------------------------------


@cli.group()
def topics() -> None:
    """List, describe, create and delete Kafka topics."""


@topics.command("list")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_app
def topics_list(app: App, as_json: bool) -> None:
    """Each topic with its partitions, messages retained, end offset and retention."""
    rows = []
    for name in app.kafka.topics():
        partitions = app.kafka.partitions(name)
        earliest, latest = app.kafka.bounds(name, partitions)
        retention = app.kafka.configs(name).get("retention.ms", {}).get("value")
        rows.append(
            {
                "topic": name,
                "partitions": len(partitions),
                "messages": sum(latest[p] - earliest[p] for p in partitions),
                "end_offsets": sum(latest.values()),
                "retention_ms": None if retention is None else int(retention),
            }
        )
    if as_json:
        app.json(rows)
    else:
        app.out.print(render.rows_table(rows, title=f"Topics on {app.kafka.address}"))


@topics.command("describe")
@click.argument("topic")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_app
def topics_describe(app: App, topic: str, as_json: bool) -> None:
    """A topic's partitions (leader, replicas, offsets) and its configs."""
    described = app.kafka.describe(topic)
    partitions = sorted(p["partition_index"] for p in described["partitions"])
    earliest, latest = app.kafka.bounds(topic, partitions)
    by_id = {p["partition_index"]: p for p in described["partitions"]}
    rows = [
        {
            "partition": p,
            "leader": by_id[p]["leader_id"],
            "replicas": by_id[p]["replica_nodes"],
            "in_sync": by_id[p]["isr_nodes"],
            "earliest_offset": earliest[p],
            "end_offset": latest[p],
        }
        for p in partitions
    ]
    configs = render.topic_configs(app.kafka.configs(topic))
    if as_json:
        app.json({"topic": topic, "partitions": rows, "configs": configs})
        return
    click.echo(f"{topic}: {len(partitions)} partitions")
    app.out.print(render.rows_table(rows))
    app.out.print(
        render.rows_table(
            [{"config": k, "value": v} for k, v in configs.items()],
            title="configs (non-default and retention)",
        )
    )


def _config_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    configs = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CliError(f"--config {pair!r}: expected NAME=VALUE, e.g. retention.ms=604800000")
        configs[name.strip()] = value.strip()
    return configs


@topics.command("create")
@click.argument("topic")
@click.option("--partitions", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--replication-factor", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--config",
    "config_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A topic config, e.g. retention.ms=604800000; repeatable.",
)
@pass_app
def topics_create(
    app: App, topic: str, partitions: int, replication_factor: int, config_pairs: tuple[str, ...]
) -> None:
    """Create a topic; says its partition count and configs once created."""
    configs = _config_pairs(config_pairs)
    app.kafka.create(topic, partitions, replication_factor, configs)
    shown = render.topic_configs(app.kafka.configs(topic))
    settings = ", ".join(f"{k}={v}" for k, v in shown.items())
    click.echo(
        f"created topic {topic}: {partitions} partitions, replication factor "
        f"{replication_factor}, {settings}"
    )


@topics.command("delete")
@click.argument("topic")
@click.option("--yes", is_flag=True, help="Confirm: the topic's messages are deleted with it.")
@pass_app
def topics_delete(app: App, topic: str, yes: bool) -> None:
    """Delete a topic and every message in it (asks for --yes)."""
    partitions = app.kafka.partitions(topic)
    if not yes:
        earliest, latest = app.kafka.bounds(topic, partitions)
        held = sum(latest[p] - earliest[p] for p in partitions)
        raise CliError(
            f"deleting topic {topic!r} deletes its {held} messages: add --yes to confirm"
        )
    app.kafka.delete(topic)
    click.echo(f"deleted topic {topic}")


# -- messages ------------------------------------------------------------------


@cli.command()
@click.argument("topic")
@click.option("--key", help="Key of every message (default: a quote's slug, else none).")
@click.option(
    "--file",
    "source",
    type=click.File("r", encoding="utf-8"),
    default="-",
    help="JSON lines to send; - (default) reads standard input.",
)
@click.option("--raw", is_flag=True, help="Send lines to the quotes topic without schema checks.")
@pass_app
def produce(app: App, topic: str, key: str | None, source: TextIO, raw: bool) -> None:
    """Send JSON lines to TOPIC, one message per line.

    Every line is checked before any is sent; on the quotes topic each must be a
    valid schema-v1 quote (unless --raw). A bad line is named by its number.
    """
    app.kafka.describe(topic)  # an unknown topic is named before reading any input
    outgoing = messages.prepare(source, quotes=topic == app.indexer.topic and not raw, key=key)
    sent = app.kafka.produce(topic, outgoing)
    click.echo(f"produced {sent} messages to {topic}")


def _starts(
    app: App, topic: str, partitions: list[int], offset: int | None, since: str | None
) -> tuple[dict[int, int], dict[int, int]]:
    earliest, latest = app.kafka.bounds(topic, partitions)
    at_time = None
    if since is not None:
        moment = messages.parse_since(since, datetime.now(UTC))
        at_time = app.kafka.at_time(topic, partitions, messages.to_millis(moment))
    return offsets.start_offsets(earliest, latest, offset=offset, at_time=at_time), latest


@cli.command()
@click.argument("topic")
@click.option(
    "--from-beginning", is_flag=True, help="Start at the oldest retained message (default)."
)
@click.option(
    "--offset", type=click.IntRange(min=0), help="Start at this offset in each partition read."
)
@click.option("--since", metavar="TIME", help="Start at this time: 10m, 2h, 7d ago or ISO-8601.")
@click.option(
    "--partition",
    "only",
    type=click.IntRange(min=0),
    multiple=True,
    help="Read only this partition; repeatable.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many messages.")
@click.option("--follow", is_flag=True, help="Keep waiting for new messages (Ctrl-C stops).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message, per line.")
@pass_app
def consume(
    app: App,
    topic: str,
    from_beginning: bool,
    offset: int | None,
    since: str | None,
    only: tuple[int, ...],
    limit: int | None,
    follow: bool,
    as_json: bool,
) -> None:
    """Print TOPIC's messages: key, partition, offset, timestamp, headers and value.

    Reads without a consumer group, so no group's committed offsets ever change.
    Without --follow it stops at the end offsets it found when it started.
    """
    if sum((from_beginning, offset is not None, since is not None)) > 1:
        raise CliError("use one of --from-beginning, --offset and --since")
    partitions = app.kafka.partitions(topic)
    unknown = sorted(set(only) - set(partitions))
    if unknown:
        raise CliError(
            f"topic {topic!r} has no partition {unknown[0]} "
            f"(it has {partitions[0]}-{partitions[-1]})"
        )
    chosen = sorted(only) if only else partitions
    starts, latest = _starts(app, topic, chosen, offset, since)
    shown = 0
    for record in app.kafka.read(topic, starts, None if follow else latest):
        if as_json:
            app.json(messages.view(record))
        else:
            render.record(app.out, messages.view(record))
        shown += 1
        if limit is not None and shown >= limit:
            break
    if not as_json:
        click.echo(f"{shown} messages", err=True)


# -- dead letters --------------------------------------------------------------


@cli.group()
def dlq() -> None:
    """Inspect and replay the indexer's dead letters (INDEXER_DLQ_TOPIC)."""


def _dead_letters(app: App) -> Iterator[dead_letters.DeadLetter]:
    topic = app.indexer.dlq_topic
    partitions = app.kafka.partitions(topic)
    earliest, latest = app.kafka.bounds(topic, partitions)
    for record in app.kafka.read(topic, earliest, latest):
        yield dead_letters.DeadLetter.of(record)


@dlq.command("list")
@click.option("--reason", help="Only this reason, e.g. schema-invalid or elasticsearch-rejected.")
@click.option(
    "--samples",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Samples shown per reason.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_app
def dlq_list(app: App, reason: str | None, samples: int, as_json: bool) -> None:
    """Dead letters grouped by reason, with counts and samples."""
    letters = (d for d in _dead_letters(app) if reason is None or d.reason == reason)
    groups = dead_letters.by_reason(letters, samples)
    if as_json:
        app.json([g.to_dict() for g in groups])
        return
    if not groups:
        click.echo(
            f"no dead letters in {app.indexer.dlq_topic}"
            + (f" with reason {reason}" if reason else "")
        )
        return
    app.out.print(render.dead_letter_groups(groups, app.indexer.dlq_topic))


@dlq.command("replay")
@click.option("--reason", help="Replay only the dead letters of this reason.")
@click.option("--dry-run", is_flag=True, help="Say what would be sent, send nothing.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_app
def dlq_replay(app: App, reason: str | None, dry_run: bool, as_json: bool) -> None:
    """Send dead letters back to their source topic, once the cause is fixed.

    Each distinct message goes back once, with its key and value unchanged, so
    the indexer writes it under its usual id: replaying twice indexes a quote once.
    """
    letters = list(_dead_letters(app))
    plan = dead_letters.plan_replay(letters, app.indexer.dlq_topic, app.indexer.topic, reason)
    if not plan:
        which = f" with reason {reason!r}" if reason else ""
        raise CliError(f"nothing to replay: {app.indexer.dlq_topic} holds no dead letters{which}")
    targets = sorted({m.topic or app.indexer.topic for m in plan})
    for target in targets:
        app.kafka.describe(target)  # a source topic deleted since is named before sending
    sent = 0 if dry_run else app.kafka.produce(app.indexer.topic, plan)
    summary = {
        "dead_letters": len(letters)
        if reason is None
        else sum(d.reason == reason for d in letters),
        "distinct": len(plan),
        "replayed": sent,
        "to": targets,
        "dry_run": dry_run,
    }
    if as_json:
        app.json(summary)
    elif dry_run:
        click.echo(
            f"would replay {len(plan)} messages to {', '.join(targets)} (dry run: nothing sent)"
        )
    else:
        click.echo(f"replayed {sent} messages to {', '.join(targets)}")


# -- reindex -------------------------------------------------------------------


@cli.command()
@click.option("--from-beginning", is_flag=True, help="Re-read everything Kafka retains.")
@click.option(
    "--since", metavar="TIME", help="Re-read from this time: 10m, 2h, 7d ago or ISO-8601."
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_app
def reindex(app: App, from_beginning: bool, since: str | None, as_json: bool) -> None:
    """Rewind the indexer's consumer group so Elasticsearch is rebuilt from Kafka.

    Only while no indexer is running (Kafka refuses to move a live group's
    offsets): stop it, reindex, start it. Deterministic ids make re-reading
    quotes that are still indexed harmless.
    """
    if from_beginning == (since is not None):
        raise CliError("use exactly one of --from-beginning and --since TIME")
    group, topic = app.indexer.consumer_group, app.indexer.topic
    members = app.kafka.members(group)
    if members:
        raise CliError(
            f"the indexer is running: consumer group {group!r} has {len(members)} active "
            f"member(s) ({', '.join(sorted(set(members)))}); stop it first "
            "(`docker compose stop indexer`), then run reindex again"
        )
    partitions = app.kafka.partitions(topic)
    before = app.kafka.committed(group, topic)
    spec: int = OffsetSpec.EARLIEST
    if since is not None:
        spec = OffsetTimestamp(messages.to_millis(messages.parse_since(since, datetime.now(UTC))))
    after = app.kafka.rewind(group, topic, partitions, spec)
    _, latest = app.kafka.bounds(topic, partitions)
    rows = [
        {
            "partition": p,
            "committed_before": before.get(p),
            "committed_now": after[p],
            "to_reread": latest[p] - after[p],
        }
        for p in partitions
    ]
    if as_json:
        app.json({"group": group, "topic": topic, "partitions": rows})
        return
    app.out.print(render.rows_table(rows, title=f"group {group} on {topic}"))
    total = sum(latest[p] - after[p] for p in partitions)
    click.echo(
        f"rewound: the indexer will re-read {total} messages when it starts "
        "(`docker compose start indexer`)"
    )


# -- status --------------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_app
def status(app: App, as_json: bool) -> int:
    """Is every part up? Kafka, both ZooKeeper nodes, Elasticsearch, each service,
    lag, documents, freshness, dead letters and forecasts, in one screen.

    Exits 1 when something is down, with the fix in one line per problem.
    """
    report = gather(app.settings, app.kafka, app.elastic)
    if as_json:
        app.json(report.to_dict())
    else:
        render.status(app.out, report)
    for problem in report.problems():
        click.echo(f"cryptoviz: {problem}", err=True)
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status (the entry point's)."""
    try:
        result = cli.main(args=argv, prog_name="cryptoviz", standalone_mode=False)
    except CliError as err:
        click.echo(f"cryptoviz: {err}", err=True)
        return err.exit_code
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except click.exceptions.Abort:
        return 130
    except KeyboardInterrupt:
        return 130
    return result if isinstance(result, int) else 0
