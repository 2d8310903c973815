"""One listing page's HTML -> schema-v1 quotes plus rejected rows. Pure apart from the clock.

Refusals (Cloudflare challenge, 403, 429) and unreadable layouts raise; a page
that parses yields a `PageResult` even if some rows were rejected.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from cryptoviz_core.schema import QuoteV1
from scraper_service.dom import find_table, next_data_text, page_soup, parse_table
from scraper_service.exceptions import LayoutNotFound, PageRefused
from scraper_service.next_data import parse_next_data
from scraper_service.reconcile import FIELDS, REQUIRED, Candidate, Note, Rejected, reconcile

Source = Literal["coinmarketcap", "replay"]
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_ACTIVE_PAGE = re.compile(r'aria-label="Page (\d+) is your current page"')


@dataclass(frozen=True)
class PageResult:
    """What one page yielded: quotes in rank order, rejected coins, notes and coverage.

    Coverage: ``listed`` coins (table rows and JSON entries, one per coin, less
    ``non_coins``) against ``quotes``; every listed coin not published is in
    ``rejected`` with its reason.
    """

    page: int
    quotes: list[QuoteV1]
    rejected: list[Rejected] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    non_coins: list[str | None] = field(default_factory=list)
    listed: frozenset[str] = frozenset()
    json_generation: str | None = None
    table_rows: int = 0
    json_entries: int = 0

    @property
    def skipped(self) -> int:
        """How many rows or entries were not coins."""
        return len(self.non_coins)

    @property
    def from_dom(self) -> int:
        """How many quotes came from the rendered table."""
        return sum(q.origin == "dom" for q in self.quotes)

    @property
    def from_json(self) -> int:
        """How many quotes came from __NEXT_DATA__ (placeholders, missing rows)."""
        return sum(q.origin == "json" for q in self.quotes)

    def unaccounted(self) -> set[str]:
        """Listed coins neither published nor rejected: always empty, or a parser defect."""
        return set(self.listed) - {q.slug for q in self.quotes} - {r.slug for r in self.rejected}

    def coverage(self) -> str:
        """One line, e.g. ``101 rows, 100 JSON entries, 1 non-coin, 100 listed, 100
        published, 0 rejected``."""
        return (
            f"{self.table_rows} rows, {self.json_entries} JSON entries, {self.skipped} non-coin, "
            f"{len(self.listed)} listed, {len(self.quotes)} published, "
            f"{len(self.rejected)} rejected"
        )

    def log(self, log: logging.Logger, **context: Any) -> None:
        """Logs the coverage line, then every coin left out and every field the table
        could not give, with slug and reason."""
        extra = {"page": self.page, **context}
        log.info(
            "page coverage",
            extra={
                **extra,
                "coverage": self.coverage(),
                "rows": self.table_rows,
                "json_entries": self.json_entries,
                "non_coins": self.skipped,
                "listed": len(self.listed),
                "published": len(self.quotes),
                "rejected": len(self.rejected),
            },
        )
        for slug in self.non_coins:
            log.info("non-coin row skipped", extra={**extra, "slug": slug})
        for row in self.rejected:
            log.warning("coin rejected", extra={**extra, "slug": row.slug, "reason": row.reason})
        for note in self.notes:
            log.info(
                "field not from the table",
                extra={**extra, "slug": note.slug, "field": note.field, "reason": note.reason},
            )
        for slug in sorted(self.unaccounted()):
            log.error("coin lost without a reason", extra={**extra, "slug": slug})


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


def _quote(candidate: Candidate, fixed: dict[str, Any]) -> QuoteV1 | Rejected:
    """The candidate's quote; a value the schema refuses gives way to the other source's.

    Rejected only when no price is valid in either source, or the identity is invalid.
    """
    for _ in range(2 * len(FIELDS) + 1):
        missing = candidate.missing_price()
        if missing:
            return Rejected(candidate.slug, missing)
        try:
            return QuoteV1(**fixed, **candidate.identity, **candidate.values())
        except ValidationError as err:
            refused = {str(e["loc"][0]): e["msg"] for e in err.errors() if e["loc"]}
            fields = [name for name in refused if name in FIELDS]
            if len(fields) < len(refused):
                return Rejected(candidate.slug, _reason(err))
            for name in fields:
                candidate.choices[name].drop_first(f"refused: {refused[name]}")
    return Rejected(candidate.slug, f"{REQUIRED}: no valid value")


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
    rows = parse_table(table) if table is not None else []
    table_slugs = frozenset(r.slug for r in rows if r.slug)
    table_currency = next((r.currency for r in rows if r.currency), None)
    listing = parse_next_data(next_data_text(soup), table_slugs, table_currency)
    if not rows and (listing is None or not listing.coins):
        raise LayoutNotFound(
            "no listing found: no <table> with class 'cmc-table' having rows, and no coin list "
            "in __NEXT_DATA__ (no list of objects with id, slug, name and symbol, and no "
            "COMPRESSED_KEYS_ARR listing)"
        )
    if page is None:
        active = _ACTIVE_PAGE.search(html)
        page = int(active.group(1)) if active else (listing.page if listing and listing.page else 1)
    currency = (listing.currency if listing else None) or table_currency or "USD"
    merged = reconcile(rows, listing)
    fixed = {"source": source, "scraped_at": scraped_at, "currency": currency, "page": page}
    quotes: list[QuoteV1] = []
    rejected: list[Rejected] = []
    notes: list[Note] = []
    for candidate in merged.candidates:
        built = _quote(candidate, fixed)
        if isinstance(built, QuoteV1):
            quotes.append(built)
            notes.extend(candidate.notes())
        else:
            rejected.append(built)
    published = {q.slug for q in quotes}
    for row in merged.rejected:
        if row.slug in published:
            # A JSON entry that could not be decoded, for a coin the table gave.
            notes.append(Note(row.slug, "json", row.reason))
        else:
            rejected.append(row)
    quotes.sort(key=lambda q: (q.rank is None, q.rank or 0))
    return PageResult(
        page=page,
        quotes=quotes,
        rejected=rejected,
        notes=notes,
        non_coins=merged.non_coins,
        listed=frozenset(merged.listed),
        json_generation=listing.generation if listing else None,
        table_rows=len(rows),
        json_entries=len(listing.coins) + len(listing.rejected) if listing else 0,
    )
