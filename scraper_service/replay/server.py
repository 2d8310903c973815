"""A tiny local HTTP server for the replay pages and the test fixtures.

Routes: ``/`` and ``/?page=N`` serve the next snapshot of page N (cycling, like
a live site moving on between loads), or, when the server was given a
``render`` function, the page it renders for that load (the local runner
renders pages driven by real price paths this way, with code that stays out of
the scraper image); ``/snapshot/K/?page=N`` pins snapshot K;
``/fixture/NAME`` serves a file from ``fixtures_dir``, with status 403 or 429
when the name says so (``cf-403-…``, ``…-429-…``) as Cloudflare would.
Lazy rendering is in the pages themselves (an IntersectionObserver script).
"""

from __future__ import annotations

import argparse
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PAGES_DIR = Path(__file__).parent / "pages"
_PAGE_FILE = re.compile(r"^page(\d+)-snap(\d+)\.html$")


class ReplayServer:
    """Serves ``pages_dir`` on 127.0.0.1. `start` returns the base URL; `close` stops it."""

    def __init__(
        self,
        pages_dir: Path = PAGES_DIR,
        fixtures_dir: Path | None = None,
        port: int = 0,
        render: Callable[[int, int], str | None] | None = None,
    ):
        """``render(page, load)``, when given, makes the HTML of the ``load``-th (from 0)
        load of ``page``, or None when there is no such page."""
        self.pages_dir, self.fixtures_dir, self.port = pages_dir, fixtures_dir, port
        self.render = render
        self.snapshots: dict[int, dict[int, Path]] = defaultdict(dict)
        for path in pages_dir.glob("page*-snap*.html"):
            match = _PAGE_FILE.match(path.name)
            if match:
                self.snapshots[int(match.group(1))][int(match.group(2))] = path
        self._served: dict[int, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _next_load(self, page: int) -> int:
        with self._lock:
            count = self._served[page]
            self._served[page] += 1
        return count

    def next_page(self, page: int) -> bytes | None:
        """The body the next load of ``page`` gets; advances the cycle. Thread-safe."""
        if self.render is not None:
            html = self.render(page, self._next_load(page))
            return None if html is None else html.encode()
        snaps = self.snapshots.get(page)
        if not snaps:
            return None
        order = sorted(snaps)
        return snaps[order[self._next_load(page) % len(order)]].read_bytes()

    def resolve(self, raw_path: str) -> tuple[int, bytes | None]:
        """(status, body) for a request path; status 404 with no body when unknown."""
        parts = urlsplit(raw_path)
        page_arg = parse_qs(parts.query).get("page", ["1"])[0]
        page = int(page_arg) if page_arg.isdigit() else 1
        if parts.path == "/":
            body = self.next_page(page)
            return (200, body) if body else (404, None)
        pinned = re.fullmatch(r"/snapshot/(\d+)/?", parts.path)
        if pinned:
            found = self.snapshots.get(page, {}).get(int(pinned.group(1)))
            return (200, found.read_bytes()) if found else (404, None)
        fixture = re.fullmatch(r"/fixture/([\w.-]+\.html)", parts.path)
        if fixture and self.fixtures_dir is not None:
            path = self.fixtures_dir / fixture.group(1)
            if path.is_file():
                status = 429 if "429" in path.name else 403 if "cf-" in path.name else 200
                return status, path.read_bytes()
        return 404, None

    def start(self) -> str:
        """Start serving in a daemon thread. Returns ``http://127.0.0.1:PORT/``."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, found = server.resolve(self.path)
                body = found or b"<html><body>Not found</body></html>"
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # the scraper logs what it loads; per-request lines are noise

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def close(self) -> None:
        """Stop serving. Idempotent."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


def main() -> None:
    """``python -m scraper_service.replay.server --port 8765``: serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server = ReplayServer(port=args.port)
    print(server.start(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.close()


if __name__ == "__main__":
    main()
