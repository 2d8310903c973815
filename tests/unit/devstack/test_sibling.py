"""The sibling stack make test gives the fault scenarios: distinct from its first stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.settings import DevstackSettings, sibling_environment


def _ports(settings: DevstackSettings) -> set[int]:
    s = settings
    quorum = {p for pair in s.zookeeper_quorum_ports for p in pair}
    return {*s.zookeeper_ports, *quorum, s.kafka_port, s.elasticsearch_port,
            s.elasticsearch_transport_port}  # fmt: skip


def test_sibling_takes_other_ports_and_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = DevstackSettings(home=tmp_path / "devstack", kafka_port=20092)
    env = sibling_environment(first, "chaos-test")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    sibling = DevstackSettings()

    assert sibling.kafka_port == 20592
    assert _ports(sibling).isdisjoint(_ports(first))
    assert len(_ports(sibling)) == len(_ports(first))  # still one port per listener
    assert sibling.home == tmp_path / "devstack-chaos-test"
    assert sibling.elasticsearch_dir.name == f"{first.elasticsearch_dir.name}-chaos-test"
    # Every value the chaos fixtures refuse when it is the shared stack's default.
    default = DevstackSettings.model_fields
    shared = ("home", "zookeeper_ports", "kafka_port", "elasticsearch_port", "elasticsearch_dir")
    for name in shared:
        assert getattr(sibling, name) != default[name].default, name
