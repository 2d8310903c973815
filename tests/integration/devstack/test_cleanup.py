"""What tests leave on the shared stack is deleted by name after them (`unique_name`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from devstack.cleanup import delete_named

pytestmark = pytest.mark.integration


def _topics(kafka_bootstrap: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def test_delete_named_removes_topics_indices_and_templates_of_its_names_only(
    kafka_bootstrap: str, es: Elasticsearch, unique_name: Callable[[str], str]
) -> None:
    mine, other = unique_name("mine"), unique_name("other")
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(f"{name}.quotes", 1, 1) for name in (mine, other)])
    finally:
        admin.close()
    for name in (mine, other):
        es.indices.put_index_template(name=f"{name}-template", index_patterns=[f"{name}-*"])
        es.indices.create(index=f"{name}-2026.11.28")

    delete_named(kafka_bootstrap, es, (mine,))

    assert f"{mine}.quotes" not in _topics(kafka_bootstrap)
    assert not es.indices.exists(index=f"{mine}-2026.11.28")
    assert not es.indices.exists_index_template(name=f"{mine}-template")
    # Names made for another prefix are left for their own clean-up.
    assert f"{other}.quotes" in _topics(kafka_bootstrap)
    assert es.indices.exists(index=f"{other}-2026.11.28")
    assert es.indices.exists_index_template(name=f"{other}-template")
