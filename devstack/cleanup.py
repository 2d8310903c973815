"""Deleting what a test or benchmark run created on the shared stack, by name prefix.

Runs name everything they create after one unique prefix (a topic, daily
indices, an index template), so a prefix is all their clean-up needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kafka import KafkaAdminClient

if TYPE_CHECKING:  # only typed here: bench/scrape.py measures its RSS without elasticsearch-py
    from elasticsearch import Elasticsearch


def delete_topics(kafka_bootstrap: str, prefixes: tuple[str, ...]) -> None:
    """Delete the Kafka topics whose names start with one of ``prefixes``."""
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        topics = [topic for topic in admin.list_topics() if topic.startswith(prefixes)]
        if topics:
            admin.delete_topics(topics)
    finally:
        admin.close()


def delete_indices(es: Elasticsearch, prefixes: tuple[str, ...]) -> None:
    """Delete the indices and index templates whose names start with one of ``prefixes``."""
    patterns = ",".join(f"{prefix}*" for prefix in prefixes)
    indices = list(es.indices.get(index=patterns, expand_wildcards="all").body)
    if indices:  # by name: the cluster refuses wildcard deletes
        es.indices.delete(index=",".join(indices))
    for prefix in prefixes:  # one pattern per call: template names may not hold a ","
        found = es.options(ignore_status=404).indices.get_index_template(name=f"{prefix}*")
        for template in found.body.get("index_templates", []):
            es.indices.delete_index_template(name=template["name"])


def delete_named(kafka_bootstrap: str, es: Elasticsearch, prefixes: tuple[str, ...]) -> None:
    """Delete the topics, indices and index templates whose names start with ``prefixes``."""
    delete_topics(kafka_bootstrap, prefixes)
    delete_indices(es, prefixes)
