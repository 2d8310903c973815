"""The page parser on mutated markup: it never crashes and never emits garbage."""

from __future__ import annotations

import copy
import re
import time
from datetime import UTC, datetime
from pathlib import Path

from bs4 import BeautifulSoup, Tag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cryptoviz_core.schema import QuoteV1, decode_quote
from scraper_service.exceptions import LayoutNotFound, PageRefused
from scraper_service.listing import parse_page
from tests.support.listing_pages import listing_rows

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cmc"
PAGES = [
    (FIXTURES / name).read_text(encoding="utf-8")
    for name in ("reference-2025-rows.html", "synthetic-stress.html", "initial-b-keysarr.html")
]
SNIPPETS = [
    "<",
    ">",
    "</td>",
    "<td>",
    "</tr>",
    "<tr>",
    "--",
    "$",
    "%",
    ",",
    ".",
    "−",
    "₅",
    "<!-- -->",
    'colspan="9"',
    "icon-Caret-down",
    "data-nosnippet",
    '"',
    "9e999",
    "NaN",
    "</table>",
    "0",
]
mutation = st.tuples(
    st.integers(min_value=0), st.integers(min_value=0, max_value=40), st.sampled_from(SNIPPETS)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(PAGES))), st.lists(mutation, min_size=1, max_size=12))
def test_mutated_pages_yield_valid_quotes_or_reasons(index: int, mutations: list) -> None:
    html = PAGES[index]
    for position, cut, snippet in mutations:
        at = position % (len(html) + 1)
        html = html[:at] + snippet + html[at + cut :]
    try:
        result = parse_page(html, source="coinmarketcap", scraped_at=datetime.now(UTC))
    except (PageRefused, LayoutNotFound):
        return
    for quote in result.quotes:
        assert isinstance(quote, QuoteV1)
        assert decode_quote(quote.to_json()) == quote
    assert all(isinstance(r.reason, str) and r.reason for r in result.rejected)
    assert len({q.slug for q in result.quotes}) == len(result.quotes)


# Structured mutations: each breaks one thing the way real pages break, and the
# invariants are stronger than "no crash": a broken row must not leak into the
# others, and must come out as a valid quote or a rejection with a reason.
ROWS_PAGE = PAGES[2]  # 100 rendered rows plus __NEXT_DATA__
SCRAPED_AT = datetime(2026, 11, 28, tzinfo=UTC)
BASELINE = {
    q.slug: q for q in parse_page(ROWS_PAGE, source="coinmarketcap", scraped_at=SCRAPED_AT).quotes
}
GARBAGE = st.sampled_from(
    [
        "NaN",
        "9e999",
        "-5",
        "$--",
        "1.2.3",
        "$1,2,3,4",
        "∞",
        "",
        "$-3",
        "1e308%",
        "🚀",
        "₅2",  # a Unicode digit: str.isdigit() says yes, int() says no
        "$" + "9" * 40,
    ]
)


def _swap_contents(a: Tag, b: Tag) -> None:
    first, second = [c.extract() for c in list(a.contents)], [c.extract() for c in list(b.contents)]
    for child in second:
        a.append(child)
    for child in first:
        b.append(child)


def _slug(row: Tag) -> str | None:
    link = row.find("a", href=True)
    match = re.search(r"/currencies/([a-z0-9-]+)", str(link.get("href"))) if link else None
    return match.group(1) if match else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=99),
    st.sampled_from(["delete-cell", "swap-cells", "garbage-number"]),
    st.integers(min_value=0, max_value=10_000),
    GARBAGE,
)
def test_a_broken_row_is_rejected_or_valid_and_never_touches_the_others(
    row_index: int, kind: str, pick: int, garbage: str
) -> None:
    soup = BeautifulSoup(ROWS_PAGE, "lxml")
    row = listing_rows(soup)[row_index]
    slug = _slug(row)
    cells = row.find_all("td", recursive=False)
    i, j = pick % len(cells), (pick // len(cells)) % len(cells)
    if kind == "delete-cell":
        cells[i].decompose()
    elif kind == "swap-cells":
        _swap_contents(cells[i], cells[j])
    else:
        cells[i].string = garbage
    result = parse_page(str(soup), source="coinmarketcap", scraped_at=SCRAPED_AT)
    quotes = {q.slug: q for q in result.quotes}
    for other, quote in quotes.items():
        assert decode_quote(quote.to_json()) == quote
        if other != slug:
            assert quote == BASELINE[other], other  # the broken row leaked into another
    assert all(r.reason for r in result.rejected)
    assert set(BASELINE) - {slug} <= set(quotes)  # no other row was lost
    if slug in BASELINE:
        assert slug in quotes or slug in {r.slug for r in result.rejected}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0), st.integers(min_value=0))
def test_swapped_header_columns_never_yield_an_invalid_quote(a: int, b: int) -> None:
    soup = BeautifulSoup(ROWS_PAGE, "lxml")
    headers = soup.find("thead").find_all("th")  # type: ignore[union-attr]
    _swap_contents(headers[a % len(headers)], headers[b % len(headers)])
    try:
        result = parse_page(str(soup), source="coinmarketcap", scraped_at=SCRAPED_AT)
    except LayoutNotFound:
        return
    for quote in result.quotes:
        assert decode_quote(quote.to_json()) == quote
    assert all(r.reason for r in result.rejected)


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0))
def test_truncated_page_json_never_crashes_the_parser(fraction: float) -> None:
    soup = BeautifulSoup(ROWS_PAGE, "lxml")
    script = soup.find("script", id="__NEXT_DATA__")
    assert isinstance(script, Tag)
    assert script.string
    script.string = script.string[: int(len(script.string) * fraction)]
    result = parse_page(str(soup), source="coinmarketcap", scraped_at=SCRAPED_AT)
    for quote in result.quotes:
        assert decode_quote(quote.to_json()) == quote
    # Rendered rows do not depend on the JSON: none of them is lost.
    assert {q.slug for q in result.quotes} | {r.slug for r in result.rejected} >= set(BASELINE)


def test_a_huge_page_parses_in_bounded_time_with_unique_valid_quotes() -> None:
    soup = BeautifulSoup(ROWS_PAGE, "lxml")
    rows = listing_rows(soup)
    body = rows[0].parent
    assert body is not None
    for _ in range(40):  # 4,100 rows, about 40 times a real page
        for row in rows:
            body.append(copy.copy(row))
    html = str(soup)
    started = time.monotonic()
    result = parse_page(html, source="coinmarketcap", scraped_at=SCRAPED_AT)
    assert time.monotonic() - started < 60
    assert len(html) > 10_000_000 or len(result.quotes) <= len(BASELINE)
    assert len({q.slug for q in result.quotes}) == len(result.quotes)
    assert all(decode_quote(q.to_json()) == q for q in result.quotes)


def test_a_rank_in_unicode_digits_is_not_taken_for_a_number() -> None:
    # Found by the mutation test above: "₅2".isdigit() is True but int() refuses it.
    soup = BeautifulSoup(ROWS_PAGE, "lxml")
    row = listing_rows(soup)[0]
    row.find_all("td", recursive=False)[1].string = "₅2"
    result = parse_page(str(soup), source="coinmarketcap", scraped_at=SCRAPED_AT)
    quotes = {q.slug: q for q in result.quotes}
    assert set(quotes) == set(BASELINE)
    # The page JSON still knows the rank; the rest of the row is what the page shows.
    assert quotes[_slug(row)] == BASELINE[_slug(row)]
