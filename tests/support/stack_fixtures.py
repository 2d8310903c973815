"""Session fixtures: the real local stack (devstack) starts once per test run and hands
out its endpoints.

Registered from tests/conftest.py, for the integration and chaos suites. A stack
that was already up (``python -m devstack up``) is reused and left running; one
this session started is stopped at the end.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from elasticsearch import Elasticsearch

from devstack.cleanup import delete_named
from devstack.images import Built
from devstack.stack import Stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The running local stack. Fault tests may stop/start/kill its services;
    they must leave each one running again."""
    local = Stack()
    was_up = all(local.status().values())
    local.up()
    yield local
    if not was_up:
        local.down()


@pytest.fixture(scope="session")
def images(stack: Stack) -> Iterator[Built]:
    """The three service images, built on the devstack's own Docker engine (started
    if none answers, and then stopped at the end with its containers)."""
    engine_was_up = stack.engine.answers()
    built = stack.images()
    yield built
    if not engine_was_up:
        stack.engine.down()


@pytest.fixture(scope="session")
def kafka_bootstrap(stack: Stack) -> str:
    """``127.0.0.1:PORT`` of the broker."""
    return stack.endpoints.kafka


@pytest.fixture(scope="session")
def es_url(stack: Stack) -> str:
    """``http://127.0.0.1:PORT`` of the Elasticsearch node."""
    return stack.endpoints.elasticsearch


@pytest.fixture(scope="session")
def es(es_url: str) -> Iterator[Elasticsearch]:
    """An elasticsearch-py 9 client on the node, plain: no compatibility tweak."""
    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture
def unique_name(
    request: pytest.FixtureRequest, kafka_bootstrap: str, es: Elasticsearch
) -> Iterator[Callable[[str], str]]:
    """Makes names no other test uses, valid as Kafka topics and Elasticsearch indices.

    After the test, the topics, indices and index templates whose names start with
    one of them are deleted: the shared stack outlives test runs, and would
    otherwise keep every run's data.
    """
    test = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    made: list[str] = []

    def make(prefix: str = "t") -> str:
        made.append(f"{prefix}-{test}-{uuid.uuid4().hex[:8]}")
        return made[-1]

    yield make
    if made:
        delete_named(kafka_bootstrap, es, tuple(made))
