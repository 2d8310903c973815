"""deploy/kibana_import.py against a stub Kibana on 127.0.0.1.

The stub records each request and answers like Kibana's import API, including
its HTTP 200 with ``success: false``.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from deploy import kibana_import

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class StubKibana:
    """What the stub answers, and what it received."""

    url: str = ""
    status_level: str = "available"
    import_response: dict[str, Any] = field(
        default_factory=lambda: {"success": True, "successCount": 3, "errors": []}
    )
    # Headers stay an email.message.Message: names are case-insensitive, as in HTTP.
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def kibana() -> Iterator[StubKibana]:
    stub = StubKibana()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            self._answer({"status": {"overall": {"level": stub.status_level}}})

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            stub.requests.append(
                {"path": self.path, "headers": self.headers, "body": self.rfile.read(length)}
            )
            self._answer(stub.import_response)

        def log_message(self, *_args: Any) -> None:  # keep pytest output clean
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


def client(stub: StubKibana) -> kibana_import.Kibana:
    return kibana_import.Kibana(stub.url, "elastic", "s3cretpassword")


def ndjson_dir(tmp_path: Path) -> Path:
    (tmp_path / "10-b.ndjson").write_text('{"type":"lens","id":"b"}\n')
    (tmp_path / "00-a.ndjson").write_text('{"type":"index-pattern","id":"a"}\n')
    return tmp_path


def test_imports_every_file_in_order_with_the_api_contract(
    kibana: StubKibana, tmp_path: Path
) -> None:
    total = kibana_import.import_all(client(kibana), ndjson_dir(tmp_path))
    assert total == 6
    assert [r["path"] for r in kibana.requests] == ["/api/saved_objects/_import?overwrite=true"] * 2
    first = kibana.requests[0]
    assert first["headers"]["kbn-xsrf"]
    expected = base64.b64encode(b"elastic:s3cretpassword").decode()
    assert first["headers"]["Authorization"] == f"Basic {expected}"
    assert first["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="00-a.ndjson"' in first["body"]
    assert b'{"type":"index-pattern","id":"a"}' in first["body"]
    assert b'filename="10-b.ndjson"' in kibana.requests[1]["body"]


def test_success_false_with_errors_fails_with_the_reason(
    kibana: StubKibana, tmp_path: Path
) -> None:
    kibana.import_response = {
        "success": False,
        "successCount": 0,
        "errors": [
            {
                "type": "lens",
                "id": "b",
                "error": {"type": "missing_references", "references": [{"id": "dv"}]},
            }
        ],
    }
    with pytest.raises(kibana_import.ImportFailed, match=r"lens/b: .*missing_references"):
        kibana_import.import_all(client(kibana), ndjson_dir(tmp_path))


def test_success_false_without_errors_still_fails(kibana: StubKibana, tmp_path: Path) -> None:
    kibana.import_response = {"success": False, "successCount": 0}
    with pytest.raises(kibana_import.ImportFailed, match="success is False"):
        kibana_import.import_all(client(kibana), ndjson_dir(tmp_path))


def test_empty_directory_fails(kibana: StubKibana, tmp_path: Path) -> None:
    with pytest.raises(kibana_import.ImportFailed, match=r"no \.ndjson files"):
        kibana_import.import_all(client(kibana), tmp_path)


def test_waits_for_available_and_gives_up(
    kibana: StubKibana, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kibana_import, "READY_POLL_S", 0.01)
    client(kibana).wait_until_available(timeout_s=1)
    kibana.status_level = "degraded"
    with pytest.raises(kibana_import.ImportFailed, match="level degraded"):
        client(kibana).wait_until_available(timeout_s=0.1)


def test_main_exits_non_zero_on_failure(
    kibana: StubKibana, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIBANA_URL", kibana.url)
    monkeypatch.setenv("KIBANA_USERNAME", "elastic")
    monkeypatch.setenv("KIBANA_PASSWORD", "s3cretpassword")
    assert kibana_import.main(["kibana_import.py", str(ndjson_dir(tmp_path))]) == 0
    kibana.import_response = {"success": False, "errors": []}
    assert kibana_import.main(["kibana_import.py", str(tmp_path)]) == 1


def test_the_real_files_are_what_compose_imports() -> None:
    assert sorted(p.name for p in (ROOT / "kibana").glob("*.ndjson"))[0] == "00-data-views.ndjson"
