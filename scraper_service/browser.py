"""Headless Chromium through Selenium: load a listing page and render every row.

One browser is kept across cycles (start-up costs ~1 s); `Browser.fetch` recycles
it after a crash and every ``recycle_every`` loads, because long-lived Chromium
processes grow. Selenium exposes no HTTP status: `listing.detect_refusal` reads
it from the returned page.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service

from scraper_service.exceptions import BrowserError

log = logging.getLogger(__name__)

CHROMIUM_FLAGS = (
    "--headless=new",
    # Chromium's sandbox needs user namespaces, which Docker's default seccomp profile denies.
    "--no-sandbox",
    "--disable-dev-shm-usage",  # /dev/shm is 64 MB in Docker
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--blink-settings=imagesEnabled=false",
    "--window-size=1366,2000",
)
SCROLL_PAUSE_S = 0.05  # lets IntersectionObserver callbacks and row fetches run
STABLE_ROUNDS = 6  # full-row count unchanged this many rounds at the bottom = done
# Counts rows and full rows (a full row has no colspan cell and >= 10 cells), then scrolls.
_SCROLL_JS = """
const table = document.querySelector('table[class*="cmc-table"]');
const rows = table ? table.querySelectorAll(':scope > tbody > tr') : [];
let full = 0;
rows.forEach(r => { if (r.cells.length >= 10 && !r.querySelector('td[colspan]')) full++; });
window.scrollBy(0, Math.max(200, Math.floor(window.innerHeight * 0.9)));
const bottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 2;
return [rows.length, full, bottom];
"""


class Browser:
    """A lazily started headless Chromium. Not thread-safe; call `close` when done."""

    def __init__(
        self,
        binary: str = "/usr/bin/chromium",
        driver: str = "/usr/bin/chromedriver",
        page_load_timeout_s: float = 30.0,
        render_budget_s: float = 8.0,
        recycle_every: int = 100,
    ) -> None:
        self.binary, self.driver_path = binary, driver
        self.page_load_timeout_s = page_load_timeout_s
        self.render_budget_s = render_budget_s
        self.recycle_every = recycle_every
        self._driver: webdriver.Chrome | None = None
        self._profile: str | None = None
        self._loads = 0

    @property
    def pid(self) -> int | None:
        """The chromedriver process id (its children are the browser), if running."""
        if self._driver is None:
            return None
        return self._driver.service.process.pid

    def start(self) -> None:
        """Start Chromium with a fresh temporary profile. Idempotent. Raises BrowserError."""
        if self._driver is not None:
            return
        options = webdriver.ChromeOptions()
        options.binary_location = self.binary
        options.page_load_strategy = "eager"  # DOMContentLoaded; don't wait for ads/images
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        self._profile = tempfile.mkdtemp(prefix="cryptoviz-chromium-")
        options.add_argument(f"--user-data-dir={self._profile}")
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.images": 2}
        )
        try:
            self._driver = webdriver.Chrome(options=options, service=Service(self.driver_path))
            self._driver.set_page_load_timeout(self.page_load_timeout_s)
            self._driver.set_script_timeout(10)
        except WebDriverException as err:
            self._cleanup_profile()
            raise BrowserError(f"cannot start Chromium: {err.msg}") from err
        self._loads = 0
        log.info("browser started", extra={"pid": self.pid})

    def close(self) -> None:
        """Quit Chromium and remove its profile. Idempotent; never raises."""
        driver, self._driver = self._driver, None
        if driver is not None:
            try:
                driver.quit()
            except WebDriverException as err:
                log.warning("browser quit failed", extra={"error": str(err)})
        self._cleanup_profile()

    def _cleanup_profile(self) -> None:
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def fetch(self, url: str) -> tuple[str, dict[str, float | int]]:
        """Load ``url``, scroll until all rows are full (within the budget), return the HTML.

        Also returns render stats (rows, full_rows, load_s, render_s). Raises
        BrowserError (after recycling the browser) on a crash or a load timeout.
        """
        if self._loads >= self.recycle_every:
            log.info("recycling browser", extra={"loads": self._loads})
            self.close()
        self.start()
        assert self._driver is not None
        try:
            started = time.monotonic()
            self._driver.get(url)
            loaded = time.monotonic()
            rows, full = self._render_all()
            html = self._driver.page_source
        except (TimeoutException, WebDriverException) as err:
            self.close()  # a hung or crashed renderer is not worth reusing
            raise BrowserError(f"loading {url} failed: {getattr(err, 'msg', err)}") from err
        finally:
            self._loads += 1
        stats = {
            "rows": rows,
            "full_rows": full,
            "load_s": round(loaded - started, 3),
            "render_s": round(time.monotonic() - loaded, 3),
        }
        return html, stats

    def _render_all(self) -> tuple[int, int]:
        """Scroll one viewport at a time until every row is full, or the count stops growing."""
        assert self._driver is not None
        deadline = time.monotonic() + self.render_budget_s
        best, stable, rows, full = -1, 0, 0, 0
        while time.monotonic() < deadline:
            rows, full, bottom = self._driver.execute_script(_SCROLL_JS)
            if rows and full >= rows:
                break
            stable = stable + 1 if (full == best and bottom) else 0
            best = max(best, full)
            if stable >= STABLE_ROUNDS or rows == 0:
                break
            time.sleep(SCROLL_PAUSE_S)
        self._driver.execute_script("window.scrollTo(0, 0)")
        return rows, full
