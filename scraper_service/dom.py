"""Rendered listing table -> `DomRow`s. Pure: takes BeautifulSoup tags, does no I/O.

Rules (docs/coinmarketcap-markup.md): the table is the one whose
class attribute contains ``cmc-table`` (hashed ``sc-*`` classes change on every
deploy); columns are found by header text; a percentage's sign is in its caret
icon; market cap is the full ``data-nosnippet`` span; volume is the USD value,
not the coin-unit one; placeholder rows are detected structurally.

The tree comes from `page_soup`: stock BeautifulSoup with the lxml parser,
building only the tables and scripts (`LISTING_PARTS`) and keeping ``class`` as
one string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeGuard

from bs4 import BeautifulSoup, Tag
from bs4.element import Comment, NavigableString, PageElement
from bs4.filter import SoupStrainer

from scraper_service.numbers import (
    NumberFormatError,
    currency_of,
    parse_amount,
    parse_money,
    parse_percent,
)

# Listing rows that are not coins: the CMC20 index token shown above rank 1 since 2025.
NON_COIN_SLUGS = frozenset({"coinmarketcap-20-index-dtf", "cmc20"})
_SLUG_HREF = re.compile(r"/currencies/([^/?#]+)/?")
_LOGO_ID = re.compile(r"/coins/\d+x\d+/(\d+)\.png")
_SPARK_ID = re.compile(r"/sparklines/web/7d/\d+/(\d+)\.svg")
_ABBREVIATED = re.compile(r"\d[KMBT](\s|$)")
_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
# Column positions of the 2023-2025 homepage, used when the table has no header.
DEFAULT_COLUMNS = {
    "rank": 1,
    "name": 2,
    "price": 3,
    "change_1h_pct": 4,
    "change_24h_pct": 5,
    "change_7d_pct": 6,
    "market_cap": 7,
    "volume_24h": 8,
    "circulating_supply": 9,
}


@dataclass(frozen=True)
class DomRow:
    """One ``<tr>`` of the listing table, read but not yet validated.

    ``placeholder`` rows carry only slug, name and symbol (their price is unusable).
    ``error`` names the first cell that could not be parsed; such a row is rejected.
    """

    position: int
    slug: str | None
    name: str | None = None
    symbol: str | None = None
    cmc_id: int | None = None
    rank: int | None = None
    placeholder: bool = False
    non_coin: bool = False
    error: str | None = None
    currency: str | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    supply_abbreviated: bool = False


# What `page_soup` builds: every table and script; `find_table` and `next_data_text`
# then pick the cmc-table one and __NEXT_DATA__ (refusal checks read the raw text).
# One SoupStrainer cannot say "table with class X or script with id Y": its attribute
# rules all apply to every tag, and while parsing a name function sees only the name.
# A kept element is built whole, descendants included.
LISTING_PARTS = SoupStrainer(["table", "script"])


def page_soup(html: str) -> BeautifulSoup:
    """The page parsed by BeautifulSoup with lxml, restricted to `LISTING_PARTS`.

    ``class`` stays a single string (``multi_valued_attributes=None``), so every
    class test here is a plain substring test.
    """
    return BeautifulSoup(html, "lxml", parse_only=LISTING_PARTS, multi_valued_attributes=None)


def _contains(fragment: str) -> Callable[[str | None], bool]:
    """An attribute matcher for find(): the value contains ``fragment``."""
    return lambda value: value is not None and fragment in value


def _tags(node: Tag) -> Iterator[Tag]:
    """``node``'s descendant tags, in document order, lazily: a search stops at its match."""
    return (el for el in node.descendants if isinstance(el, Tag))


def _find_class(node: Tag, fragment: str) -> Tag | None:
    for el in _tags(node):
        if fragment in _attr(el, "class"):
            return el
    return None


def find_table(soup: BeautifulSoup) -> Tag | None:
    """The listing table: the first ``<table>`` whose class contains ``cmc-table``."""
    return soup.find("table", class_=_contains("cmc-table"))


def next_data_text(soup: BeautifulSoup) -> str | None:
    """The text of ``<script id="__NEXT_DATA__">``, or None without one."""
    script = soup.find("script", id="__NEXT_DATA__")
    return script.string if script is not None else None


