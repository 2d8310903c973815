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
from cryptoviz.errors import CliError
from cryptoviz.kafka_io import Kafka
from cryptoviz.messages import to_millis
from cryptoviz.settings import CliSettings
from indexer_service.settings import IndexerSettings

T = TypeVar("T")


def _read(report: health.Report, what: str, read: Callable[[], T]) -> T | None:
    """``read()``, or None with a note saying why it could not be read."""
    try:
        return read()
    except CliError as err:
        report.notes.append(f"{what}: {err}")
        return None


def gather(
    cli: CliSettings, indexer: IndexerSettings, kafka: Kafka, elastic: Elastic
) -> health.Report:
    """Every check and figure of `status`, read now."""
    report = health.Report()
    now = datetime.now(UTC)
    now_ms = to_millis(now)

    kafka_error = None
    try:
        kafka.admin().describe_cluster()
    except CliError as err:
        kafka_error = str(err)
    report.checks.append(health.server("kafka", kafka.address, kafka_error))
    kafka_up = kafka_error is None

    connect = cli.zookeeper_connect
    if connect is None and kafka_up:
        connect = _read(report, "ZooKeeper addresses from the broker", kafka.zookeeper_connect)
    if connect is None:
        report.checks.append(
            health.unknown("zookeeper", "?", "Kafka is down: set CLI_ZOOKEEPER_CONNECT")
        )
    else:
        for n, address in enumerate(connect.split(","), 1):
            address = address.strip().split("/")[0]
            mode, why = zookeeper.probe(address, cli.timeout_s)
            report.checks.append(health.zookeeper(f"zookeeper{n}", address, mode, why))

    es_error = None
    try:
        colour = elastic.health()
        if colour == "red":
            es_error = "cluster health red: a primary shard is unassigned"
    except CliError as err:
        es_error = str(err)
    report.checks.append(
        health.server(
            "elasticsearch", elastic.address, es_error, f"up ({colour})" if not es_error else "up"
        )
    )
    es_up = es_error is None

    if kafka_up:
        partitions = _read(
            report, f"topic {indexer.topic}", lambda: kafka.partitions(indexer.topic)
        )
        newest_ms = None
        if partitions:
            stamps = _read(
                report, "newest message", lambda: kafka.newest_timestamp(indexer.topic, partitions)
            )
            newest_ms = health.newest(stamps or [])
            _, latest = kafka.bounds(indexer.topic, partitions)
            committed = _read(
                report,
                f"offsets of group {indexer.consumer_group}",
                lambda: kafka.committed(indexer.consumer_group, indexer.topic),
            )
            if committed is not None:
                report.lag = offsets.lag(latest, committed)
        report.checks.append(
            health.fresh(
                "scraper",
                f"topic {indexer.topic}",
                health.age_s(now_ms, newest_ms),
                cli.scraper_max_age_s,
                "quote published",
            )
        )
        members = _read(
            report, f"group {indexer.consumer_group}", lambda: kafka.members(indexer.consumer_group)
        )
        if members is None:
            report.checks.append(
                health.unknown("indexer", f"group {indexer.consumer_group}", "group unreadable")
            )
        else:
            report.checks.append(health.members("indexer", indexer.consumer_group, len(members)))
        report.dead_letters_last_hour = _read(
            report,
            f"topic {indexer.dlq_topic}",
            lambda: _dead_letters_since(
                kafka, indexer.dlq_topic, to_millis(now - timedelta(hours=1))
            ),
        )
    else:
        for name, where in (("scraper", f"topic {indexer.topic}"), ("indexer", "group")):
            report.checks.append(health.unknown(name, where, "Kafka is down"))

    if es_up:
        quotes = f"{indexer.index_prefix}-*"
        report.documents = _read(
            report,
            "documents per index",
            lambda: elastic.documents(
                [quotes, f"{cli.predictions_index}*", f"{cli.metrics_index}*"]
            ),
        )
        newest_quote = _read(report, "newest quote", lambda: elastic.newest(quotes, "scraped_at"))
        if newest_quote is not None:
            report.newest_quote_age_s = round((now - newest_quote).total_seconds(), 1)
        report.forecasts = _read(report, "forecasts", lambda: elastic.count(cli.predictions_index))
        issued = _read(
            report, "newest forecast", lambda: elastic.newest(cli.predictions_index, "issued_at")
        )
        issued_ms = None if issued is None else to_millis(issued)
        report.checks.append(
            health.fresh(
                "ia",
                f"index {cli.predictions_index}",
                health.age_s(now_ms, issued_ms),
                cli.ia_max_age_s,
                "forecast issued",
            )
        )
    else:
        report.checks.append(
            health.unknown("ia", f"index {cli.predictions_index}", "Elasticsearch is down")
        )
    return report


def _dead_letters_since(kafka: Kafka, topic: str, millis: int) -> int:
    partitions = kafka.partitions(topic)
    _, latest = kafka.bounds(topic, partitions)
    return offsets.counted_since(latest, kafka.at_time(topic, partitions, millis))
