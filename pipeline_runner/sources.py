"""I/O of the runner: the live-site probe, Kafka offsets, Elasticsearch counts.

The only module of the runner that imports kafka or elasticsearch. Reads
use core Elasticsearch aggregations only (terms, top_hits, max): the local
cluster runs without x-pack, so no top_metrics.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from cryptoviz import offsets
from indexer_service.documents import INDEXED_AT, INGEST_LATENCY_MS
from pipeline_runner.metrics import CoinRow, IngestLatency, Sample, top_coins
from pipeline_runner.settings import RunSettings

log = logging.getLogger(__name__)

KAFKA_TIMEOUT_MS = 5_000
# Per request; the runner builds its client with it (connect(..., request_timeout=...)).
ES_TIMEOUT_S = 10.0
# Coins considered for the top 10: any listing page has far fewer.
MAX_COINS = 10_000
# The top 10 is read from quotes this recent only, which bounds the query.
TOP_WINDOW = "now-1h"
INGEST_WINDOW = "now-1m"
TOP_N = 10
FORECAST_FIELDS = ["yhat", "lo80", "hi80", "issued_at", "step_seconds"]


class SourceUnavailable(Exception):
    """Raised by `PipelineSources.sample` when Kafka or Elasticsearch did not answer.

    The view skips that refresh; a DURATION run's summary fails the run.
    """


def probe_live(url: str, timeout_s: float) -> str | None:
    """GET ``url`` once within ``timeout_s``. Returns None when the site answered
    (any HTTP status: a refusal is the scraper's to back off from), else why not."""
    request = urllib.request.Request(url, headers={"User-Agent": "cryptoviz-runner-probe"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s):
            return None
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError) as err:
        return str(getattr(err, "reason", err))


@dataclass(frozen=True)
class Counts:
    """What Elasticsearch and Kafka hold for a run, exact after a refresh."""

    indexed: int
    coins: int
    predictions: int
    dead_lettered: int


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


class PipelineSources:
    """Reads a run's figures. No network in ``__init__``; `close` releases the clients."""

    def __init__(
        self,
        settings: RunSettings,
        kafka: str,
        es: Elasticsearch,
        predictions_since: datetime | None = None,
    ) -> None:
        self.settings, self.kafka, self.es = settings, kafka, es
        self._consumer: KafkaConsumer | None = None
        self.quotes_pattern = f"{settings.index_prefix}-*"
        # Predictions issued before it belong to an earlier run sharing the index.
        self.predictions_query: dict[str, Any] = (
            {"match_all": {}}
            if predictions_since is None
            else {"range": {"issued_at": {"gte": predictions_since.isoformat()}}}
        )

    def _kafka(self) -> KafkaConsumer:
        if self._consumer is None:
            # group_id only to read the indexer's committed offsets: this consumer
            # never subscribes, so it never joins (or disturbs) the indexer's group.
            self._consumer = KafkaConsumer(
                bootstrap_servers=self.kafka,
                group_id=self.settings.consumer_group,
                enable_auto_commit=False,
                # Reading offsets must not create the run's topics with broker defaults.
                allow_auto_create_topics=False,
                request_timeout_ms=KAFKA_TIMEOUT_MS + 1_000,
                client_id=f"cryptoviz-runner-{self.settings.id}",
            )
        return self._consumer

    def end_offsets(self, topic: str) -> dict[int, int]:
        """Per partition, the offset the next message will get; {} for a missing topic."""
        consumer = self._kafka()
        ids = sorted(consumer.partitions_for_topic(topic))
        partitions = [TopicPartition(topic, p) for p in ids]
        if not partitions:
            return {}
        ends = consumer.end_offsets(partitions, timeout_ms=KAFKA_TIMEOUT_MS)
        return {tp.partition: int(offset) for tp, offset in ends.items()}

    def lag(self, ends: dict[int, int]) -> int:
        """The indexer group's lag on the quotes topic, given that topic's end offsets."""
        consumer = self._kafka()
        committed = {
            p: consumer.committed(
                TopicPartition(self.settings.topic, p), timeout_ms=KAFKA_TIMEOUT_MS
            )
            for p in ends
        }
        return sum(offsets.lag(ends, committed).values())

    def counts(self) -> Counts:
        """Indexed quotes, distinct coins, predictions (issued since the run started) and
        dead letters of the run.

        Raises SourceUnavailable. Call `refresh` first for exact counts.
        """
        try:
            dead = sum(self.end_offsets(self.settings.dlq_topic).values())
            resp = self.es.search(
                index=self.quotes_pattern,
                size=0,
                track_total_hits=True,
                # terms rather than cardinality: exact, and a listing has few coins.
                aggs={"coins": {"terms": {"field": "slug", "size": MAX_COINS}}},
                ignore_unavailable=True,
                allow_no_indices=True,
            )
            predictions = self.es.count(
                index=self.settings.predictions_index,
                query=self.predictions_query,
                ignore_unavailable=True,
                allow_no_indices=True,
            )["count"]
        except (KafkaError, ApiError, TransportError) as err:
            raise SourceUnavailable(f"{type(err).__name__}: {err}") from err
        buckets = resp.get("aggregations", {}).get("coins", {}).get("buckets", [])
        return Counts(
            indexed=int(resp["hits"]["total"]["value"]),
            coins=len(buckets),
            predictions=int(predictions),
            dead_lettered=dead,
        )

    def refresh(self) -> None:
        """Make every write so far visible to counts. Raises SourceUnavailable."""
        try:
            self.es.indices.refresh(
                index=f"{self.quotes_pattern},{self.settings.predictions_index}",
                ignore_unavailable=True,
                allow_no_indices=True,
            )
        except (ApiError, TransportError) as err:
            raise SourceUnavailable(f"{type(err).__name__}: {err}") from err

    def sample(self) -> Sample:
        """One reading of every figure the view shows. Raises SourceUnavailable."""
        try:
            ends = self.end_offsets(self.settings.topic)
            lag = self.lag(ends)
            latest, last_scraped, ingest = self._latest_quotes()
            top = top_coins(latest, TOP_N)
            forecasts = self._latest_forecasts([c.slug for c in top])
        except (KafkaError, ApiError, TransportError) as err:
            raise SourceUnavailable(f"{type(err).__name__}: {err}") from err
        counts = self.counts()
        rows = tuple(replace(c, **forecasts[c.slug]) if c.slug in forecasts else c for c in top)
        return Sample(
            taken_at=time.monotonic(),
            scraped=sum(ends.values()),
            dead_lettered=counts.dead_lettered,
            lag=lag,
            indexed=counts.indexed,
            coins=counts.coins,
            predictions=counts.predictions,
            last_scraped_at=last_scraped,
            top=rows,
            ingest=ingest,
        )

    def _latest_quotes(self) -> tuple[list[CoinRow], datetime | None, IngestLatency | None]:
        """The latest quote of each coin, the newest scraped_at, and the recent ingest latency."""
        resp = self.es.search(
            index=self.quotes_pattern,
            size=0,
            query={"range": {"scraped_at": {"gte": TOP_WINDOW}}},
            aggs={
                "newest": {"max": {"field": "scraped_at"}},
                "ingest": {
                    "filter": {"range": {INDEXED_AT: {"gte": INGEST_WINDOW}}},
                    "aggs": {
                        "average": {"avg": {"field": INGEST_LATENCY_MS}},
                        "max": {"max": {"field": INGEST_LATENCY_MS}},
                    },
                },
                "coins": {
                    "terms": {"field": "slug", "size": MAX_COINS},
                    "aggs": {
                        "latest": {
                            "top_hits": {
                                "size": 1,
                                "sort": [{"scraped_at": "desc"}],
                                "_source": [
                                    "slug",
                                    "symbol",
                                    "price",
                                    "market_cap",
                                    "change_24h_pct",
                                    "scraped_at",
                                ],
                            }
                        }
                    },
                },
            },
            ignore_unavailable=True,
            allow_no_indices=True,
        )
        aggs = resp.get("aggregations", {})
        rows = []
        for bucket in aggs.get("coins", {}).get("buckets", []):
            src = bucket["latest"]["hits"]["hits"][0]["_source"]
            rows.append(
                CoinRow(
                    slug=src["slug"],
                    symbol=src["symbol"],
                    market_cap=src.get("market_cap"),
                    price=src["price"],
                    change_24h_pct=src.get("change_24h_pct"),
                    quoted_at=_parse_time(src.get("scraped_at")),
                )
            )
        ingest = aggs.get("ingest", {})
        latency = None
        if ingest.get("doc_count"):
            latency = IngestLatency(
                average_s=ingest["average"]["value"] / 1000, max_s=ingest["max"]["value"] / 1000
            )
        return rows, _parse_time(aggs.get("newest", {}).get("value_as_string")), latency

    def _latest_forecasts(self, slugs: list[str]) -> dict[str, dict[str, Any]]:
        """Per slug, the furthest step of the selected model's latest forecast, with its issue
        time and grid step (the view judges whether it is still current)."""
        if not slugs:
            return {}
        resp = self.es.search(
            index=self.settings.predictions_index,
            size=0,
            query={"bool": {"filter": [{"terms": {"slug": slugs}}, {"term": {"selected": True}}]}},
            aggs={
                "coins": {
                    "terms": {"field": "slug", "size": len(slugs)},
                    "aggs": {
                        "latest": {
                            "top_hits": {
                                "size": 1,
                                "sort": [{"issued_at": "desc"}, {"horizon_step": "desc"}],
                                "_source": FORECAST_FIELDS,
                            }
                        }
                    },
                }
            },
            ignore_unavailable=True,
            allow_no_indices=True,
        )
        out = {}
        for bucket in resp.get("aggregations", {}).get("coins", {}).get("buckets", []):
            src = bucket["latest"]["hits"]["hits"][0]["_source"]
            out[bucket["key"]] = {
                "yhat": src.get("yhat"),
                "lo80": src.get("lo80"),
                "hi80": src.get("hi80"),
                "issued_at": _parse_time(src.get("issued_at")),
                "step_s": float(src.get("step_seconds") or 0),
            }
        return out

    def close(self) -> None:
        """Close the Kafka client. Idempotent."""
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
            self._consumer = None
