"""The page parser on mutated markup: it never crashes and never emits garbage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cryptoviz_core.schema import QuoteV1, decode_quote
from scraper_service.exceptions import LayoutNotFound, PageRefused
from scraper_service.listing import parse_page

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
