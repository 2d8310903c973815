"""Verdicts of `status` from readings."""

from __future__ import annotations

from cryptoviz import health


def test_a_server_that_answers_is_up_and_one_that_does_not_names_its_fix() -> None:
    assert health.server("kafka", "h:1", None).ok
    down = health.server("elasticsearch", "http://h:9200", "connection refused")
    assert not down.ok
    assert down.problem() == (
        "elasticsearch (http://h:9200) is down (connection refused); fix: "
        + health.FIXES["elasticsearch"]
    )


def test_zookeeper_up_as_leader_or_follower_only() -> None:
    assert health.zookeeper("zookeeper1", "h:2181", "follower", None).state == "follower"
    down = health.zookeeper("zookeeper2", "h:2182", None, "no answer: Connection refused")
    assert not down.ok
    assert "zookeeper2 (h:2182) is down (no answer" in down.problem()
    assert "docker compose up -d zookeeper2" in down.problem()


def test_a_service_is_judged_by_the_age_of_what_it_wrote() -> None:
    assert health.fresh("scraper", "t", 42.4, 300, "quote published").state == (
        "last quote published 42s ago"
    )
    stale = health.fresh("ia", "i", 901, 900, "forecast issued")
    assert not stale.ok
    assert "more than 900s" in stale.state
    assert not health.fresh("scraper", "t", None, 300, "quote published").ok


def test_the_indexer_is_up_while_its_group_has_members() -> None:
    assert health.members("indexer", "g", 1).ok
    assert not health.members("indexer", "g", 0).ok


def test_a_report_is_ok_only_when_every_check_is() -> None:
    report = health.Report(checks=[health.server("kafka", "h", None)], lag={0: 3})
    assert report.ok
    assert report.problems() == []
    assert report.to_dict()["lag"] == {"0": 3}
    report.checks.append(health.unknown("indexer", "g", "Kafka is down"))
    assert not report.ok
    assert report.problems() == ["indexer (g) is unknown (Kafka is down)"]


def test_ages() -> None:
    assert health.age_s(10_000, 4_000) == 6.0
    assert health.age_s(10_000, 12_000) == 0.0
    assert health.age_s(10_000, None) is None
    assert health.newest([None, 5, 3]) == 5
    assert health.newest([None]) is None
