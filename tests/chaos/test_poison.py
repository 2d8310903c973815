"""Scenario 6: poison mixed into a clean stream lands in the DLQ with its reason.

Oversized records (5 MB) never reach the topic. Decision: the topic keeps the
broker's default limit (message.max.bytes, about 1 MB): the largest valid quote
is under 2 KB, so a 5 MB record can only be garbage, and raising the limit would
let garbage grow every consumer's fetch memory. A producer with the default
max_request_size rejects it before sending; one configured above the limit is
refused by the broker. Both rejections are counted here, not dead-lettered.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaError, MessageSizeTooLargeError

from tests.chaos.conftest import Record
from tests.chaos.pipeline import ChaosRun, LoadProducer, acked_ids, make_quote, scaled

pytestmark = pytest.mark.integration

GOOD = scaled(20_000, 2_000)
FIVE_MB = 5 * 1024 * 1024
WAIT_S = 120.0
CONFLICT_DAY = datetime(2026, 1, 1, tzinfo=UTC)


def poison(conflict_index_day: datetime) -> dict[str, tuple[bytes, str]]:
    """Name -> (payload, the DLQ reason it must get)."""
    wrong_types = make_quote(1).to_json().replace(b'"price":', b'"price":"cheap","x":')
    conflict = make_quote(2).model_copy(update={"scraped_at": conflict_index_day})
    return {
        "malformed-json": (b'{"schema_version": 1, "slug": "bitc', "malformed-json"),
        "not-an-object": (b"[1, 2, 3]", "malformed-json"),
        "wrong-types": (wrong_types, "schema-invalid"),
        "unknown-schema-version": (
            b'{"schema_version": 2, "slug": "bitcoin"}',
            "unknown-schema-version",
        ),
        "mapping-conflict": (conflict.to_json(), "elasticsearch-rejected"),
    }


def oversized_rejections(bootstrap: str, topic: str) -> dict[str, str]:
    """Send one 5 MB record through each kind of producer; name -> how it was rejected."""
    outcomes = {}
    for name, limit in (("default-producer", None), ("producer-limit-raised", 6 * 1024 * 1024)):
        config = {} if limit is None else {"max_request_size": limit}
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", **config)
        try:
            producer.send(topic, key=b"huge", value=b"x" * FIVE_MB).get(timeout=30)
        except KafkaError as err:
            outcomes[name] = type(err).__name__
        else:
            outcomes[name] = "accepted"
        finally:
            producer.close(timeout=10)
    return outcomes


def test_poison_is_dead_lettered_with_reasons_and_the_rest_is_untouched(
    chaos: ChaosRun, record: Record
) -> None:
    # A daily index whose `slug` is a number: Elasticsearch rejects any quote of that day.
    chaos.es.indices.create(
        index=f"{chaos.prefix}-{CONFLICT_DAY:%Y.%m.%d}",
        mappings={"properties": {"slug": {"type": "long"}}},
    )
    indexer = chaos.start_indexer()
    first = LoadProducer(chaos.kafka, chaos.topic, GOOD // 2).start()
    first.join(WAIT_S)
    bad = poison(CONFLICT_DAY)
    producer = KafkaProducer(bootstrap_servers=chaos.kafka, acks="all")
    for name, (payload, _) in bad.items():
        producer.send(chaos.topic, key=name.encode(), value=payload).get(timeout=30)
    producer.close(timeout=10)
    oversized = oversized_rejections(chaos.kafka, chaos.topic)
    second = LoadProducer(chaos.kafka, chaos.topic, GOOD // 2, first=GOOD // 2).start()
    second.join(WAIT_S)
    tally, _ = chaos.drain_and_tally(indexer, WAIT_S, acked_ids(first) | acked_ids(second))
    letters = {r.key.decode(): r for r in chaos.dead_letters()}
    reasons = {name: dict(r.headers)["dlq.reason"].decode() for name, r in letters.items()}
    record(
        "poison",
        tally,
        dlq_reasons=[f"{name}: {reason}" for name, reason in reasons.items()],
        rejected_at_produce=len([o for o in oversized.values() if o != "accepted"]),
        oversized_5mb=[f"{name}: {outcome}" for name, outcome in oversized.items()],
    )
    assert reasons == {name: reason for name, (_, reason) in bad.items()}
    for name, (payload, _) in bad.items():
        assert letters[name].value == payload, name  # the original bytes, for replay
        assert dict(letters[name].headers)["dlq.error"], name
    assert (tally.produced, tally.indexed, tally.dead_lettered) == (GOOD + len(bad), GOOD, len(bad))
    assert (tally.lost, tally.duplicated) == (0, 0)
    assert oversized == {
        "default-producer": MessageSizeTooLargeError.__name__,
        "producer-limit-raised": MessageSizeTooLargeError.__name__,
    }
