"""Choosing a JDK by version."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import jdk
from devstack.exceptions import DevstackError


def fake_jdk(root: Path, name: str, version: str) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("#!/bin/sh\n")
    (home / "release").write_text(f'IMPLEMENTOR="x"\nJAVA_VERSION="{version}"\n')
    return home


@pytest.fixture
def jvm_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(jdk, "JVM_ROOTS", (tmp_path,))
    monkeypatch.delenv("ES_JAVA_HOME", raising=False)
    return tmp_path


def test_picks_the_oldest_fitting_major(jvm_root: Path) -> None:
    fake_jdk(jvm_root, "jdk-17", "17.0.15")
    fake_jdk(jvm_root, "jdk-25", "25.0.1")
    fake_jdk(jvm_root, "jdk-21", "21.0.4")
    assert jdk.find_java(minimum=21) == (jvm_root / "jdk-21" / "bin" / "java").resolve()
    assert jdk.find_java(minimum=11, maximum=21) == (jvm_root / "jdk-17" / "bin" / "java").resolve()


def test_missing_jdk_names_what_is_installed_and_the_fix(jvm_root: Path) -> None:
    fake_jdk(jvm_root, "jdk-17", "17.0.15")
    with pytest.raises(DevstackError, match=r"no JDK 21\+ found .*jdk-17 \(17\).*apt-get install"):
        jdk.find_java(minimum=21)


def test_env_override_must_be_recent_enough(
    jvm_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = fake_jdk(jvm_root, "jdk-17", "17.0.15")
    monkeypatch.setenv("ES_JAVA_HOME", str(old))
    with pytest.raises(DevstackError, match=r"ES_JAVA_HOME=.* is not a JDK 21"):
        jdk.find_java(minimum=21, env_var="ES_JAVA_HOME")
    new = fake_jdk(jvm_root, "jdk-25", "25.0.1")
    monkeypatch.setenv("ES_JAVA_HOME", str(new))
    assert jdk.find_java(minimum=21, env_var="ES_JAVA_HOME") == new / "bin" / "java"


def test_directories_without_a_release_file_are_ignored(jvm_root: Path) -> None:
    (jvm_root / "broken" / "bin").mkdir(parents=True)
    assert jdk.installed_jdks() == {}
