"""Server configurations the stack writes, and its clear failures."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from devstack import kafka, zookeeper
from devstack.exceptions import DevstackError
from devstack.maven import copy_dependencies
from devstack.readiness import wait_until
from devstack.settings import DevstackSettings
from devstack.stack import Stack


def test_zookeeper_node_config(tmp_path: Path) -> None:
    cfg = zookeeper.write_config(2, tmp_path / "zk2", 12182, [(12888, 13888), (12889, 13889)])
    text = cfg.read_text()
    assert (tmp_path / "zk2" / "myid").read_text().strip() == "2"
    assert "clientPort=12182" in text
    assert "clientPortAddress=127.0.0.1" in text
    assert "server.1=127.0.0.1:12888:13888" in text
    assert "server.2=127.0.0.1:12889:13889" in text
    assert "admin.enableServer=false" in text
    assert "srvr" in text
    assert "dump" in text


def test_kafka_config_is_loopback_and_needs_explicit_topics(tmp_path: Path) -> None:
    text = kafka.write_config(tmp_path, 19092, [12181, 12182]).read_text()
    assert "listeners=PLAINTEXT://127.0.0.1:19092" in text
    assert "zookeeper.connect=127.0.0.1:12181,127.0.0.1:12182" in text
    assert "auto.create.topics.enable=false" in text
    assert "offsets.topic.replication.factor=1" in text


def test_port_in_use_is_named_with_its_setting(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        stack = Stack(DevstackSettings(home=tmp_path, kafka_port=port))
        with pytest.raises(
            DevstackError, match=f"port {port} for kafka is already in use.*DEVSTACK_KAFKA_PORT"
        ):
            stack._check_ports("kafka")


def test_maven_failure_is_one_clear_line(tmp_path: Path) -> None:
    fake_mvn = tmp_path / "mvn"
    fake_mvn.write_text(
        "#!/bin/sh\necho '[ERROR] Could not find artifact org.example:x:jar:9'\nexit 1\n"
    )
    fake_mvn.chmod(fake_mvn.stat().st_mode | stat.S_IEXEC)
    pom = tmp_path / "devstack" / "pom.xml"
    pom.parent.mkdir()
    pom.write_text("<project/>")
    with pytest.raises(
        DevstackError, match=r"Could not find artifact org\.example:x:jar:9.*Maven Central"
    ):
        copy_dependencies(pom, tmp_path / "lib", maven=str(fake_mvn))
    assert not (tmp_path / "lib").exists()


def test_missing_maven_says_how_to_install(tmp_path: Path) -> None:
    pom = tmp_path / "pom.xml"
    pom.write_text("<project/>")
    with pytest.raises(DevstackError, match="apt-get install maven"):
        copy_dependencies(pom, tmp_path / "lib", maven="no-such-mvn-here")


def test_warm_cache_needs_no_maven(tmp_path: Path) -> None:
    pom = tmp_path / "pom.xml"
    pom.write_text("<project/>")
    fake_mvn = tmp_path / "mvn"
    fake_mvn.write_text(
        '#!/bin/sh\nfor a; do case $a in -DoutputDirectory=*) mkdir -p "${a#*=}";; esac; done\n'
    )
    fake_mvn.chmod(0o755)
    copy_dependencies(pom, tmp_path / "lib", maven=str(fake_mvn))
    fake_mvn.write_text("#!/bin/sh\nexit 1\n")  # would fail if called again
    assert copy_dependencies(pom, tmp_path / "lib", maven=str(fake_mvn)) == tmp_path / "lib"


def test_wait_until_fails_fast_when_the_process_dies() -> None:
    with pytest.raises(DevstackError, match="exited while starting"):
        wait_until("thing", lambda: False, timeout_s=30, alive=lambda: False)


def test_wait_until_times_out() -> None:
    with pytest.raises(DevstackError, match="not ready after 0s"):
        wait_until("thing", lambda: False, timeout_s=0.3)
