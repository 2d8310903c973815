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
IDLE_PASSES = 2  # passes over the pending rows that rendered none: the rest never fill
# One round of the render loop. A row is full when it has >= 10 cells and no colspan cell.
# Pending rows in view now have had a round to render; the next pending row never seen
# in view is scrolled to the top. When every pending row has been seen, a new pass
# starts again from the first: a row can be passed over before the page ever checked
# it (the first viewport, when the first scroll beats the first frame) and is only
# rendered when it enters the view again. Returns [rows, full rows, a pass began].
_SCROLL_JS = """
const table = document.querySelector('table[class*="cmc-table"]');
const rows = table ? Array.from(table.querySelectorAll(':scope > tbody > tr')) : [];
const pending = rows.filter(r => r.cells.length < 10 || r.querySelector('td[colspan]'));
let passBegan = !window.cryptovizSeen;
if (passBegan) window.cryptovizSeen = new WeakSet();
for (const row of pending) {
  const box = row.getBoundingClientRect();
  if (box.bottom > 0 && box.top < window.innerHeight) window.cryptovizSeen.add(row);
}
let next = pending.find(r => !window.cryptovizSeen.has(r));
if (!next && pending.length) {
  window.cryptovizSeen = new WeakSet();
  next = pending[0];
  passBegan = true;
}
if (next) next.scrollIntoView({block: 'start'});
return [rows.length, rows.length - pending.length, passBegan];
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
        """Scroll pending rows into view, in passes over the table, until every row is full,
        two whole passes in a row render none (rows that never fill, such as ads; one pass
        can be too quick for a slow page), or the budget ends."""
        assert self._driver is not None
        deadline = time.monotonic() + self.render_budget_s
        rows, full, full_when_pass_began, idle_passes = 0, 0, -1, 0
        while time.monotonic() < deadline:
            rows, full, pass_began = self._driver.execute_script(_SCROLL_JS)
            if rows == 0 or full >= rows:
                break
            if pass_began:
                idle_passes = idle_passes + 1 if full == full_when_pass_began else 0
                if idle_passes == IDLE_PASSES:
                    break
                full_when_pass_began = full
            time.sleep(SCROLL_PAUSE_S)
        self._driver.execute_script("window.scrollTo(0, 0)")
        return rows, full
