"""The Kibana saved objects in kibana/*.ndjson import cleanly and chart real fields.

Kibana itself is not needed: every rule below is one that makes an import fail
(bad JSON, unknown type, object-valued ``*JSON`` attributes, missing references)
or a panel break at render time (a field the index templates do not map, or map
with an incompatible type). The templates are the ones the indexer and the IA
module install, imported from their modules.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from ia_module.settings import IASettings
from ia_module.store import METRICS_MAPPING, PREDICTION_MAPPING
from indexer_service.settings import IndexerSettings
from indexer_service.template import index_template
from kibana import build_dashboards

ROOT = Path(__file__).resolve().parents[3]
KIBANA_DIR = ROOT / "kibana"
STACK_VERSION = (9, 5, 3)
IMPORTABLE_TYPES = {"index-pattern", "lens", "dashboard", "visualization", "search", "tag", "map"}
# Attributes that Kibana stores as JSON text although their name lacks "JSON".
DATA_VIEW_STRING_ATTRIBUTES = ("fields", "fieldFormatMap", "runtimeFieldMap", "sourceFilters")
NUMERIC = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float"}
AGGREGATABLE = NUMERIC | {"keyword", "date", "boolean"}
# Lens column dataType -> field types that can back it.
DATA_TYPES = {"number": NUMERIC, "string": {"keyword"}, "date": {"date"}, "boolean": {"boolean"}}
KQL_FIELD = re.compile(r"([A-Za-z_][\w.]*)\s*(?::|>=|<=|>|<)")

Properties = dict[str, str]


def flatten(properties: dict[str, Any], prefix: str = "") -> Properties:
    """Field path -> type, including object sub-fields and multi-fields."""
    flat: Properties = {}
    for name, mapping in properties.items():
        path = prefix + name
        if "properties" in mapping:
            flat.update(flatten(mapping["properties"], path + "."))
            continue
        flat[path] = mapping["type"]
        for sub, sub_mapping in (mapping.get("fields") or {}).items():
            flat[f"{path}.{sub}"] = sub_mapping["type"]
    return flat


def templates() -> dict[str, Properties]:
    """An index name each service writes -> the fields its template maps."""
    prefix = IndexerSettings.model_fields["index_prefix"].default
    ia = IASettings.model_fields
    quotes = index_template(prefix)["template"]["mappings"]["properties"]
    return {
        f"{prefix}-2026.11.28": flatten(quotes),
        ia["predictions_index"].default: flatten(PREDICTION_MAPPING["properties"]),
        ia["metrics_index"].default: flatten(METRICS_MAPPING["properties"]),
    }


def json_strings(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) whose key ends in JSON, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("JSON"):
                yield f"{path}{key}", value
            yield from json_strings(value, f"{path}{key}.")


def parse_json_string(where: str, value: Any, found: list[str]) -> Any:
    if not isinstance(value, str):
        found.append(f"{where} must be a JSON string, not {type(value).__name__}")
        return None
    try:
        return json.loads(value)
    except ValueError as err:
        found.append(f"{where} is not valid JSON: {err}")
        return None


def column_problems(where: str, column: dict[str, Any], fields: Properties) -> list[str]:
    """A Lens column's source field, sort field and filter against the mapped fields."""
    found = []
    operation, source = column["operationType"], column.get("sourceField")
    if operation == "count":
        if source != "___records___":
            found.append(f"{where}: count must use ___records___")
    elif source not in fields:
        found.append(f"{where}: field {source} is not mapped")
    else:
        kind = fields[source]
        # Most operations return a value of the field's own type (dataType);
        # these two return a date bucket or a number whatever the field.
        allowed = {"date_histogram": {"date"}, "unique_count": AGGREGATABLE}.get(
            operation, DATA_TYPES.get(column["dataType"], set())
        )
        if kind not in allowed:
            found.append(f"{where}: {operation} as {column['dataType']} on {source} ({kind})")
    sort_field = (column.get("params") or {}).get("sortField")
    if sort_field is not None and fields.get(sort_field) != "date":
        found.append(f"{where}: sort field {sort_field} is not a mapped date")
    kql = (column.get("filter") or {}).get("query", "")
    for name in KQL_FIELD.findall(kql):
        if name not in fields:
            found.append(f"{where}: filter field {name} is not mapped")
    return found


