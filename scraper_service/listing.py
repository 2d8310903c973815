"""One listing page's HTML -> schema-v1 quotes plus rejected rows. Pure apart from the clock.

Refusals (Cloudflare challenge, 403, 429) and unreadable layouts raise; a page
that parses yields a `PageResult` even if some rows were rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from cryptoviz_core.schema import QuoteV1
from scraper_service.dom import find_table, next_data_text, page_soup, parse_table
from scraper_service.exceptions import LayoutNotFound, PageRefused
from scraper_service.next_data import parse_next_data
from scraper_service.reconcile import Rejected, reconcile

Source = Literal["coinmarketcap", "replay"]
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_ACTIVE_PAGE = re.compile(r'aria-label="Page (\d+) is your current page"')


@dataclass(frozen=True)
class PageResult:
    """What one page yielded: quotes in rank order, rejected rows, and provenance counts."""

    page: int
    quotes: list[QuoteV1]
    rejected: list[Rejected] = field(default_factory=list)
    skipped: int = 0
    json_generation: str | None = None
    table_rows: int = 0

    @property
    def from_dom(self) -> int:
        """How many quotes came from the rendered table."""
        return sum(q.origin == "dom" for q in self.quotes)

    @property
    def from_json(self) -> int:
        """How many quotes came from __NEXT_DATA__ (placeholders, missing rows)."""
        return sum(q.origin == "json" for q in self.quotes)


def detect_refusal(html: str) -> None:
    """Raise PageRefused if the HTML is a block or challenge page rather than content.

    Selenium exposes no HTTP status, so the status is read from what Cloudflare and
    the site put in the page: the title and the challenge script markers.
    """
    match = _TITLE.search(html[:20000])
    title = " ".join(match.group(1).split()) if match else ""
    lowered = title.lower()
    has_table = "cmc-table" in html
    if "just a moment" in lowered or (
        not has_table and ("_cf_chl_opt" in html or "/cdn-cgi/challenge-platform" in html)
    ):
        raise PageRefused("cloudflare-challenge", title or "challenge script present")
    if (
        "429" in lowered
        or "too many requests" in lowered
        or (not has_table and ("Error 1015" in html or "You are being rate limited" in html))
    ):
        raise PageRefused("http-429", title or "rate limited")
    if "attention required" in lowered or "403" in lowered or lowered.startswith("access denied"):
        raise PageRefused("http-403", title)


def _reason(err: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())


def parse_page(
    html: str, *, source: Source, scraped_at: datetime, page: int | None = None
) -> PageResult:
    """Parse a listing page. ``page`` defaults to the page the markup says it is (else 1).

    Raises PageRefused for a challenge/403/429 page and LayoutNotFound when the
    page has neither a ``cmc-table`` table with rows nor listing JSON.
    """
    detect_refusal(html)
    soup = page_soup(html)
    table = find_table(soup)
    listing = parse_next_data(next_data_text(soup))
    rows = parse_table(table) if table is not None else []
    if not rows and (listing is None or not listing.coins):
        raise LayoutNotFound(
            "no listing found: no <table> with class 'cmc-table' having rows, and no coin list "
            "in __NEXT_DATA__ (tried dehydratedState 'homepage-data', initialState keysArr, "
            "initialState listingLatest)"
        )
    if page is None:
        active = _ACTIVE_PAGE.search(html)
        page = int(active.group(1)) if active else (listing.page if listing and listing.page else 1)
    currency = listing.currency if listing else None
    currency = currency or next((r.currency for r in rows if r.currency), None) or "USD"
    merged = reconcile(rows, listing)
    quotes: list[QuoteV1] = []
    rejected = list(merged.rejected)
    for candidate in merged.candidates:
        try:
            quotes.append(
                QuoteV1(
                    source=source,
                    scraped_at=scraped_at,
                    currency=currency,
                    page=page,
                    **candidate,
                )
            )
        except ValidationError as err:
            rejected.append(Rejected(candidate.get("slug"), _reason(err)))
    quotes.sort(key=lambda q: (q.rank is None, q.rank or 0))
    return PageResult(
        page=page,
        quotes=quotes,
        rejected=rejected,
        skipped=len(merged.skipped),
        json_generation=listing.generation if listing else None,
        table_rows=len(rows),
    )
