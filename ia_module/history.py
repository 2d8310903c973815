"""Read recent quotes for all coins from Elasticsearch, a bounded number of requests per cycle.

One composite aggregation over ``slug`` x ``date_histogram(scraped_at, step)``
with a one-hit ``top_hits`` sub-aggregation returns, for each coin and step,
the price and symbol of the last quote in that step (``top_hits`` rather than
``top_metrics``, which needs x-pack and the test cluster runs without it). Elasticsearch does the
per-step reduction, so a cycle reads ``coins x steps`` buckets, paged 10,000 at
a time, whatever the scrape rate. Expects the quotes mapping of schema v1:
``slug`` and ``symbol`` keyword, ``scraped_at`` date, ``price`` double.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from elasticsearch import Elasticsearch

from cryptoviz_core.retry import Backoff, retry
from cryptoviz_core.schema import format_timestamp

log = logging.getLogger(__name__)

PAGE_BUCKETS = 10_000  # composite page size, well under search.max_buckets (65,536)


@dataclass
class CoinHistory:
    """One coin's per-step last prices, in bucket order (bucket start labels, UTC)."""

    slug: str
    symbol: str
    times: list[pd.Timestamp] = field(default_factory=list)
    prices: list[float] = field(default_factory=list)


def es_interval(step: pd.Timedelta) -> str:
    """``step`` as an Elasticsearch fixed_interval, in whole seconds (e.g. ``"300s"``)."""
    seconds = step.total_seconds()
    if seconds < 1 or not seconds.is_integer():
        raise ValueError(f"step must be a whole number of seconds, got {step}")
    return f"{int(seconds)}s"


def max_pages(max_coins: int, since: pd.Timestamp, until: pd.Timestamp, step: pd.Timedelta) -> int:
    """Upper bound on composite pages for ``max_coins`` coins over ``[since, until]``."""
    steps = math.ceil(float((until - since) / step)) + 1
    return math.ceil(max_coins * steps / PAGE_BUCKETS) + 1


def fetch_recent(
    es: Elasticsearch,
    index: str,
    since: pd.Timestamp,
    until: pd.Timestamp,
    step: pd.Timedelta,
    *,
    max_coins: int,
    backoff: Backoff,
    slugs: list[str] | None = None,
) -> dict[str, CoinHistory]:
    """Histories keyed by slug for quotes with ``since <= scraped_at < until + step``.

    At most `max_pages` requests; if that bound is hit (more coins than
    ``max_coins``), a warning is logged and the coins read so far are returned.
    A missing index pattern yields ``{}``. Raises GaveUp after bounded retries.
    """
    query: dict[str, Any] = {
        "bool": {
            "filter": [
                {
                    "range": {
                        "scraped_at": {
                            "gte": format_timestamp(since),
                            "lt": format_timestamp(until + step),
                        }
                    }
                },
                # Defensive: schema v1 forbids it, but one bad price would poison a series.
                {"range": {"price": {"gt": 0}}},
            ]
        }
    }
    if slugs:
        query["bool"]["filter"].append({"terms": {"slug": slugs}})
    composite: dict[str, Any] = {
        "size": PAGE_BUCKETS,
        "sources": [
            {"slug": {"terms": {"field": "slug"}}},
            {"t": {"date_histogram": {"field": "scraped_at", "fixed_interval": es_interval(step)}}},
        ],
    }
    aggs = {
        "series": {
            "composite": composite,
            "aggs": {
                "last": {
                    "top_hits": {
                        "size": 1,
                        "sort": [{"scraped_at": {"order": "desc"}}],
                        "_source": {"includes": ["price", "symbol"]},
                    }
                }
            },
        }
    }
    out: dict[str, CoinHistory] = {}
    limit = max_pages(max_coins, since, until, step)
    for page in range(limit):
        resp = retry(
            lambda: es.search(
                index=index,
                query=query,
                aggs=aggs,
                size=0,
                ignore_unavailable=True,
                allow_no_indices=True,
            ),
            "read quotes",
            backoff,
        )
        agg = (resp.get("aggregations") or {}).get("series")
        if not agg:
            break
        for bucket in agg["buckets"]:
            hits = bucket["last"]["hits"]["hits"]
            if not hits:
                continue
            metrics = hits[0]["_source"]
            slug = bucket["key"]["slug"]
            coin = out.setdefault(slug, CoinHistory(slug, str(metrics.get("symbol") or slug)))
            coin.times.append(pd.Timestamp(bucket["key"]["t"], unit="ms", tz="UTC"))
            coin.prices.append(metrics["price"])
        after = agg.get("after_key")
        if not after or len(agg["buckets"]) < PAGE_BUCKETS:
            break
        composite["after"] = after
        if page == limit - 1:
            log.warning(
                "quote read stopped at the page bound", extra={"pages": limit, "coins": len(out)}
            )
    return out
