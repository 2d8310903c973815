"""The composable index template for the daily quote indices (pure).

Every QuoteV1 field has an explicit mapping and ``dynamic`` is ``strict``, so a
field the indexer does not know about is rejected (and dead-lettered) rather
than mapped by guesswork. Only core features are used: the template must install
on an Elasticsearch without x-pack (no ILM, no data streams).
"""

from __future__ import annotations

from typing import Any

from indexer_service.documents import INDEXED_AT, INGEST_LATENCY_MS

TEMPLATE_PRIORITY = 200
# Bumped whenever the mappings change, so `_meta` shows which indexer wrote an index.
TEMPLATE_VERSION = 2

_KEYWORD = {"type": "keyword"}
# double, not scaled_float: prices go below 1e-8 and market caps above 1e12, and
# no single scaling factor keeps both exact.
_DOUBLE = {"type": "double"}

# Field name -> mapping, for every field of QuoteV1.
QUOTE_PROPERTIES: dict[str, dict[str, Any]] = {
    "schema_version": {"type": "short"},
    "source": _KEYWORD,
    "scraped_at": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
    "cmc_id": {"type": "long"},
    "slug": _KEYWORD,
    # Exact match and aggregations on the keyword; free-text search on `name.text`.
    "name": {"type": "keyword", "fields": {"text": {"type": "text"}}},
    "symbol": _KEYWORD,
    "rank": {"type": "integer"},
    "currency": _KEYWORD,
    "price": _DOUBLE,
    "change_1h_pct": _DOUBLE,
    "change_24h_pct": _DOUBLE,
    "change_7d_pct": _DOUBLE,
    "market_cap": _DOUBLE,
    "volume_24h": _DOUBLE,
    "circulating_supply": _DOUBLE,
    "max_supply": _DOUBLE,
    "page": {"type": "integer"},
    "origin": _KEYWORD,
}


# The fields the indexer adds to every quote (indexer_service.documents).
INDEXER_PROPERTIES: dict[str, dict[str, Any]] = {
    INDEXED_AT: {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
    INGEST_LATENCY_MS: {"type": "long"},
}


def template_name(prefix: str) -> str:
    """The template's name for indices ``<prefix>-*``."""
    return f"{prefix}-template"


def index_template(
    prefix: str, *, shards: int = 1, replicas: int = 0, refresh_interval: str = "1s"
) -> dict[str, Any]:
    """The body of ``PUT _index_template/<template_name(prefix)>``.

    Installing it is idempotent; it applies to indices created afterwards.
    """
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": TEMPLATE_PRIORITY,
        "version": TEMPLATE_VERSION,
        "_meta": {"managed_by": "cryptoviz indexer_service"},
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "refresh_interval": refresh_interval,
            },
            "mappings": {
                "dynamic": "strict",
                "_source": {"enabled": True},
                "properties": {**QUOTE_PROPERTIES, **INDEXER_PROPERTIES},
            },
        },
    }
