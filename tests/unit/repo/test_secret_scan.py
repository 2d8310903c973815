"""No secret is committed: detect-secrets over every tracked file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
# Copies of third-party page markup; their challenge tokens and ray ids are not ours.
THIRD_PARTY_MARKUP = r"^(tests/fixtures/cmc|scraper_service/replay/pages)/"


def scan(root: Path, files: list[str]) -> dict[str, list[dict[str, object]]]:
    result = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "--exclude-files", THIRD_PARTY_MARKUP,
         *files],
        cwd=root, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    findings: dict[str, list[dict[str, object]]] = json.loads(result.stdout)["results"]
    return findings


def test_no_tracked_file_holds_a_secret() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert len(tracked) > 50
    findings = scan(REPO, tracked)
    assert findings == {}, {path: [f["type"] for f in hits] for path, hits in findings.items()}


def test_the_scan_finds_a_planted_secret(tmp_path: Path) -> None:
    planted = tmp_path / "settings.py"
    planted.write_text(
        'AWS_SECRET = "AKIAIOSFODNN7EXAMPLQ"\n'  # pragma: allowlist secret
        'password = "pA55-w0rd-9f8e7d6c5b4a"\n'  # pragma: allowlist secret
    )
    findings = scan(tmp_path, ["settings.py"])
    types = {f["type"] for f in findings["settings.py"]}
    assert "AWS Access Key" in types
    assert "Secret Keyword" in types