def _attr(tag: Tag, name: str) -> str:
    """An attribute's value, "" when absent. Always one string: see `page_soup`."""
    value = tag.attrs.get(name)
    return value if isinstance(value, str) else ""


def _is_text(node: PageElement) -> TypeGuard[NavigableString]:
    """A text node; comments (the ``<!-- -->`` splits) and the like are not."""
    return isinstance(node, NavigableString) and not isinstance(node, Comment)


def _collect_text(node: Tag, skip_nosnippet: bool, pieces: list[str]) -> None:
    """Appends the text pieces of `cell_text` to ``pieces``, in document order."""
    for child in node.contents:
        if isinstance(child, Tag):
            if child.name in ("script", "style") or (
                skip_nosnippet and "data-nosnippet" in child.attrs
            ):
                continue
            if child.name == "sub":
                pieces.append("".join(child.strings).strip().translate(_SUBSCRIPT_DIGITS))
            else:
                _collect_text(child, skip_nosnippet, pieces)
        elif _is_text(child):
            pieces.append(child)


def cell_text(node: Tag, skip_nosnippet: bool = False) -> str:
    """The node's visible text with ``<!-- -->`` splits joined and ``<sub>n</sub>`` as ``ₙ``.

    Whitespace runs collapse to one space. With ``skip_nosnippet`` the text of
    ``data-nosnippet`` descendants is left out (the coin-unit volume under the USD one).
    """
    pieces: list[str] = []
    _collect_text(node, skip_nosnippet, pieces)
    return " ".join("".join(pieces).split())


def column_map(table: Tag) -> dict[str, int]:
    """Header text -> column index. Falls back to `DEFAULT_COLUMNS` without a usable header."""
    thead = table.find("thead", recursive=False)
    headers = [cell_text(th).lower() for th in thead.find_all("th")] if thead else []
    found: dict[str, int] = {}
    for index, text in enumerate(headers):
        compact = text.replace(" ", "")
        key = None
        if compact in ("#", "rank"):
            key = "rank"
        elif compact == "name":
            key = "name"
        elif compact == "price":
            key = "price"
        elif "%" in compact and "1h" in compact:
            key = "change_1h_pct"
        elif "%" in compact and "24h" in compact:
            key = "change_24h_pct"
        elif "%" in compact and "7d" in compact:
            key = "change_7d_pct"
        elif compact.startswith("marketcap"):
            key = "market_cap"
        elif compact.startswith("volume"):
            key = "volume_24h"
        elif compact.startswith("circulatingsupply"):
            key = "circulating_supply"
        if key and key not in found:
            found[key] = index
    if "name" not in found or "price" not in found:
        return dict(DEFAULT_COLUMNS)
    return found


def _caret(cell: Tag) -> bool | None:
    """True if the cell shows a down move, False if up, None if it has no direction marker."""
    classes = " ".join(_attr(el, "class") for el in _tags(cell))
    if "icon-Caret-down" in classes or "cmc--change-negative" in classes:
        return True
    if "icon-Caret-up" in classes or "cmc--change-positive" in classes:
        return False
    return None


def _identity(row: Tag) -> tuple[str | None, int | None]:
    """The slug of the first coin link and the id in the first logo or sparkline image.

    One walk over the row for both: they sit next to each other in the name cell.
    """
    slug: str | None = None
    cmc_id: int | None = None
    for el in _tags(row):
        if slug is None and el.name == "a":
            link_match = _SLUG_HREF.search(_attr(el, "href"))
            slug = link_match.group(1).lower() if link_match else None
        elif cmc_id is None and el.name == "img":
            src = _attr(el, "src")
            image_match = _LOGO_ID.search(src) or _SPARK_ID.search(src)
            cmc_id = int(image_match.group(1)) if image_match else None
        if slug is not None and cmc_id is not None:
            break
    return slug, cmc_id


def _is_placeholder(cells: list[Tag], n_columns: int) -> bool:
    # Placeholders have 3-5 cells and a trailing colspan cell; full rows have one per column.
    return len(cells) < max(n_columns, 6) or any("colspan" in c.attrs for c in cells)


def _own_text(node: Tag) -> str:
    """The text directly inside ``node``, outside its child tags, stripped."""
    return "".join(child for child in node.children if _is_text(child)).strip()