def problems(files: dict[str, str], mapped: dict[str, Properties]) -> list[str]:
    """Everything in ``files`` (name -> NDJSON text) that would break an import or a panel."""
    found: list[str] = []
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    for name, text in sorted(files.items()):
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{name}:{number}"
            try:
                obj = json.loads(line)
            except ValueError as err:
                found.append(f"{where}: not JSON: {err}")
                continue
            if obj.get("type") not in IMPORTABLE_TYPES:
                found.append(f"{where}: type {obj.get('type')!r} is not importable")
                continue
            key = (obj["type"], obj["id"])
            if key in objects:
                found.append(f"{where}: duplicate {key}")
            objects[key] = obj
            core = tuple(int(p) for p in obj.get("coreMigrationVersion", "99").split("."))
            if core > STACK_VERSION or "typeMigrationVersion" not in obj:
                found.append(f"{where}: migration versions missing or newer than Kibana")
    data_view_fields: dict[str, Properties] = {}
    for (type_, id_), obj in objects.items():
        where = f"{type_}/{id_}"
        attributes = obj["attributes"]
        parsed = {
            p: parse_json_string(f"{where} {p}", v, found) for p, v in json_strings(attributes)
        }
        for ref in obj["references"]:
            if (ref["type"], ref["id"]) not in objects:
                found.append(
                    f"{where}: reference {ref['name']} -> missing {ref['type']}/{ref['id']}"
                )
        if type_ == "index-pattern":
            for attr in DATA_VIEW_STRING_ATTRIBUTES:
                if attr in attributes:
                    parse_json_string(f"{where} {attr}", attributes[attr], found)
            matches = [f for index, f in mapped.items() if fnmatch(index, attributes["title"])]
            if len(matches) != 1:
                found.append(f"{where}: {attributes['title']} matches {len(matches)} templates")
                continue
            data_view_fields[id_] = matches[0]
            if matches[0].get(attributes["timeFieldName"]) != "date":
                found.append(f"{where}: time field {attributes['timeFieldName']} is not a date")
        elif type_ == "dashboard":
            refs = {r["name"] for r in obj["references"]}
            for panel in parsed.get("panelsJSON") or []:
                ref_name = f"{panel['panelIndex']}:{panel['panelRefName']}"
                if ref_name not in refs and panel["panelRefName"] not in refs:
                    found.append(f"{where}: panel {panel['panelIndex']} has no reference")
            controls = parsed.get("controlGroupInput.panelsJSON") or {}
            for control_id in controls:
                if f"controlGroup_{control_id}:optionsListDataView" not in refs:
                    found.append(f"{where}: control {control_id} has no data view reference")
        elif type_ == "lens" and not isinstance(attributes.get("state"), dict):
            found.append(f"{where}: Lens state must be an object")
    found += field_problems(objects, data_view_fields)
    return found


def field_problems(
    objects: dict[tuple[str, str], dict[str, Any]], data_view_fields: dict[str, Properties]
) -> list[str]:
    """Lens columns and dashboard controls against the fields of their data views."""
    found = []
    for (type_, id_), obj in objects.items():
        refs = {r["name"]: r["id"] for r in obj["references"]}
        if type_ == "lens":
            layers = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
            for layer_id, layer in layers.items():
                data_view = refs.get(f"indexpattern-datasource-layer-{layer_id}")
                if data_view not in data_view_fields:
                    found.append(f"lens/{id_}: layer {layer_id} has no data view")
                    continue
                for column_id, column in layer["columns"].items():
                    where = f"lens/{id_} {layer_id}.{column_id}"
                    found += column_problems(where, column, data_view_fields[data_view])
        elif type_ == "dashboard" and "controlGroupInput" in obj["attributes"]:
            controls = json.loads(obj["attributes"]["controlGroupInput"]["panelsJSON"])
            for control_id, control in controls.items():
                fields = data_view_fields.get(
                    refs.get(f"controlGroup_{control_id}:optionsListDataView", ""), {}
                )
                field = control["explicitInput"]["fieldName"]
                if fields.get(field) != "keyword":
                    found.append(f"dashboard/{id_}: control on {field}, not a mapped keyword")
    return found


def committed() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(KIBANA_DIR.glob("*.ndjson"))}


def test_committed_objects_are_the_generators_output() -> None:
    assert committed() == build_dashboards.render(), "run python -m kibana.build_dashboards"


def test_objects_import_and_chart_mapped_fields() -> None:
    assert problems(committed(), templates()) == []


