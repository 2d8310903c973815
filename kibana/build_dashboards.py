"""Dashboards as code: writes the Kibana 9 saved objects in ``kibana/*.ndjson``.

Run ``python -m kibana.build_dashboards`` after editing, and commit its output;
the ``kibana-setup`` compose service imports the files in name order (data views
first). tests/unit/deploy/test_kibana_objects.py checks that the committed files
equal this script's output and that every field a panel uses exists in the
index templates with a compatible type.

Object ids are fixed, so re-importing with ``overwrite=true`` updates in place.
Migration versions are deliberately old (the formats these objects are written
in): Kibana migrates older objects forward on import, but refuses any object
that claims a newer version than its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptoviz_core.names import METRICS_INDEX, PREDICTIONS_INDEX, quotes_index_pattern

OUT_DIR = Path(__file__).resolve().parent

CORE_MIGRATION_VERSION = "8.8.0"
TYPE_MIGRATION_VERSION = {"index-pattern": "8.0.0", "lens": "8.9.0", "dashboard": "8.9.0"}

# Data view id -> (index pattern, time field, display name). The time fields are
# the ones the indexer and the IA module map as dates.
QUOTES = "cryptoviz-dv-quotes"
PREDICTIONS = "cryptoviz-dv-predictions"
METRICS = "cryptoviz-dv-forecast-metrics"
DATA_VIEWS = {
    QUOTES: (quotes_index_pattern(), "scraped_at", "Crypto quotes"),
    PREDICTIONS: (f"{PREDICTIONS_INDEX}*", "target_time", "Crypto predictions"),
    METRICS: (f"{METRICS_INDEX}*", "window_end", "Crypto forecast metrics"),
}

Column = dict[str, Any]


def saved_object(
    type_: str, id_: str, attributes: dict[str, Any], references: list[dict[str, str]]
) -> dict[str, Any]:
    """One saved object with the migration versions of its type."""
    return {
        "type": type_,
        "id": id_,
        "attributes": attributes,
        "references": references,
        "coreMigrationVersion": CORE_MIGRATION_VERSION,
        "typeMigrationVersion": TYPE_MIGRATION_VERSION[type_],
        "managed": False,
    }


def data_view(id_: str) -> dict[str, Any]:
    """The data view ``id_`` of DATA_VIEWS; Kibana reads its fields from the mappings."""
    title, time_field, name = DATA_VIEWS[id_]
    attributes = {
        "title": title,
        "name": name,
        "timeFieldName": time_field,
        "fields": "[]",
        "fieldFormatMap": "{}",
        "runtimeFieldMap": "{}",
        "sourceFilters": "[]",
        "allowNoIndex": True,  # the indices appear only once the services ran
    }
    return saved_object("index-pattern", id_, attributes, [])


# ---- Lens columns (form-based datasource) ----


def date_histogram(field: str, interval: str = "auto") -> Column:
    """X axis over ``field`` (a date)."""
    return {
        "label": field,
        "dataType": "date",
        "operationType": "date_histogram",
        "sourceField": field,
        "isBucketed": True,
        "scale": "interval",
        "params": {"interval": interval, "includeEmptyRows": True, "dropPartials": False},
    }


def terms(
    field: str,
    size: int,
    order_by: str | None = None,
    direction: str = "desc",
    data_type: str = "string",
) -> Column:
    """Buckets per value of ``field`` (a keyword, or a number with ``data_type="number"``),
    ordered by column ``order_by`` (else by value)."""
    order = (
        {"type": "column", "columnId": order_by}
        if order_by
        else {"type": "alphabetical", "fallback": False}
    )
    return {
        "label": field,
        "customLabel": True,
        "dataType": data_type,
        "operationType": "terms",
        "sourceField": field,
        "isBucketed": True,
        "scale": "ordinal",
        "params": {
            "size": size,
            "orderBy": order,
            "orderDirection": direction if order_by else "asc",
            "otherBucket": False,
            "missingBucket": False,
            "parentFormat": {"id": "terms"},
        },
    }


def metric(operation: str, field: str, label: str, kql: str | None = None) -> Column:
    """A numeric aggregation (average, max, min, sum, unique_count) of ``field``."""
    column: Column = {
        "label": label,
        "customLabel": True,
        "dataType": "number",
        "operationType": operation,
        "sourceField": field,
        "isBucketed": False,
        "scale": "ratio",
        "params": {"emptyAsNull": True},
    }
    if kql:
        column["filter"] = {"query": kql, "language": "kuery"}
    return column


def latest_date(field: str, label: str) -> Column:
    """The most recent value of date ``field`` (max of a date is a date)."""
    return {
        "label": label,
        "customLabel": True,
        "dataType": "date",
        "operationType": "max",
        "sourceField": field,
        "isBucketed": False,
        "scale": "ratio",
        "params": {},
    }


def last_value(field: str, label: str, sort_field: str) -> Column:
    """The value of ``field`` in the document with the latest ``sort_field``."""
    return {
        "label": label,
        "customLabel": True,
        "dataType": "number",
        "operationType": "last_value",
        "sourceField": field,
        "isBucketed": False,
        "scale": "ratio",
        # Lens' own default: skip documents where the field is missing.
        "filter": {"query": f"{field}: *", "language": "kuery"},
        "params": {"sortField": sort_field, "showArrayValues": False},
    }


def count(label: str, kql: str | None = None, per: str | None = None) -> Column:
    """Number of documents (optionally only those matching ``kql``); ``per`` ("s", "m",
    "h", "d") makes it a rate whatever interval Lens picks for the histogram."""
    column: Column = {
        "label": label,
        "customLabel": True,
        "dataType": "number",
        "operationType": "count",
        "sourceField": "___records___",
        "isBucketed": False,
        "scale": "ratio",
        "params": {"emptyAsNull": False},
    }
    if kql:
        column["filter"] = {"query": kql, "language": "kuery"}
    if per:
        column["timeScale"] = per
    return column


# ---- Lens visualizations ----


class Layer:
    """One Lens data layer: a data view and its columns, in display order."""

    def __init__(self, layer_id: str, data_view_id: str, columns: dict[str, Column]) -> None:
        self.id = layer_id
        self.data_view_id = data_view_id
        self.columns = columns

    def datasource(self) -> dict[str, Any]:
        """The layer as stored under ``datasourceStates.formBased.layers``."""
        return {
            "columns": self.columns,
            "columnOrder": list(self.columns),
            "incompleteColumns": {},
            "sampling": 1,
        }

    def reference(self) -> dict[str, str]:
        """The reference Lens resolves the layer's data view through."""
        return {
            "type": "index-pattern",
            "id": self.data_view_id,
            "name": f"indexpattern-datasource-layer-{self.id}",
        }


