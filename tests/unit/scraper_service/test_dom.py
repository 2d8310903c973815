"""The lean tree builder and tag class build the stock lxml builder's tree minus the comments."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Comment, Tag
from bs4.builder import LXMLTreeBuilder

from scraper_service.dom import (
    HtmlTreeBuilder,
    ParsedTag,
    find_table,
    next_data_text,
    page_soup,
    parse_table,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cmc"
REPLAY = Path(__file__).resolve().parents[3] / "scraper_service" / "replay" / "pages"
PAGES = sorted(FIXTURES.glob("*.html")) + sorted(REPLAY.glob("*.html"))

# What would tell the builders apart: namespace declarations and prefixed names
# (inline SVG), void and unclosed tags, comments splitting text, entities, and the
# charset <meta> tags whose attributes bs4 substitutes.
TRICKY = """<html><body><table class="cmc-table"><tbody><tr>
<td><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<use xlink:href="#caret"/><svg:rect width="1"/></svg></td>
<td class="a  b" data-nosnippet>$1<!-- -->.5&nbsp;&amp;<br><img src=x.png></td>
<td><div><button class="bt-base"><div>Buy</div></button></div>4<!-- x -->2</td>
<td><p>unclosed<span>nested</td>
<td><meta charset="utf-8"><meta content="text/html; charset=utf-8" http-equiv="Content-type"></td>
</tr></tbody></table>
<script id="__NEXT_DATA__" type="application/json">{"a": "<b>"}</script></body></html>"""


def _tree(soup: BeautifulSoup) -> list[tuple[str, dict[str, str], str | None]]:
    """Every element with its attributes and namespace prefix, in document order."""
    return [(el.name, dict(el.attrs), el.prefix) for el in soup.descendants if isinstance(el, Tag)]


def _stock_without_comments(html: str) -> BeautifulSoup:
    """The stock builder's tree with its comments taken out."""
    soup = page_soup(html, builder=LXMLTreeBuilder, tag_class=Tag)
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    return soup


def test_fixture_pages_exist() -> None:
    assert len(PAGES) >= 15


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_stock_tree_minus_the_comments(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    lean, stock = page_soup(html), _stock_without_comments(html)
    assert str(lean) == str(stock)
    assert _tree(lean) == _tree(stock)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_same_rows_and_json_as_the_stock_builder(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    lean, stock = page_soup(html), page_soup(html, builder=LXMLTreeBuilder, tag_class=Tag)
    lean_table, stock_table = find_table(lean), find_table(stock)
    assert (lean_table is None) == (stock_table is None)
    if lean_table is not None and stock_table is not None:
        assert parse_table(lean_table) == parse_table(stock_table)
    assert next_data_text(lean) == next_data_text(stock)


# Links between nodes, compared by the linked node's position in document order.
LINKS = ("parent", "previous_element", "next_element", "previous_sibling", "next_sibling")


def _instance_state(soup: BeautifulSoup) -> list[dict[str, object]]:
    """Every tag's instance attributes, links replaced by the linked node's position."""
    nodes = list(soup.descendants)
    position = {id(node): i for i, node in enumerate(nodes)} | {id(soup): -1}
    state = []
    for tag in nodes:
        if isinstance(tag, Tag):
            attributes: dict[str, object] = dict(vars(tag))
            # bs4 substitutes some attribute values with str subclasses (charset metas).
            attributes["attrs"] = {k: (type(v), v) for k, v in tag.attrs.items()}
            for link in LINKS:
                linked = attributes[link]
                attributes[link] = None if linked is None else position[id(linked)]
            state.append(attributes)
    return state


@pytest.mark.parametrize("html", [*PAGES, TRICKY], ids=lambda p: getattr(p, "name", "tricky"))
def test_parsed_tags_are_what_tag_builds(html: Path | str) -> None:
    text = html.read_text(encoding="utf-8") if isinstance(html, Path) else html
    parsed, stock = page_soup(text), page_soup(text, builder=HtmlTreeBuilder, tag_class=Tag)
    assert all(type(tag) is ParsedTag for tag in parsed.find_all(True))
    assert _instance_state(parsed) == _instance_state(stock)


def test_namespaced_malformed_and_commented_markup() -> None:
    lean, stock = page_soup(TRICKY), _stock_without_comments(TRICKY)
    assert str(lean) == str(stock)
    assert _tree(lean) == _tree(stock)
    assert lean.find("use").attrs == {"xlink:href": "#caret"}
    assert lean.find("td", attrs={"data-nosnippet": True})["class"] == "a  b"
    assert lean.find("button").get_text() == "Buy"
    assert lean.find(string=lambda text: isinstance(text, Comment)) is None
    # Without the comments, the text React split is one string.
    assert lean.find(string="42") is not None
    assert lean.find(string="$1.5\xa0&") is not None


def test_next_data_is_found_inside_a_table_left_open() -> None:
    # lxml nests the script in the table: it is not among the soup's children.
    html = (
        '<body><table class="cmc-table"><tr><td>1</td></tr><script id="__NEXT_DATA__">{}</script>'
    )
    soup = page_soup(html)
    assert soup.find("script", recursive=False) is None
    assert next_data_text(soup) == "{}"
