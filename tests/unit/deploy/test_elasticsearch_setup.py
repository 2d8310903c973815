"""deploy/elasticsearch-setup.sh, run for real against a local stand-in of Elasticsearch.

The stand-in answers what matters to these checks: that security is on (the
unauthenticated ``GET /``), and the status of the password call. The certificate
steps are skipped by files that say they are done, as on a second ``compose up``.
"""

from __future__ import annotations

import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy" / "elasticsearch-setup.sh"
GOOD = {
    "ELASTIC_PASSWORD": "elastic0123456789",  # pragma: allowlist secret
    "KIBANA_SYSTEM_PASSWORD": "kibana0123456789",  # pragma: allowlist secret
    "INDEXER_ES_PASSWORD": "indexer0123456789",  # pragma: allowlist secret
    "IA_ES_PASSWORD": "ia0123456789abc",  # pragma: allowlist secret
    "KIBANA_ENCRYPTION_KEY": "k" * 32,
}


class StandIn(http.server.BaseHTTPRequestHandler):
    """Security on; the password call answers ``status`` (set per test)."""

    status = 200

    def do_GET(self) -> None:
        self.answer(401, b'{"error":"missing authentication credentials"}')

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"{}" if self.status == 200 else b'{"error":{"type":"x"},"status":%d}' % self.status
        self.answer(self.status, body)

    do_PUT = do_POST

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[tuple[str, type[StandIn]]]:
    handler = type("Handler", (StandIn,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


def run_setup(workdir: Path, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    certs = workdir / "config" / "certs"
    (certs / "ca").mkdir(parents=True, exist_ok=True)
    for done in ("ca.zip", "certs.zip", "ca/ca.crt"):
        (certs / done).write_text("made by an earlier start\n")
    (workdir / "ca-export").mkdir(exist_ok=True)
    environment = {
        "PATH": "/usr/bin:/bin",
        "ES_URL": url,
        "CA_EXPORT_DIR": str(workdir / "ca-export"),
        "SETUP_ATTEMPTS": "5",
        "SETUP_RETRY_S": "0.1",
        **GOOD,
        **env,
    }
    return subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_setup_completes_against_a_healthy_node(
    tmp_path: Path, stand_in: tuple[str, type[StandIn]]
) -> None:
    done = run_setup(tmp_path, stand_in[0])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("setup done")
    assert (tmp_path / "ca-export" / "ca.crt").exists()


@pytest.mark.parametrize("key", ["change-me", "k" * 12, "change-me-" * 4, ""])
def test_a_bad_kibana_key_is_refused_in_one_line(
    tmp_path: Path, stand_in: tuple[str, type[StandIn]], key: str
) -> None:
    done = run_setup(tmp_path, stand_in[0], KIBANA_ENCRYPTION_KEY=key)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("KIBANA_ENCRYPTION_KEY must be at least 32 characters")
    assert not (tmp_path / "ca-export" / "ca.crt").exists()  # refused before any step


@pytest.mark.parametrize(
    ("status", "says"),
    [
        # Elasticsearch keeps the elastic password of its first start: no retry helps.
        (401, ["ELASTIC_PASSWORD is refused (HTTP 401)", "Changing a password"]),
        # Anything else is retried, a bounded number of times, and shown.
        (503, ["could not set the kibana_system password after 5 attempts", '"status":503']),
    ],
)
def test_a_refused_password_call_ends_in_one_line_saying_why(
    tmp_path: Path, stand_in: tuple[str, type[StandIn]], status: int, says: list[str]
) -> None:
    url, handler = stand_in
    handler.status = status
    done = run_setup(tmp_path, url)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(says[0])
    assert says[1] in last