def lens(
    id_: str,
    title: str,
    visualization_type: str,
    layers: list[Layer],
    visualization: dict[str, Any],
    description: str = "",
) -> dict[str, Any]:
    """A Lens saved object; ``visualization`` is the chart state for ``visualization_type``."""
    state = {
        "datasourceStates": {"formBased": {"layers": {x.id: x.datasource() for x in layers}}},
        "visualization": visualization,
        "query": {"query": "", "language": "kuery"},
        "filters": [],
        "internalReferences": [],
        "adHocDataViews": {},
    }
    attributes = {
        "title": title,
        "description": description,
        "visualizationType": visualization_type,
        "state": state,
    }
    return saved_object("lens", id_, attributes, [x.reference() for x in layers])


def xy_layer(
    layer: Layer, series: str, x: str, ys: list[str], split: str | None = None
) -> dict[str, Any]:
    """The chart side of one XY layer."""
    spec: dict[str, Any] = {
        "layerId": layer.id,
        "layerType": "data",
        "seriesType": series,
        "xAccessor": x,
        "accessors": ys,
    }
    if split:
        spec["splitAccessor"] = split
    return spec


def xy_chart(
    id_: str, title: str, layers: list[tuple[Layer, dict[str, Any]]], description: str = ""
) -> dict[str, Any]:
    """A line/area/bar chart made of (layer, xy_layer spec) pairs."""
    visualization = {
        "legend": {"isVisible": True, "position": "right"},
        "valueLabels": "hide",
        "fittingFunction": "Linear",
        "preferredSeriesType": layers[0][1]["seriesType"],
        "layers": [spec for _, spec in layers],
    }
    return lens(id_, title, "lnsXY", [x for x, _ in layers], visualization, description)


