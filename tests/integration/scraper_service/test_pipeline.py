"""Chromium -> lazy local site -> parser -> real Kafka; consumed messages equal the truth."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from kafka import KafkaAdminClient, KafkaConsumer

from cryptoviz_core.retry import Backoff
from cryptoviz_core.schema import decode_quote
from scraper_service.browser import Browser
from scraper_service.publisher import Publisher, ensure_topic
from scraper_service.replay.server import ReplayServer
from scraper_service.service import Scraper
from tests.support.replay_truth import assert_first_snapshot

pytestmark = pytest.mark.integration


def test_one_cycle_lands_every_quote_in_kafka(
    kafka_bootstrap: str, unique_name: Callable[[str], str]
) -> None:
    topic = unique_name("quotes")
    assert ensure_topic(kafka_bootstrap, topic, 3, 1, 3_600_000) is True
    assert ensure_topic(kafka_bootstrap, topic, 3, 1, 3_600_000) is False  # idempotent
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        described = admin.describe_topics([topic])[0]
        assert len(described["partitions"]) == 3
    finally:
        admin.close()
    site, browser = ReplayServer(), Browser(render_budget_s=15)
    publisher = Publisher(kafka_bootstrap, topic)
    base = site.start()
    try:
        scraper = Scraper(
            fetch=lambda url: browser.fetch(url)[0],
            sink=publisher,
            page_urls={1: base + "snapshot/1/", 2: base + "snapshot/1/?page=2"},
            source="replay",
            interval_s=60,
            jitter_s=0,
            backoff=Backoff(),
            rng=random.Random(0),
        )
        summary = scraper.run_cycle()
    finally:
        browser.close()
        publisher.close()
        site.close()
    assert (summary.outcome, summary.parsed, summary.acked, summary.from_dom) == (
        "ok",
        200,
        200,
        200,
    )
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=10_000,
    )
    try:
        records = list(consumer)
    finally:
        consumer.close()
    assert len(records) == 200
    assert all(r.key == decode_quote(r.value).slug.encode() for r in records)
    got = {decode_quote(r.value).slug: decode_quote(r.value).to_dict() for r in records}
    assert_first_snapshot(got, pages=(1, 2))
