"""`status`: read every part of the pipeline once, and let `health` judge.

A part that cannot be read is reported, never raised: the point of `status`
is to show everything that is wrong at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from cryptoviz import health, offsets, zookeeper
from cryptoviz.elastic_io import Elastic
from cryptoviz.exceptions import CliError
from cryptoviz.kafka_io import Kafka
from cryptoviz.messages import to_millis
from cryptoviz.settings import CliSettings, ForecastIndices, Settings
from cryptoviz_core.names import quotes_index_pattern
from indexer_service.settings import IndexerSettings

T = TypeVar("T")


def _read(report: health.Report, what: str, read: Callable[[], T]) -> T | None:
    """``read()``, or None with a note saying why it could not be read."""
    try:
        return read()
    except CliError as err:
        report.notes.append(f"{what}: {err}")
        return None


def gather(settings: Settings, kafka: Kafka, elastic: Elastic) -> health.Report:
    """Every check and figure of `status`, read now."""
    cli, indexer, forecasts = settings.cli, settings.indexer, settings.forecasts
    report = health.Report()
    now = datetime.now(UTC)
    kafka_up = _kafka(report, kafka)
    _zookeeper(report, cli, kafka if kafka_up else None)
    es_up = _elasticsearch(report, elastic)
    if kafka_up:
        _kafka_services(report, cli, indexer, kafka, now)
    else:
        report.checks.append(health.unknown("scraper", f"topic {indexer.topic}", "Kafka is down"))
        group = f"group {indexer.consumer_group}"
        report.checks.append(health.unknown("indexer", group, "Kafka is down"))
    if es_up:
        _elastic_figures(report, cli, indexer, forecasts, elastic, now)
    else:
        where = f"index {forecasts.predictions_index}"
        report.checks.append(health.unknown("ia", where, "Elasticsearch is down"))
    return report


def _kafka(report: health.Report, kafka: Kafka) -> bool:
    error = None
    try:
        kafka.admin().describe_cluster()
    except CliError as err:
        error = str(err)
    report.checks.append(health.server("kafka", kafka.address, error))
    return error is None


def _zookeeper(report: health.Report, cli: CliSettings, kafka: Kafka | None) -> None:
    """Each node named in CLI_ZOOKEEPER_CONNECT, else in the broker's own configuration."""
    connect: str | None = cli.zookeeper_connect
    if connect is None and kafka is not None:
        connect = _read(report, "ZooKeeper addresses from the broker", kafka.zookeeper_connect)
    if connect is None:
        unknown = "the broker did not say where it is: set CLI_ZOOKEEPER_CONNECT"
        report.checks.append(health.unknown("zookeeper", "?", unknown))
        return
    for n, address in enumerate(connect.split(","), 1):
        address = address.strip().split("/")[0]  # a chroot follows the last address
        mode, why = zookeeper.probe(address, cli.timeout_s)
        report.checks.append(health.zookeeper(f"zookeeper{n}", address, mode, why))


def _elasticsearch(report: health.Report, elastic: Elastic) -> bool:
    error, state = None, "up"
    try:
        colour = elastic.health()
        state = f"up ({colour})"
        if colour == "red":
            error = "cluster health red: a primary shard is unassigned"
    except CliError as err:
        error = str(err)
    report.checks.append(health.server("elasticsearch", elastic.address, error, state))
    return error is None


def _kafka_services(
    report: health.Report, cli: CliSettings, indexer: IndexerSettings, kafka: Kafka, now: datetime
) -> None:
    """The scraper (newest message), the indexer (group members), lag and dead letters."""
    topic, group = indexer.topic, indexer.consumer_group
    partitions = _read(report, f"topic {topic}", lambda: kafka.partitions(topic)) or []
    stamps = _read(report, "newest message", lambda: kafka.newest_timestamp(topic, partitions))
    newest_ms = health.newest(stamps or [])
    age = health.age_s(to_millis(now), newest_ms)
    report.checks.append(
        health.fresh("scraper", f"topic {topic}", age, cli.scraper_max_age_s, "quote published")
    )
    members = _read(report, f"group {group}", lambda: kafka.members(group))
    if members is None:
        report.checks.append(health.unknown("indexer", f"group {group}", "group unreadable"))
    else:
        report.checks.append(health.members("indexer", group, len(members)))
    if partitions:
        report.lag = _read(
            report,
            f"lag of group {group}",
            lambda: offsets.lag(kafka.bounds(topic, partitions)[1], kafka.committed(group, topic)),
        )
    since = to_millis(now - timedelta(hours=1))
    report.dead_letters_last_hour = _read(
        report,
        f"topic {indexer.dlq_topic}",
        lambda: _counted_since(kafka, indexer.dlq_topic, since),
    )


def _counted_since(kafka: Kafka, topic: str, millis: int) -> int:
    partitions = kafka.partitions(topic)
    _, latest = kafka.bounds(topic, partitions)
    return offsets.counted_since(latest, kafka.at_time(topic, partitions, millis))


def _elastic_figures(
    report: health.Report,
    cli: CliSettings,
    indexer: IndexerSettings,
    ia: ForecastIndices,
    elastic: Elastic,
    now: datetime,
) -> None:
    """Documents per index, the newest quote, and the IA (its newest forecast)."""
    quotes, forecasts = quotes_index_pattern(indexer.index_prefix), ia.predictions_index
    patterns = [quotes, f"{forecasts}*", f"{ia.metrics_index}*"]
    report.documents = _read(report, "documents per index", lambda: elastic.documents(patterns))
    newest_quote = _read(report, "newest quote", lambda: elastic.newest(quotes, "scraped_at"))
    if newest_quote is not None:
        report.newest_quote_age_s = round((now - newest_quote).total_seconds(), 1)
    report.forecasts = _read(report, "forecasts", lambda: elastic.count(forecasts))
    issued = _read(report, "newest forecast", lambda: elastic.newest(forecasts, "issued_at"))
    age = None if issued is None else max(0.0, (now - issued).total_seconds())
    report.checks.append(
        health.fresh("ia", f"index {forecasts}", age, cli.ia_max_age_s, "forecast issued")
    )
