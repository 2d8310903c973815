"""One-shot ``kibana-setup`` service: import the dashboards in ``kibana/*.ndjson``.

Usage: ``python kibana_import.py DIR``, with ``KIBANA_URL``, ``KIBANA_USERNAME``
and ``KIBANA_PASSWORD`` in the environment. Standard library only, so it runs in
a plain ``python`` image.

Waits until Kibana reports itself available, then posts each file (in name
order, so data views come first) to ``POST /api/saved_objects/_import?overwrite=true``.
Objects have fixed ids, so a second run overwrites instead of duplicating.
Kibana answers HTTP 200 even when objects failed, so the body's ``success`` and
``errors`` decide. Exit status: 0 when every object was imported, 1 otherwise,
with the reason logged (stderr).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

# Kibana takes a minute or two to start on a laptop; give it ample room.
READY_TIMEOUT_S = 600.0
READY_POLL_S = 5.0
REQUEST_TIMEOUT_S = 60.0

log = logging.getLogger("kibana_import")


class ImportFailed(Exception):
    """Raised when Kibana is unreachable, refuses a file or reports object errors."""


class Kibana:
    """Minimal Kibana API client: basic auth and the ``kbn-xsrf`` header on every call."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url.rstrip("/")
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "kbn-xsrf": "cryptoviz"}

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> tuple[int, Any]:
        """Send one request; return the status and the decoded JSON body (None if not JSON)."""
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, None

    def wait_until_available(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Poll ``GET /api/status`` until the overall level is ``available``."""
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                status, body = self.request("GET", "/api/status")
            except OSError as err:  # connection refused while Kibana starts
                last = str(err)
            else:
                level = ((body or {}).get("status") or {}).get("overall", {}).get("level")
                if status == 200 and level == "available":
                    return
                last = f"HTTP {status}, level {level}"
            time.sleep(READY_POLL_S)
        raise ImportFailed(f"Kibana not available after {timeout_s:.0f}s: {last}")

    def import_file(self, path: Path) -> dict[str, Any]:
        """Post one NDJSON file to the import API; return the response body."""
        boundary = uuid.uuid4().hex
        # The API requires the form field `file` and a filename ending in .ndjson.
        body = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'.encode(),
                b"Content-Type: application/ndjson\r\n\r\n",
                path.read_bytes(),
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        status, result = self.request(
            "POST",
            "/api/saved_objects/_import?overwrite=true",
            body,
            f"multipart/form-data; boundary={boundary}",
        )
        if status != 200 or not isinstance(result, dict):
            raise ImportFailed(f"{path.name}: HTTP {status}: {result}")
        return result


def problems(result: dict[str, Any]) -> list[str]:
    """Why an import response is not a full success; [] when every object was imported."""
    found = [
        f"{err.get('type')}/{err.get('id')}: {json.dumps(err.get('error'))}"
        for err in result.get("errors") or []
    ]
    if result.get("success") is not True and not found:
        found.append(f"success is {result.get('success')!r}")
    return found


def import_all(kibana: Kibana, directory: Path) -> int:
    """Import every ``*.ndjson`` in ``directory`` in name order; return the object count."""
    files = sorted(directory.glob("*.ndjson"))
    if not files:
        raise ImportFailed(f"no .ndjson files in {directory}")
    total = 0
    for path in files:
        result = kibana.import_file(path)
        found = problems(result)
        if found:
            raise ImportFailed(f"{path.name}: " + "; ".join(found))
        total += int(result.get("successCount", 0))
        log.info("imported %s: %s objects", path.name, result.get("successCount", 0))
    return total


def main(argv: list[str]) -> int:
    """Entry point; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if len(argv) != 2:
        log.error("usage: kibana_import.py DIR")
        return 2
    kibana = Kibana(
        os.environ["KIBANA_URL"], os.environ["KIBANA_USERNAME"], os.environ["KIBANA_PASSWORD"]
    )
    try:
        kibana.wait_until_available()
        total = import_all(kibana, Path(argv[1]))
    except ImportFailed as err:
        log.error("kibana import failed: %s", err)
        return 1
    log.info("kibana import done: %d objects", total)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
