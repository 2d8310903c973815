"""Chaos fixtures: a dedicated stack, one `ChaosRun` per scenario, and the results file.

The scenarios kill and stop servers, so they refuse to run on the shared
development stack (the default DEVSTACK_* ports other engineers' tests use):
``make chaos`` points them at a stack of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from devstack.settings import DevstackSettings
from devstack.stack import Stack
from tests.chaos.pipeline import SCALE, ChaosRun, Tally
from tests.chaos.report import RESULTS, record_result, record_suite, run_id

SHARED = ("home", "zookeeper_ports", "kafka_port", "elasticsearch_port", "elasticsearch_dir")

Record = Callable[..., None]


@pytest.fixture(scope="session", autouse=True)
def _dedicated_stack() -> Iterator[None]:
    """Fail every scenario before anything starts when DEVSTACK_* names the shared stack.

    Also records the suite's wall time in the results file.
    """
    settings = DevstackSettings()
    shared = [
        name
        for name in SHARED
        if getattr(settings, name) == DevstackSettings.model_fields[name].default
    ]
    if shared:
        pytest.fail(
            f"chaos scenarios kill servers; DEVSTACK_{shared[0].upper()} is the shared stack's. "
            "Run them with `make chaos`, which gives them a stack of their own."
        )
    started = time.monotonic()
    yield
    record_suite(RESULTS, run_id(), round(time.monotonic() - started, 1), SCALE)


@pytest.fixture
def chaos(
    stack: Stack,
    es: Elasticsearch,
    unique_name: Callable[[str], str],
    tmp_path: Path,
) -> Iterator[ChaosRun]:
    """This scenario's topics, group and index prefix on the dedicated stack; cleaned up after."""
    run = ChaosRun.named(
        unique_name,
        stack=stack,
        kafka=stack.endpoints.kafka,
        es=es,
        es_url=stack.endpoints.elasticsearch,
        logs=tmp_path,
    )
    run.create_topics()
    yield run
    run.stop()


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Record:
    """``record(scenario, tally, **figures)``: store one scenario's figures in the results file."""
    started = time.monotonic()

    def write(scenario: str, tally: Tally, **figures: Any) -> None:
        record_result(
            RESULTS,
            scenario,
            run_id=run_id(),
            test=request.node.nodeid,
            duration_s=round(time.monotonic() - started, 1),
            counts=tally.as_dict(),
            figures=figures,
        )

    return write
