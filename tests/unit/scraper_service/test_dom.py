"""`page_soup` (stock BeautifulSoup on lxml) and the cell reading on tricky markup."""

from __future__ import annotations

import pytest
from bs4 import Tag

from scraper_service.dom import cell_text, find_table, next_data_text, page_soup, read_figure
from scraper_service.numbers import NumberFormatError, Reading, read_money

# Namespaced inline SVG, void and unclosed tags, React's comments splitting text, entities.
TRICKY = """<html><body><div><p>outside</p></div><table class="x  cmc-table "><tbody><tr>
<td><svg xmlns="http://www.w3.org/2000/svg"><use href="#caret"/></svg></td>
<td class="a  b" data-nosnippet>$1<!-- -->.5&nbsp;&amp;<br><img src=x.png></td>
<td><div><button class="bt-base"><div>Buy</div></button></div>4<!-- x -->2</td>
<td><p>unclosed<span>nested</td>
<td>19.88M<sub>5</sub><script>var x = 1;</script></td>
</tr></tbody></table>
<script id="__NEXT_DATA__" type="application/json">{"a": "<b>"}</script></body></html>"""


def test_only_tables_and_scripts_are_built_with_class_as_one_string() -> None:
    soup = page_soup(TRICKY)
    assert soup.find("p", string="outside") is None
    table = find_table(soup)
    assert table is not None
    assert table["class"] == "x  cmc-table "
    assert table.find("td", attrs={"data-nosnippet": True})["class"] == "a  b"


def test_cell_text_joins_comment_splits_and_skips_scripts() -> None:
    table = find_table(page_soup(TRICKY))
    assert table is not None
    cells = [cell_text(td) for td in table.find_all("td")]
    assert cells[1] == "$1.5 &"
    assert cells[2] == "Buy42"
    assert cells[3] == "unclosednested"
    assert cells[4] == "19.88M₅"


def test_next_data_text_is_the_script_text() -> None:
    assert next_data_text(page_soup(TRICKY)) == '{"a": "<b>"}'


def test_next_data_is_found_inside_a_table_left_open() -> None:
    # lxml nests the script in the table: it is not among the soup's children.
    html = (
        '<body><table class="cmc-table"><tr><td>1</td></tr><script id="__NEXT_DATA__">{}</script>'
    )
    soup = page_soup(html)
    assert soup.find("script", recursive=False) is None
    assert next_data_text(soup) == "{}"


def test_a_page_without_the_script_has_no_next_data() -> None:
    assert next_data_text(page_soup("<table class='cmc-table'></table>")) is None


def _cell(html: str) -> Tag:
    cell = page_soup(f"<table><tr><td>{html}</td></tr></table>").find("td")
    assert isinstance(cell, Tag)
    return cell


@pytest.mark.parametrize(
    ("html", "value", "step"),
    [
        ("<span>$27.61B</span><span>$27,606,831,198</span>", 27_606_831_198, None),
        (
            '<p><span>$2.1T</span><span data-nosnippet="true">$2,097,047,168,150</span></p>',
            2_097_047_168_150,
            None,
        ),
        ("<span>$27.61B<!-- -->$27,606,831,198</span>", 27_606_831_198, None),
        ("<span>$1.28T</span>", 1.28e12, 1e10),
        ("<a><p>$64,530,207,815</p></a><div><p>612.96K BTC</p></div>", 64_530_207_815, None),
        ("<a><p>$5.31B</p></a><div><p>612.96K</p> BTC</div>", 5.31e9, 1e7),
        ("$<!-- -->4<!-- -->51.19", 451.19, None),
        ("--", None, None),
    ],
)
def test_a_money_cell_yields_its_most_precise_figure_in_the_page_currency(
    html: str, value: float | None, step: float | None
) -> None:
    assert read_figure(_cell(html), read_money, money=True) == Reading(value, step)


def test_figures_that_are_not_one_amount_are_an_error() -> None:
    with pytest.raises(NumberFormatError, match="several different figures"):
        read_figure(_cell("<span>$1.00B</span><span>$5,000,000</span>"), read_money, money=True)
    with pytest.raises(NumberFormatError, match="several different figures"):
        read_figure(_cell("<span>$1,000</span><span>$2,000</span>"), read_money, money=True)
