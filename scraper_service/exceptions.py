"""The scraper's exception tree. Each class says who raises it and what the caller does."""

from __future__ import annotations


class ScraperError(Exception):
    """Root of every error the scraper raises on purpose."""


class PageRefused(ScraperError):
    """The site refused the load (Cloudflare challenge, 403, 429).

    Raised by `listing.detect_refusal` (hence `parse_page`). The service backs off
    exponentially and publishes nothing for that cycle; the CLI exits non-zero.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"page refused ({kind}): {detail}")
        self.kind = kind  # "cloudflare-challenge", "http-403" or "http-429"
        self.detail = detail


class LayoutNotFound(ScraperError):
    """The page has neither a listing table nor listing JSON: the layout is unreadable.

    Raised by `listing.parse_page`; the message names what was looked for. The
    service saves a bounded snapshot of the page, backs off and publishes nothing.
    """


class BrowserError(ScraperError):
    """The browser crashed, hung or could not load the page.

    Raised by `browser.Browser`. The service recycles the browser and backs off.
    """


class PublishError(ScraperError):
    """Kafka did not acknowledge messages within the delivery timeout.

    Raised by `publisher.Publisher`. The service logs it and retries next cycle.
    """
