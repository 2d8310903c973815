"""The shell scripts of deploy/ (one-shot provisioning, the images' `cryptoviz`) pass ShellCheck."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SHELLCHECK = Path(sys.executable).parent / "shellcheck"
SCRIPTS = sorted((ROOT / "deploy").glob("*.sh"))


def shellcheck(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SHELLCHECK), "--severity=style", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_provisioning_script_is_checked() -> None:
    assert [p.name for p in SCRIPTS] == [
        "cryptoviz.sh",
        "elasticsearch-setup.sh",
        "kafka-sasl-setup.sh",
        "kafka-topics.sh",
    ]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shellcheck_passes(script: Path) -> None:
    result = shellcheck(script)
    assert result.returncode == 0, result.stdout


def test_shellcheck_catches_unquoted_expansion(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sh"
    bad.write_text('#!/usr/bin/env bash\nrm -rf $DIR/*\necho "`date`"\n')
    result = shellcheck(bad)
    assert result.returncode != 0
    assert "SC2086" in result.stdout
