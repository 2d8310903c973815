"""The index template maps every schema field explicitly, with a compatible type."""

import json
import types
import typing
from datetime import datetime

import pytest

from cryptoviz_core.schema import QuoteV1
from indexer_service.documents import quote_document
from indexer_service.template import (
    INDEXER_PROPERTIES,
    QUOTE_PROPERTIES,
    index_template,
    template_name,
)
from tests.support.indexer_fakes import sample_quote

# Mapping types that can hold every value of each Python type the schema uses.
COMPATIBLE = {
    float: {"double"},
    int: {"long", "integer", "short", "double"},
    str: {"keyword"},
    datetime: {"date", "date_nanos"},
}


def _base_type(annotation: object) -> type:
    """The non-None Python type behind a field annotation (Literal -> its values' type)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        (kind,) = {type(a) for a in typing.get_args(annotation)}
        return kind
    if origin in (typing.Union, types.UnionType):
        (inner,) = args
        return _base_type(inner)
    if origin is typing.Annotated:
        return _base_type(args[0])
    assert isinstance(annotation, type)
    return annotation


def test_template_maps_exactly_the_schema_fields() -> None:
    assert set(QUOTE_PROPERTIES) == set(QuoteV1.model_fields)


def test_template_maps_exactly_the_fields_of_a_document() -> None:
    source = json.loads(quote_document(sample_quote(3), "p").source)
    mapped = index_template("p")["template"]["mappings"]["properties"]
    assert set(mapped) == set(source) == set(QUOTE_PROPERTIES) | set(INDEXER_PROPERTIES)


@pytest.mark.parametrize("name", sorted(QuoteV1.model_fields))
def test_each_field_has_a_compatible_type(name: str) -> None:
    kind = _base_type(QuoteV1.model_fields[name].annotation)
    assert QUOTE_PROPERTIES[name]["type"] in COMPATIBLE[kind]


def test_amounts_and_prices_are_double_not_scaled() -> None:
    for name in ("price", "market_cap", "volume_24h", "circulating_supply", "max_supply"):
        assert QUOTE_PROPERTIES[name]["type"] == "double"


def test_template_targets_daily_indices_and_rejects_unknown_fields() -> None:
    body = index_template("crypto-quotes", shards=2, replicas=1, refresh_interval="5s")
    assert body["index_patterns"] == ["crypto-quotes-*"]
    assert body["template"]["mappings"]["dynamic"] == "strict"
    assert body["template"]["settings"] == {
        "number_of_shards": 2,
        "number_of_replicas": 1,
        "refresh_interval": "5s",
    }
    assert template_name("crypto-quotes") == "crypto-quotes-template"


def test_template_uses_no_xpack_features() -> None:
    # The integration cluster has no x-pack: an ILM policy or data stream would fail there.
    text = repr(index_template("p"))
    for feature in ("lifecycle", "data_stream", "pipeline"):
        assert feature not in text
