"""Dead letters read back from their headers, grouped, and planned for replay."""

from __future__ import annotations

from cryptoviz.dead_letters import HEADER_REPLAY_OF, DeadLetter, by_reason, plan_replay
from indexer_service.batch import Record
from indexer_service.dead_letter import DeadLetter as Written
from tests.support.indexer_fakes import FakeRecord


def written(reason: str, value: bytes, offset: int, source_offset: int) -> DeadLetter:
    """A dead letter as the indexer writes it, read back from the DLQ at ``offset``."""
    source: Record = FakeRecord("quotes", 1, source_offset, b"k", value, (("trace", b"t1"),))
    letter = Written(source, reason, f"bad {source_offset}")
    return DeadLetter.of(FakeRecord("dlq", 0, offset, b"k", value, tuple(letter.headers())))


def test_a_dead_letter_is_read_back_from_the_indexers_headers() -> None:
    letter = written("schema-invalid", b"{}", 4, 17)
    assert (letter.reason, letter.error) == ("schema-invalid", "bad 17")
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (
        "quotes",
        "1",
        "17",
    )
    assert letter.other_headers == (("trace", b"t1"),)
    assert letter.sample()["source"] == "quotes:1:17"


def test_a_record_without_headers_has_an_unknown_reason() -> None:
    letter = DeadLetter.of(FakeRecord("dlq", 0, 0, None, b"x"))
    assert letter.reason == "unknown"
    assert letter.source_topic is None


def test_grouped_by_reason_most_frequent_first_with_bounded_samples() -> None:
    letters = [written("a", b"1", 0, 0), written("b", b"2", 1, 1), written("b", b"3", 2, 2)]
    groups = by_reason(letters, samples=1)
    assert [(g.reason, g.count, len(g.samples)) for g in groups] == [("b", 2, 1), ("a", 1, 1)]
    assert groups[0].to_dict()["samples"][0]["dlq_offset"] == "0:1"


def test_replay_sends_each_distinct_message_once_to_its_source() -> None:
    letters = [
        written("elasticsearch-rejected", b"q1", 0, 10),
        written("elasticsearch-rejected", b"q2", 1, 11),
        written("elasticsearch-rejected", b"q1", 2, 30),  # dead-lettered again
    ]
    plan = plan_replay(letters, "dlq", "fallback", None)
    assert [(m.topic, m.key, m.value) for m in plan] == [
        ("quotes", b"k", b"q1"),
        ("quotes", b"k", b"q2"),
    ]
    assert dict(plan[0].headers) == {"trace": b"t1", HEADER_REPLAY_OF: b"dlq:0:0"}


def test_replay_filters_by_reason_and_falls_back_to_the_default_topic() -> None:
    letters = [written("a", b"1", 0, 0), DeadLetter.of(FakeRecord("dlq", 0, 1, None, b"2"))]
    assert [m.value for m in plan_replay(letters, "dlq", "quotes", "a")] == [b"1"]
    unknown = plan_replay(letters, "dlq", "quotes", "unknown")
    assert [(m.topic, m.value) for m in unknown] == [("quotes", b"2")]


def test_a_replayed_message_keeps_pointing_at_its_first_dead_letter() -> None:
    first = plan_replay([written("a", b"1", 5, 0)], "dlq", "quotes", None)[0]
    again = DeadLetter.of(FakeRecord("dlq", 0, 9, b"k", b"1", first.headers))
    assert dict(plan_replay([again], "dlq", "quotes", None)[0].headers)[HEADER_REPLAY_OF] == (
        b"dlq:0:5"
    )


def test_nothing_to_replay() -> None:
    assert plan_replay([written("a", b"1", 0, 0)], "dlq", "quotes", "b") == []