def test_every_required_dashboard_exists() -> None:
    titles = {
        obj["attributes"]["title"]
        for text in committed().values()
        for obj in map(json.loads, text.splitlines())
        if obj["type"] == "dashboard"
    }
    assert titles == {
        "CryptoViz: Market overview",
        "CryptoViz: Coin detail",
        "CryptoViz: Forecast quality",
        "CryptoViz: Pipeline health",
    }


def mutate(name: str, index: int, change: Any) -> dict[str, str]:
    """The committed files with object ``index`` of ``name`` passed through ``change``."""
    files = committed()
    objs = [json.loads(line) for line in files[name].splitlines()]
    objs[index] = change(copy.deepcopy(objs[index]))
    files[name] = "".join(json.dumps(o) + "\n" for o in objs)
    return files


def first_column(obj: dict[str, Any]) -> dict[str, Any]:
    layers = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
    layer = next(iter(layers.values()))
    return layer["columns"][layer["columnOrder"][1]]


def test_object_valued_json_attribute_is_reported() -> None:
    def unstring(obj: dict[str, Any]) -> dict[str, Any]:
        obj["attributes"]["panelsJSON"] = json.loads(obj["attributes"]["panelsJSON"])
        return obj

    found = problems(mutate("10-market-overview.ndjson", -1, unstring), templates())
    assert any("panelsJSON must be a JSON string, not list" in p for p in found)


def test_dangling_reference_is_reported() -> None:
    def dangle(obj: dict[str, Any]) -> dict[str, Any]:
        obj["references"][0]["id"] = "no-such-view"
        return obj

    found = problems(mutate("20-coin-detail.ndjson", 0, dangle), templates())
    assert any("-> missing index-pattern/no-such-view" in p for p in found)


def test_unmapped_field_is_reported() -> None:
    def rename(obj: dict[str, Any]) -> dict[str, Any]:
        first_column(obj)["sourceField"] = "price_usd"
        return obj

    found = problems(mutate("20-coin-detail.ndjson", 1, rename), templates())
    assert any("field price_usd is not mapped" in p for p in found)


def test_incompatible_field_type_is_reported() -> None:
    def average_of_keyword(obj: dict[str, Any]) -> dict[str, Any]:
        first_column(obj)["sourceField"] = "symbol"
        return obj

    found = problems(mutate("20-coin-detail.ndjson", 1, average_of_keyword), templates())
    assert any("average as number on symbol (keyword)" in p for p in found)


def test_bad_line_and_unknown_type_are_reported() -> None:
    files = committed()
    files["50-extra.ndjson"] = '{"type": "canvas-workpad", "id": "x"}\n{not json\n'
    found = problems(files, templates())
    assert "50-extra.ndjson:1: type 'canvas-workpad' is not importable" in found
    assert any(p.startswith("50-extra.ndjson:2: not JSON") for p in found)


def generated(object_type: str) -> dict[str, dict[str, Any]]:
    """The generator's objects of one type, by title."""
    return {
        obj["attributes"]["title"]: obj
        for text in build_dashboards.render().values()
        for obj in map(json.loads, text.splitlines())
        if obj["type"] == object_type
    }


def layers(lens: dict[str, Any]) -> list[dict[str, Any]]:
    return list(lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values())


def test_latest_forecast_quality_is_per_horizon_step() -> None:
    # The IA writes one metrics document per (slug, model, horizon_step) for each
    # window_end: a last value by window_end is only defined with all three as buckets.
    table = generated("lens")["Latest forecast quality per coin and model"]
    for layer in layers(table):
        columns = layer["columns"].values()
        if any(c["operationType"] == "last_value" for c in columns):
            buckets = {c["sourceField"] for c in columns if c["isBucketed"]}
            assert {"slug", "model", "horizon_step"} <= buckets


def test_quotes_per_minute_are_counted_per_minute() -> None:
    chart = generated("lens")["Quotes indexed per minute (by scrape time)"]
    (layer,) = layers(chart)
    (counted,) = [c for c in layer["columns"].values() if c["operationType"] == "count"]
    # Lens scales the bars to one minute whatever interval the histogram gets.
    assert counted.get("timeScale") == "m"


def test_coin_detail_opens_on_one_coin() -> None:
    board = generated("dashboard")["CryptoViz: Coin detail"]
    controls = json.loads(board["attributes"]["controlGroupInput"]["panelsJSON"])
    (control,) = controls.values()
    assert control["explicitInput"]["selectedOptions"] == ["bitcoin"]