def table(
    id_: str,
    title: str,
    layer: Layer,
    sort: tuple[str, str] | None = None,
    page_size: int = 10,
    description: str = "",
) -> dict[str, Any]:
    """A data table of every column of ``layer``, sorted by ``(column, direction)``."""
    visualization: dict[str, Any] = {
        "layerId": layer.id,
        "layerType": "data",
        "columns": [{"columnId": c} for c in layer.columns],
        "paging": {"size": page_size, "enabled": True},
    }
    if sort:
        visualization["sorting"] = {"columnId": sort[0], "direction": sort[1]}
    return lens(id_, title, "lnsDatatable", [layer], visualization, description)


def metric_tile(id_: str, title: str, layer: Layer, description: str = "") -> dict[str, Any]:
    """A single big number: the layer's one column."""
    (column,) = layer.columns
    visualization = {"layerId": layer.id, "layerType": "data", "metricAccessor": column}
    return lens(id_, title, "lnsMetric", [layer], visualization, description)


# ---- Dashboards ----


def dashboard(
    id_: str,
    title: str,
    description: str,
    rows: list[list[tuple[dict[str, Any], int]]],
    time_from: str = "now-24h",
    time_to: str = "now",
    control: tuple[str, str, str] | None = None,
    selected: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A dashboard of by-reference Lens panels laid out in ``rows`` of (object, width).

    Widths are on Kibana's 48-column grid. ``control`` is an optional options-list
    control ``(data view id, keyword field, label)`` shown above the panels, with the
    values ``selected`` picked when the dashboard opens.
    """
    panels: list[dict[str, Any]] = []
    references: list[dict[str, str]] = []
    y = 0
    for row in rows:
        if sum(width for _, width in row) > 48:
            raise ValueError(f"{id_}: a row is wider than 48 columns")
        x = 0
        for obj, width in row:
            index = f"p{len(panels) + 1}"
            panels.append(
                {
                    "type": "lens",
                    "panelIndex": index,
                    "gridData": {"x": x, "y": y, "w": width, "h": 15, "i": index},
                    "embeddableConfig": {},
                    "panelRefName": f"panel_{index}",
                }
            )
            references.append({"type": "lens", "id": obj["id"], "name": f"{index}:panel_{index}"})
            x += width
        y += 15
    attributes: dict[str, Any] = {
        "title": title,
        "description": description,
        "panelsJSON": json.dumps(panels),
        "optionsJSON": json.dumps(
            {"useMargins": True, "syncColors": True, "syncCursor": True, "hidePanelTitles": False}
        ),
        "timeRestore": True,
        "timeFrom": time_from,
        "timeTo": time_to,
        "refreshInterval": {"pause": False, "value": 60_000},
        "version": 1,
        "kibanaSavedObjectMeta": {
            "searchSourceJSON": json.dumps(
                {"query": {"query": "", "language": "kuery"}, "filter": []}
            )
        },
    }
    if control:
        data_view_id, field, label = control
        control_id = f"{id_}-control-{field}"
        controls = {
            control_id: {
                "order": 0,
                "width": "medium",
                "grow": True,
                "type": "optionsListControl",
                "explicitInput": {
                    "id": control_id,
                    "fieldName": field,
                    "title": label,
                    "singleSelect": True,
                    "selectedOptions": list(selected),
                    "enhancements": {},
                },
            }
        }
        attributes["controlGroupInput"] = {
            "controlStyle": "oneLine",
            "chainingSystem": "HIERARCHICAL",
            "ignoreParentSettingsJSON": json.dumps(
                {
                    "ignoreFilters": False,
                    "ignoreQuery": False,
                    "ignoreTimerange": False,
                    "ignoreValidations": False,
                }
            ),
            "panelsJSON": json.dumps(controls),
        }
        references.append(
            {
                "type": "index-pattern",
                "id": data_view_id,
                "name": f"controlGroup_{control_id}:optionsListDataView",
            }
        )
    return saved_object("dashboard", id_, attributes, references)


def market_overview() -> list[dict[str, Any]]:
    """Top coins, market cap over time, 24h gainers and losers, volume."""
    # The top 100 by rank with their latest values; each table then sorts them.
    latest = {
        "coin": terms("slug", 100, order_by="rank", direction="asc"),
        "rank": metric("min", "rank", "Rank"),
        "price": last_value("price", "Price", "scraped_at"),
        "cap": last_value("market_cap", "Market cap", "scraped_at"),
        "chg": last_value("change_24h_pct", "24h %", "scraped_at"),
        "vol": last_value("volume_24h", "Volume 24h", "scraped_at"),
    }
    top = table(
        "cryptoviz-lens-top-coins",
        "Top coins by market cap (latest)",
        Layer("top", QUOTES, dict(latest)),
        sort=("rank", "asc"),
        page_size=20,
    )
    gainers = table(
        "cryptoviz-lens-gainers",
        "24h gainers",
        Layer("gainers", QUOTES, dict(latest)),
        sort=("chg", "desc"),
    )
    losers = table(
        "cryptoviz-lens-losers",
        "24h losers",
        Layer("losers", QUOTES, dict(latest)),
        sort=("chg", "asc"),
    )
    # Averaging a coin's market cap within a time bucket and stacking the coins
    # gives the total; a plain sum would count every scrape in the bucket.
    cap_layer = Layer(
        "cap",
        QUOTES,
        {
            "t": date_histogram("scraped_at"),
            "coin": terms("slug", 25, order_by="y"),
            "y": metric("average", "market_cap", "Market cap"),
        },
    )
    cap = xy_chart(
        "cryptoviz-lens-market-cap",
        "Total market cap over time (top 25 coins, stacked)",
        [(cap_layer, xy_layer(cap_layer, "area_stacked", "t", ["y"], "coin"))],
    )
    vol_layer = Layer(
        "vol",
        QUOTES,
        {
            "t": date_histogram("scraped_at"),
            "coin": terms("slug", 10, order_by="y"),
            "y": metric("average", "volume_24h", "Volume 24h"),
        },
    )
    volume = xy_chart(
        "cryptoviz-lens-volume",
        "24h volume (top 10 coins by volume)",
        [(vol_layer, xy_layer(vol_layer, "line", "t", ["y"], "coin"))],
    )
    board = dashboard(
        "cryptoviz-dashboard-market-overview",
        "CryptoViz: Market overview",
        "Latest CoinMarketCap listing, market cap and volume over time.",
        [[(top, 28), (cap, 20)], [(gainers, 24), (losers, 24)], [(volume, 48)]],
    )
    return [top, cap, gainers, losers, volume, board]


def coin_detail() -> list[dict[str, Any]]:
    """One coin (picked with the control): price with forecasts, volume, rank."""
    price = Layer(
        "price",
        QUOTES,
        {"t": date_histogram("scraped_at"), "y": metric("average", "price", "Price")},
    )
    # The latest forecast issued for each target time, from the selected model.
    selected = "selected: true"
    forecast_columns = {
        "t": date_histogram("target_time"),
        "yhat": last_value("yhat", "Forecast (yhat)", "issued_at"),
        "lo95": last_value("lo95", "95% low", "issued_at"),
        "hi95": last_value("hi95", "95% high", "issued_at"),
    }
    for name in ("yhat", "lo95", "hi95"):
        forecast_columns[name]["filter"] = {
            "query": f"{selected} and {name}: *",
            "language": "kuery",
        }
    forecast = Layer("forecast", PREDICTIONS, forecast_columns)
    price_chart = xy_chart(
        "cryptoviz-lens-price-forecast",
        "Price, forecast and 95% interval",
        [
            (price, xy_layer(price, "line", "t", ["y"])),
            (forecast, xy_layer(forecast, "line", "t", ["yhat", "lo95", "hi95"])),
        ],
        description="Actual price; yhat and lo95..hi95 of the model the IA module selected.",
    )
    vol = Layer(
        "vol",
        QUOTES,
        {"t": date_histogram("scraped_at"), "y": metric("average", "volume_24h", "Volume 24h")},
    )
    volume = xy_chart(
        "cryptoviz-lens-coin-volume",
        "24h volume",
        [(vol, xy_layer(vol, "bar", "t", ["y"]))],
    )
    rank_layer = Layer(
        "rank",
        QUOTES,
        {"t": date_histogram("scraped_at"), "y": metric("min", "rank", "Rank")},
    )
    rank = xy_chart(
        "cryptoviz-lens-rank-history",
        "Rank history (1 = largest market cap)",
        [(rank_layer, xy_layer(rank_layer, "line", "t", ["y"]))],
    )
    board = dashboard(
        "cryptoviz-dashboard-coin-detail",
        "CryptoViz: Coin detail",
        "Pick a coin: its price against the forecasts, volume and rank.",
        [[(price_chart, 48)], [(volume, 24), (rank, 24)]],
        time_to="now+2h",  # the forecasts reach into the future
        control=(QUOTES, "slug", "Coin"),
        # Until a coin is picked every panel would average all ~100 of them.
        selected=("bitcoin",),
    )
    return [price_chart, volume, rank, board]


def forecast_quality() -> list[dict[str, Any]]:
    """MASE against the naive forecast and interval coverage, per coin and model."""
    per_coin = Layer(
        "quality",
        METRICS,
        {
            # Lens cannot order buckets by a last value; the table sorts instead.
            "coin": terms("slug", 100),
            "model": terms("model", 10),
            # One metrics document per horizon step shares each window_end: without
            # the step as a bucket, a last value would pick any of the steps.
            "step": terms("horizon_step", 24, data_type="number"),
            "mase": last_value("mase", "MASE (<1 beats naive)", "window_end"),
            "cov80": last_value("coverage80", "80% coverage", "window_end"),
            "cov95": last_value("coverage95", "95% coverage", "window_end"),
            "mape": last_value("mape", "MAPE", "window_end"),
            "n": last_value("n", "Scored forecasts", "window_end"),
        },
    )
    quality_table = table(
        "cryptoviz-lens-forecast-quality",
        "Latest forecast quality per coin and model",
        per_coin,
        sort=("mase", "asc"),
        page_size=20,
    )
    mase_layer = Layer(
        "mase",
        METRICS,
        {
            "t": date_histogram("window_end"),
            "model": terms("model", 10),
            "y": metric("average", "mase", "Average MASE"),
        },
    )
    mase = xy_chart(
        "cryptoviz-lens-mase-over-time",
        "MASE over time per model (below 1 beats the naive forecast)",
        [(mase_layer, xy_layer(mase_layer, "line", "t", ["y"], "model"))],
    )
    coverage_layer = Layer(
        "coverage",
        METRICS,
        {
            "model": terms("model", 10),
            "cov80": metric("average", "coverage80", "80% interval coverage"),
            "cov95": metric("average", "coverage95", "95% interval coverage"),
        },
    )
    coverage = xy_chart(
        "cryptoviz-lens-coverage",
        "Interval coverage per model (targets 0.80 and 0.95)",
        [(coverage_layer, xy_layer(coverage_layer, "bar", "model", ["cov80", "cov95"]))],
    )
    board = dashboard(
        "cryptoviz-dashboard-forecast-quality",
        "CryptoViz: Forecast quality",
        "Scored forecasts: MASE against the naive forecast and interval coverage.",
        [[(quality_table, 48)], [(mase, 28), (coverage, 20)]],
        time_from="now-7d",
        control=(METRICS, "slug", "Coin"),
    )
    return [quality_table, mase, coverage, board]


def pipeline_health() -> list[dict[str, Any]]:
    """Indexing rate and freshness of the quotes, and the IA module's output rate."""
    rate_layer = Layer(
        "rate",
        QUOTES,
        # Lens widens a fixed 1m interval to stay under its bar limit (6 h is 360 bars);
        # the time scale keeps the count per minute whatever interval it picks.
        {"t": date_histogram("scraped_at"), "y": count("Quotes per minute", per="m")},
    )
    rate = xy_chart(
        "cryptoviz-lens-docs-per-minute",
        "Quotes indexed per minute (by scrape time)",
        [(rate_layer, xy_layer(rate_layer, "bar", "t", ["y"]))],
    )
    # Lens cannot compute now - max(scraped_at); the latest time plus the count of
    # the last five minutes show the same thing: zero means the pipeline is stale.
    latest = table(
        "cryptoviz-lens-latest-scrape",
        "Latest quote (freshness)",
        Layer("latest", QUOTES, {"m": latest_date("scraped_at", "Latest scraped_at")}),
    )
    recent = metric_tile(
        "cryptoviz-lens-recent-quotes",
        "Quotes in the last 5 minutes",
        Layer("recent", QUOTES, {"m": count("Quotes", 'scraped_at >= "now-5m"')}),
    )
    coins = Layer(
        "coins",
        QUOTES,
        {"t": date_histogram("scraped_at"), "y": metric("unique_count", "slug", "Coins")},
    )
    coins_chart = xy_chart(
        "cryptoviz-lens-coins-per-interval",
        "Distinct coins quoted",
        [(coins, xy_layer(coins, "line", "t", ["y"]))],
    )
    ingest = Layer(
        "ingest",
        QUOTES,
        {
            "t": date_histogram("scraped_at"),
            "avg": metric("average", "ingest_latency_ms", "Average (ms)"),
            "max": metric("max", "ingest_latency_ms", "Max (ms)"),
        },
    )
    ingest_chart = xy_chart(
        "cryptoviz-lens-ingest-latency",
        "Ingest latency (indexed_at - scraped_at)",
        [(ingest, xy_layer(ingest, "line", "t", ["avg", "max"]))],
        "From the scrape to the indexer's write; a search sees it one refresh (1 s) later.",
    )
    issued = Layer(
        "issued",
        PREDICTIONS,
        {"t": date_histogram("issued_at"), "y": count("Predictions")},
    )
    issued_chart = xy_chart(
        "cryptoviz-lens-predictions-issued",
        "Predictions issued by the IA module",
        [(issued, xy_layer(issued, "bar", "t", ["y"]))],
    )
    board = dashboard(
        "cryptoviz-dashboard-pipeline-health",
        "CryptoViz: Pipeline health",
        "Is data flowing? Quotes per minute, freshness, coins, forecasts.",
        [
            [(latest, 16), (recent, 16), (coins_chart, 16)],
            [(rate, 24), (issued_chart, 24)],
            [(ingest_chart, 48)],
        ],
        time_from="now-6h",
    )
    return [latest, recent, coins_chart, rate, issued_chart, ingest_chart, board]


FILES = {
    "00-data-views.ndjson": lambda: [data_view(id_) for id_ in DATA_VIEWS],
    "10-market-overview.ndjson": market_overview,
    "20-coin-detail.ndjson": coin_detail,
    "30-forecast-quality.ndjson": forecast_quality,
    "40-pipeline-health.ndjson": pipeline_health,
}


def render() -> dict[str, str]:
    """File name -> NDJSON text (one object per line, keys sorted for stable diffs)."""
    return {
        name: "".join(json.dumps(obj, sort_keys=True) + "\n" for obj in build())
        for name, build in FILES.items()
    }


def main() -> None:
    """Write every file of ``render()`` next to this script."""
    for name, text in render().items():
        (OUT_DIR / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
