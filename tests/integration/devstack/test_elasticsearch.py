"""The real Elasticsearch 9 node, through the official elasticsearch-py 9 client as shipped."""

from __future__ import annotations

import urllib.request

import pytest
from elasticsearch import Elasticsearch, helpers

from devstack.stack import Stack

pytestmark = pytest.mark.integration


def test_it_is_elasticsearch_9(es: Elasticsearch, es_url: str) -> None:
    with urllib.request.urlopen(es_url) as response:
        assert response.headers["X-Elastic-Product"] == "Elasticsearch"
    info = es.info()
    assert info["version"]["number"].startswith("9.")
    assert es.cluster.health()["status"] in ("yellow", "green")


def test_index_and_search_with_the_official_client(es: Elasticsearch, unique_name) -> None:
    index = unique_name("docs")
    es.indices.create(
        index=index,
        mappings={
            "properties": {
                "slug": {"type": "keyword"},
                "scraped_at": {"type": "date"},
                "price": {"type": "double"},
            }
        },
    )
    docs = (
        {
            "_index": index,
            "_id": f"coin-{i}",
            "_source": {
                "slug": f"coin-{i % 10}",
                "scraped_at": "2026-11-28T04:52:12.123Z",
                "price": i * 1e-9,
            },
        }
        for i in range(1000)
    )
    ok, errors = helpers.bulk(es, docs, max_retries=3, raise_on_error=False)
    assert (ok, errors) == (1000, [])
    es.indices.refresh(index=index)
    result = es.search(
        index=index,
        size=0,
        query={"range": {"price": {"lt": 1e-8}}},
        aggs={"coins": {"terms": {"field": "slug", "size": 20}}},
    )
    assert result["hits"]["total"]["value"] == 10
    assert {b["key"] for b in result["aggregations"]["coins"]["buckets"]} == {
        f"coin-{i}" for i in range(10)
    }


def test_elasticsearch_restarts_with_its_data(stack: Stack, es: Elasticsearch, unique_name) -> None:
    index = unique_name("durable")
    es.index(index=index, id="1", document={"price": 1.5}, refresh=True)
    stack.stop("elasticsearch")
    stack.start("elasticsearch")
    assert es.get(index=index, id="1")["_source"] == {"price": 1.5}