def _name_symbol(cell: Tag) -> tuple[str | None, str | None]:
    name = _find_class(cell, "coin-item-name")
    symbol = _find_class(cell, "coin-item-symbol")
    if symbol is None:
        symbol = _find_class(cell, "crypto-symbol")
    if name is None:
        for link in cell.find_all("a", href=_contains("/currencies/")):
            for el in link.find_all(["p", "span"]):
                if el is symbol or set(_attr(el, "class").split()) & {
                    "circle",
                    "crypto-symbol",
                }:
                    continue
                if el.find(True) is None and el.get_text().strip():
                    name = el
                    break
            if name is None and _own_text(link):
                name = link
            break
    return (
        cell_text(name) or None if name is not None else None,
        cell_text(symbol) or None if symbol is not None else None,
    )


def _non_coin(slug: str | None) -> bool:
    return slug is None or slug in NON_COIN_SLUGS or slug.endswith("-index-dtf")


def parse_row(row: Tag, position: int, columns: dict[str, int]) -> DomRow:
    """One ``<tr>`` -> DomRow. Never raises: an unreadable cell sets ``error``."""
    cells = row.find_all("td", recursive=False)
    slug, cmc_id = _identity(row)
    if _is_placeholder(cells, max(columns.values()) + 1):
        name, symbol = _name_symbol(row)
        return DomRow(
            position, slug, name, symbol, cmc_id, placeholder=True, non_coin=_non_coin(slug)
        )
    name, symbol = _name_symbol(cells[columns["name"]] if len(cells) > columns["name"] else row)
    if _non_coin(slug):
        return DomRow(position, slug, name, symbol, cmc_id, non_coin=True)
    values: dict[str, float | None] = {}
    field_name = "rank"
    abbreviated = False
    price_text = ""
    try:
        rank_text = cell_text(cells[columns["rank"]]) if "rank" in columns else ""
        # A rank is ASCII digits: isdigit() is also true for "₅", which int() refuses.
        rank = int(rank_text) if rank_text.isascii() and rank_text.isdecimal() else None
        field_name = "price"
        price_text = cell_text(cells[columns["price"]])
        values["price"] = parse_money(price_text)
        for field_name in ("change_1h_pct", "change_24h_pct", "change_7d_pct"):
            if field_name in columns:
                cell = cells[columns[field_name]]
                values[field_name] = parse_percent(cell_text(cell), _caret(cell))
        field_name = "market_cap"
        if field_name in columns:
            cell = cells[columns[field_name]]
            full = next((el for el in _tags(cell) if "data-nosnippet" in el.attrs), None)
            values[field_name] = parse_money(
                cell_text(full if full is not None else cell), whole=full is not None
            )
        field_name = "volume_24h"
        if field_name in columns:
            values[field_name] = parse_money(
                cell_text(cells[columns[field_name]], skip_nosnippet=True), whole=True
            )
        field_name = "circulating_supply"
        if field_name in columns:
            cell = cells[columns[field_name]]
            value_node = _find_class(cell, "circulating-supply-value")
            text = cell_text(value_node if value_node is not None else cell)
            abbreviated = bool(_ABBREVIATED.search(text))
            # Supplies are whole coins unless abbreviated ("19.88M").
            values[field_name] = parse_amount(text, whole=not abbreviated)
    except NumberFormatError as err:
        return DomRow(position, slug, name, symbol, cmc_id, error=f"{field_name}: {err}")
    except IndexError:
        return DomRow(position, slug, name, symbol, cmc_id, error=f"{field_name}: cell missing")
    return DomRow(
        position,
        slug,
        name,
        symbol,
        cmc_id,
        rank=rank,
        currency=currency_of(price_text),
        values=values,
        supply_abbreviated=abbreviated,
    )


def parse_table(table: Tag) -> list[DomRow]:
    """Every ``tbody > tr`` of the listing table (or ``tr`` without tbody), in page order."""
    tbody = table.find("tbody", recursive=False)
    rows = tbody.find_all("tr", recursive=False) if tbody is not None else []
    rows = rows or table.find_all("tr", recursive=False)
    columns = column_map(table)
    return [parse_row(tr, i, columns) for i, tr in enumerate(rows)]
