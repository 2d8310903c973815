"""`page_soup` (stock BeautifulSoup on lxml) and the cell reading on tricky markup."""

from __future__ import annotations

from scraper_service.dom import cell_text, find_table, next_data_text, page_soup

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
