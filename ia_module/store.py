"""Elasticsearch outputs: predictions and forecast metrics. The only writer of both indices.

Lifecycle: `start()` installs the index templates and creates the indices
(idempotent), then `write_predictions`, `matured_unscored`, `mark_scored`,
`metric_sums`, `write_metrics` and `purge` each make a bounded number of
requests. Every write uses a deterministic ``_id``, so replaying a cycle
overwrites instead of duplicating. Nothing is ever deleted wholesale: `purge`
removes only documents older than the retention, by id (search, then bulk
delete), because ``_delete_by_query`` lives in a module that minimal clusters
such as the test stack do not have.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import pandas as pd
from elasticsearch import BadRequestError, Elasticsearch
from elasticsearch.helpers import streaming_bulk

from cryptoviz_core.retry import Backoff, RetryLater, is_retryable_status, retry
from cryptoviz_core.schema import format_timestamp
from ia_module.exceptions import StoreUnavailable
from ia_module.scoring import Metrics, Scored, metrics_from_sums

log = logging.getLogger(__name__)

SEARCH_PAGE = 10_000
BULK_CHUNK = 2_000
PURGE_PAGES = 10  # bounds one purge to 100,000 deletions per index

_PRICE = {"type": "double"}
PREDICTION_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "prediction_id": {"type": "keyword"},
        "slug": {"type": "keyword"},
        "symbol": {"type": "keyword"},
        "model": {"type": "keyword"},
        "selected": {"type": "boolean"},
        "backtest_mase": _PRICE,
        "issued_at": {"type": "date"},
        "target_time": {"type": "date"},
        "horizon_step": {"type": "integer"},
        "step_seconds": {"type": "integer"},
        "train_points": {"type": "integer"},
        "last_price": _PRICE,
        "history_from": {"type": "date"},
        "interval_points": {"type": "integer"},
        "interval_from": {"type": "date"},
        "interval_pooled": {"type": "boolean"},
        "yhat": _PRICE,
        "lo80": _PRICE,
        "hi80": _PRICE,
        "lo95": _PRICE,
        "hi95": _PRICE,
        # Written when the prediction is scored.
        "actual": _PRICE,
        "abs_error": _PRICE,
        "ape": _PRICE,
        "naive_abs_error": _PRICE,
        "in80": {"type": "byte"},
        "in95": {"type": "byte"},
        "scored_at": {"type": "date"},
    },
}
METRICS_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "slug": {"type": "keyword"},
        "model": {"type": "keyword"},
        "horizon_step": {"type": "integer"},
        "window_end": {"type": "date"},
        "window_hours": {"type": "float"},
        "n": {"type": "integer"},
        "mae": _PRICE,
        "mape": _PRICE,
        "mase": _PRICE,
        "coverage80": _PRICE,
        "coverage95": _PRICE,
    },
}


def prediction_id(slug: str, model: str, issued_at: pd.Timestamp, target_time: pd.Timestamp) -> str:
    """Deterministic ``_id`` of a prediction: ``slug|model|issued_at|target_time``."""
    return f"{slug}|{model}|{format_timestamp(issued_at)}|{format_timestamp(target_time)}"


def _bulk_results(es: Elasticsearch, actions: list[dict[str, Any]]) -> list[tuple[bool, Any]]:
    """One bulk attempt: (ok, item) per action; the caller retries what failed."""
    return list(
        streaming_bulk(
            es,
            actions,
            chunk_size=BULK_CHUNK,
            max_retries=0,  # item retries are ours, bounded by the caller
            raise_on_error=False,
            raise_on_exception=False,
        )
    )


class ForecastStore:
    """Writes and reads ``predictions_index`` and ``metrics_index``; no request in __init__."""

    def __init__(
        self, es: Elasticsearch, predictions_index: str, metrics_index: str, backoff: Backoff
    ) -> None:
        self.es = es
        self.predictions_index = predictions_index
        self.metrics_index = metrics_index
        self.backoff = backoff

    def start(self) -> None:
        """Install both index templates and create both indices (or add new fields to
        existing ones). Idempotent."""
        for index, mapping in (
            (self.predictions_index, PREDICTION_MAPPING),
            (self.metrics_index, METRICS_MAPPING),
        ):
            retry(
                partial(
                    self.es.indices.put_index_template,
                    name=f"{index}-template",
                    index_patterns=[index],
                    priority=200,
                    template={"settings": {"number_of_replicas": 0}, "mappings": mapping},
                ),
                "put index template",
                self.backoff,
            )
            try:
                retry(
                    partial(self.es.indices.create, index=index),
                    "create index",
                    self.backoff,
                )
            except BadRequestError as err:
                body = err.body if isinstance(err.body, dict) else {}
                if body.get("error", {}).get("type") != "resource_already_exists_exception":
                    raise
                # An index from an older release lacks the fields added since; adding is allowed.
                retry(
                    partial(
                        self.es.indices.put_mapping, index=index, properties=mapping["properties"]
                    ),
                    "update mapping",
                    self.backoff,
                )

    def write_predictions(self, docs: Sequence[dict[str, Any]]) -> int:
        """Index prediction docs (each with ``prediction_id``); returns how many were written."""
        return self._bulk(
            {
                "_op_type": "index",
                "_index": self.predictions_index,
                "_id": d["prediction_id"],
                "_source": d,
            }
            for d in docs
        )

    def write_metrics(self, metrics: Iterable[Metrics]) -> int:
        """Index metrics documents under `Metrics.doc_id`; returns how many were written."""
        return self._bulk(
            {
                "_op_type": "index",
                "_index": self.metrics_index,
                "_id": m.doc_id,
                "_source": m.to_doc(),
            }
            for m in metrics
        )

    def mark_scored(self, scored: Iterable[Scored], scored_at: pd.Timestamp) -> int:
        """Add the scoring fields to each scored prediction (partial update); returns count."""
        stamp = format_timestamp(scored_at)
        return self._bulk(
            {
                "_op_type": "update",
                "_index": self.predictions_index,
                "_id": s.doc_id,
                "doc": {
                    **s.update_fields(),
                    "in80": int(s.in80),
                    "in95": int(s.in95),
                    "scored_at": stamp,
                },
            }
            for s in scored
        )

    def matured_unscored(
        self, since: pd.Timestamp, until: pd.Timestamp, max_docs: int
    ) -> list[dict[str, Any]]:
        """Unscored predictions with ``since <= target_time <= until``, each with its ``_id``.

        Pages with search_after on (target_time, prediction_id); reads at most
        ``max_docs`` (older ones first) so one cycle's work stays bounded.
        """
        query = {
            "bool": {
                "filter": [
                    {
                        "range": {
                            "target_time": {
                                "gte": format_timestamp(since),
                                "lte": format_timestamp(until),
                            }
                        }
                    }
                ],
                "must_not": [{"exists": {"field": "actual"}}],
            }
        }
        out: list[dict[str, Any]] = []
        after: list[Any] | None = None
        while len(out) < max_docs:
            kwargs: dict[str, Any] = {"search_after": after} if after else {}
            resp = retry(
                partial(
                    self.es.search,
                    index=self.predictions_index,
                    query=query,
                    sort=[{"target_time": "asc"}, {"prediction_id": "asc"}],
                    size=min(SEARCH_PAGE, max_docs - len(out)),
                    ignore_unavailable=True,
                    **kwargs,
                ),
                "read matured predictions",
                self.backoff,
            )
            hits = resp["hits"]["hits"]
            out.extend({**h["_source"], "_id": h["_id"]} for h in hits)
            if len(hits) < SEARCH_PAGE:
                break
            after = hits[-1]["sort"]
        return out

    def metric_sums(self, window_end: pd.Timestamp, window_hours: float) -> list[Metrics]:
        """Metrics per (slug, model, horizon_step) over scored predictions with target in
        ``(window_end - window_hours, window_end]``, aggregated by Elasticsearch."""
        start = window_end - pd.Timedelta(hours=window_hours)
        query = {
            "bool": {
                "filter": [
                    {"exists": {"field": "actual"}},
                    {
                        "range": {
                            "target_time": {
                                "gt": format_timestamp(start),
                                "lte": format_timestamp(window_end),
                            }
                        }
                    },
                ]
            }
        }
        composite: dict[str, Any] = {
            "size": SEARCH_PAGE,
            "sources": [
                {"slug": {"terms": {"field": "slug"}}},
                {"model": {"terms": {"field": "model"}}},
                {"step": {"terms": {"field": "horizon_step"}}},
            ],
        }
        sums = {
            f: {"sum": {"field": f}}
            for f in ("abs_error", "ape", "naive_abs_error", "in80", "in95")
        }
        aggs = {
            "groups": {
                "composite": composite,
                "aggs": {**sums, "naive_n": {"value_count": {"field": "naive_abs_error"}}},
            }
        }
        out: list[Metrics] = []
        while True:
            resp = retry(
                lambda: self.es.search(
                    index=self.predictions_index, query=query, aggs=aggs, size=0
                ),
                "aggregate metrics",
                self.backoff,
            )
            agg = resp["aggregations"]["groups"]
            for b in agg["buckets"]:
                key = b["key"]
                out.append(
                    metrics_from_sums(
                        (key["slug"], key["model"], int(key["step"])),
                        window_end,
                        window_hours,
                        n=b["doc_count"],
                        abs_error=b["abs_error"]["value"],
                        ape=b["ape"]["value"],
                        naive_abs_error=b["naive_abs_error"]["value"],
                        naive_n=b["naive_n"]["value"],
                        in80=int(b["in80"]["value"]),
                        in95=int(b["in95"]["value"]),
                    )
                )
            if len(agg["buckets"]) < SEARCH_PAGE or "after_key" not in agg:
                return out
            composite["after"] = agg["after_key"]

    def purge(self, older_than: pd.Timestamp) -> int:
        """Delete predictions issued and metrics computed before ``older_than``; returns count.

        At most ``PURGE_PAGES`` pages of ``SEARCH_PAGE`` ids per index per call,
        so a long backlog is worked off over several cycles, never in one burst.
        """
        deleted = 0
        for index, field in (
            (self.predictions_index, "issued_at"),
            (self.metrics_index, "window_end"),
        ):
            for _ in range(PURGE_PAGES):
                resp = retry(
                    partial(
                        self.es.search,
                        index=index,
                        query={"range": {field: {"lt": format_timestamp(older_than)}}},
                        size=SEARCH_PAGE,
                        source=False,
                        ignore_unavailable=True,
                    ),
                    "find expired documents",
                    self.backoff,
                )
                ids = [hit["_id"] for hit in resp["hits"]["hits"]]
                if not ids:
                    break
                actions = ({"_op_type": "delete", "_index": index, "_id": i} for i in ids)
                for ok, item in streaming_bulk(
                    self.es, actions, max_retries=3, raise_on_error=False, refresh=True
                ):
                    # A document already gone (404) counts as purged too.
                    deleted += int(ok or item.get("delete", {}).get("status") == 404)
        return deleted

    def refresh(self) -> None:
        """Make recent writes searchable (used between cycle phases and by tests)."""
        retry(
            lambda: self.es.indices.refresh(index=[self.predictions_index, self.metrics_index]),
            "refresh",
            self.backoff,
        )

    def _bulk(self, actions: Iterable[dict[str, Any]]) -> int:
        """Send actions; re-send only the items that failed with a retryable status.

        Raises GaveUp when retryable failures outlast the backoff's attempts and
        StoreUnavailable at once when an item is rejected (a mapping conflict).
        """
        pending = list(actions)
        written = 0

        def attempt() -> None:
            nonlocal pending, written
            retry_later: list[dict[str, Any]] = []
            fatal: list[dict[str, Any]] = []
            for action, (ok, info) in zip(pending, _bulk_results(self.es, pending), strict=True):
                if ok:
                    written += 1
                    continue
                item = next(iter(info.values()))
                if is_retryable_status(item.get("status", 500)):
                    retry_later.append(action)
                else:
                    fatal.append(item)
            if fatal:
                log.error(
                    "bulk items rejected", extra={"count": len(fatal), "first": str(fatal[0])[:500]}
                )
                raise StoreUnavailable(f"{len(fatal)} bulk items rejected")
            pending = retry_later
            if pending:
                raise RetryLater(f"{len(pending)} bulk items failed")

        retry(attempt, "bulk write", self.backoff)
        return written
