"""The lean HTML tree builder builds exactly the tree the stock lxml builder builds."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4.builder import LXMLTreeBuilder

from scraper_service.dom import page_soup

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cmc"
REPLAY = Path(__file__).resolve().parents[3] / "scraper_service" / "replay" / "pages"
PAGES = sorted(FIXTURES.glob("*.html")) + sorted(REPLAY.glob("*.html"))

# What would tell the builders apart: namespace declarations and prefixed names
# (inline SVG), void and unclosed tags, comments splitting text, entities.
TRICKY = """<html><body><table class="cmc-table"><tbody><tr>
<td><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<use xlink:href="#caret"/><svg:rect width="1"/></svg></td>
<td class="a  b" data-nosnippet>$1<!-- -->.5&nbsp;&amp;<br><img src=x.png></td>
<td><p>unclosed<span>nested</td></tr></tbody></table>
<script id="__NEXT_DATA__" type="application/json">{"a": "<b>"}</script></body></html>"""


def _tree(soup: object) -> list[tuple[str, str, dict[str, str], str | None]]:
    """Every element with its class, attributes and namespace prefix, in document order."""
    return [
        (type(el).__name__, el.name, dict(el.attrs), el.prefix)
        for el in soup.descendants  # type: ignore[attr-defined]
        if hasattr(el, "attrs")
    ]


def test_fixture_pages_exist() -> None:
    assert len(PAGES) >= 15


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_same_tree_as_the_stock_builder(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    lean, stock = page_soup(html), page_soup(html, builder=LXMLTreeBuilder)
    assert str(lean) == str(stock)
    assert _tree(lean) == _tree(stock)


def test_same_tree_on_namespaced_and_malformed_markup() -> None:
    lean, stock = page_soup(TRICKY), page_soup(TRICKY, builder=LXMLTreeBuilder)
    assert str(lean) == str(stock)
    assert _tree(lean) == _tree(stock)
    assert lean.find("use").attrs == {"xlink:href": "#caret"}
    assert lean.find("td", attrs={"data-nosnippet": True})["class"] == "a  b"
