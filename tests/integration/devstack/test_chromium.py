"""Headless Chromium, driven by Selenium, renders a JavaScript page served on loopback."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from scraper_service.browser import CHROMIUM_FLAGS

pytestmark = pytest.mark.integration

PAGE = b"""<!doctype html><html><body><div id="out">static</div>
<script>setTimeout(() => {
  document.getElementById('out').textContent = 'rendered by js ' + (6 * 7);
}, 200);</script>
</body></html>"""


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_selenium_reads_what_javascript_rendered(site: str, tmp_path) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    # The scraper's own flags: this proves the browser works as the scraper drives it.
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(site)
        WebDriverWait(driver, 10).until(
            expected_conditions.text_to_be_present_in_element((By.ID, "out"), "rendered by js")
        )
        assert driver.find_element(By.ID, "out").text == "rendered by js 42"
    finally:
        driver.quit()
