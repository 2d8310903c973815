"""Rendered listing table -> `DomRow`s. Pure: takes BeautifulSoup tags, does no I/O.

Rules (docs/coinmarketcap-markup.md): the table is the one whose
class attribute contains ``cmc-table`` (hashed ``sc-*`` classes change on every
deploy); columns are found by header text; a percentage's sign is in its caret
icon; a cell showing several figures yields its full one in the page currency
(a market cap shown abbreviated and in full, a volume with its coin units);
placeholder rows are detected structurally. Each cell is read on its own: one
that cannot be read is named in the row's ``errors``, the others still count.

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
    CURRENCY_TOKENS,
    NumberFormatError,
    Reading,
    currency_of,
    parse_percent,
    read_amount,
    read_money,
    strip_currency,
)

_SLUG_HREF = re.compile(r"/currencies/([^/?#]+)/?")
_LOGO_ID = re.compile(r"/coins/\d+x\d+/(\d+)\.png")
_SPARK_ID = re.compile(r"/sparklines/web/7d/\d+/(\d+)\.svg")
# A change column's header: the period, with at most "%" and "change" around it.
_CHANGE_HEADER = re.compile(r"^(?:%|change)*\(?(1h|24h|7d)\)?(?:%|change)*$")
_HEADER_NOISE = re.compile(r"[^a-z0-9%#()]")
_RANK = re.compile(r"#?\s*([0-9]+)\.?")
# Where one element's text holds two money figures ("$27.61B$27,606,831,198"): before
# a currency token that follows a digit or an abbreviation letter.
_FIGURE_BOUNDARY = re.compile(
    r"(?<=[0-9KMBT])\s*(?=(?:{}))".format("|".join(map(re.escape, CURRENCY_TOKENS)))
)
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
    ``values`` holds each field whose cell was read (None: the cell shows no value),
    ``steps`` the abbreviated ones' last-digit place value (`Reading.step`), and
    ``errors`` each field whose cell could not be read, with the reason. A field in
    none of them has no column in this table. ``ranked``: the table has a rank
    column, so a row without a number in it shows no rank.
    """

    position: int
    slug: str | None
    name: str | None = None
    symbol: str | None = None
    cmc_id: int | None = None
    rank: int | None = None
    ranked: bool = False
    placeholder: bool = False
    currency: str | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


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


def _subscript(node: Tag) -> str:
    return "".join(node.strings).strip().translate(_SUBSCRIPT_DIGITS)


def _collect_text(node: Tag, pieces: list[str]) -> None:
    """Appends the text pieces of `cell_text` to ``pieces``, in document order."""
    for child in node.contents:
        if isinstance(child, Tag):
            if child.name in ("script", "style"):
                continue
            if child.name == "sub":
                pieces.append(_subscript(child))
            else:
                _collect_text(child, pieces)
        elif _is_text(child):
            pieces.append(child)


def cell_text(node: Tag) -> str:
    """The node's visible text with ``<!-- -->`` splits joined and ``<sub>n</sub>`` as ``ₙ``.

    Whitespace runs collapse to one space.
    """
    pieces: list[str] = []
    _collect_text(node, pieces)
    return " ".join("".join(pieces).split())


def _blocks(cell: Tag) -> list[str]:
    """The own text of each element of the cell (its text nodes and ``<sub>``), in order.

    Where a cell shows several figures, each sits in an element of its own:
    ``$27.61B`` beside ``$27,606,831,198``, a volume above its coin units.
    """
    blocks = []
    for el in (cell, *_tags(cell)):
        if el.name in ("script", "style", "sub"):
            continue
        pieces = [
            _subscript(child) if isinstance(child, Tag) else child
            for child in el.contents
            if _is_text(child) or (isinstance(child, Tag) and child.name == "sub")
        ]
        text = " ".join("".join(pieces).split())
        if text:
            blocks.append(text)
    return blocks


def _column_key(header: str) -> str | None:
    # Letters, digits and the marks headers use; sort arrows and spaces are dropped.
    compact = _HEADER_NOISE.sub("", header.lower())
    change = _CHANGE_HEADER.match(compact)
    if change:
        return f"change_{change.group(1)}_pct"
    if compact in ("#", "rank"):
        return "rank"
    if compact in ("name", "price"):
        return compact
    for prefix, key in (
        ("marketcap", "market_cap"),
        ("volume", "volume_24h"),
        ("circulatingsupply", "circulating_supply"),
    ):
        if compact.startswith(prefix):
            return key
    return None


def column_map(table: Tag) -> dict[str, int]:
    """Header text -> column index. Falls back to `DEFAULT_COLUMNS` without a usable header."""
    thead = table.find("thead", recursive=False)
    headers = [cell_text(th) for th in thead.find_all("th")] if thead else []
    found: dict[str, int] = {}
    for index, text in enumerate(headers):
        key = _column_key(text)
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


def _figures(text: str, read: Callable[[str], Reading]) -> list[tuple[str, Reading]]:
    """The figures in one element's text: the text read whole, else its parts split
    where a currency token starts a second figure. Texts that are no figure give none."""
    for parts in ([text], _FIGURE_BOUNDARY.split(text)):
        try:
            readings = [(part, read(part)) for part in parts]
        except NumberFormatError:
            continue
        return [(part, r) for part, r in readings if r.value is not None]
    return []


def read_figure(cell: Tag, read: Callable[[str], Reading], money: bool) -> Reading:
    """The figure a money or amount cell shows, at the most precise it shows it.

    Each element's text is read on its own; with ``money``, figures with a currency
    token win over those without (a volume's coin units). A full figure wins over the
    abbreviated ones it agrees with; figures that disagree are an error (they are not
    one amount). A cell whose figure is split across elements is read as one text.
    Raises NumberFormatError.
    """
    readings = [found for text in _blocks(cell) for found in _figures(text, read)]
    if money and any(strip_currency(block)[1] for block, _ in readings):
        readings = [(block, r) for block, r in readings if strip_currency(block)[1]]
    if not readings:
        return read(cell_text(cell))
    full = [r for _, r in readings if r.step is None] or [r for _, r in readings]
    best = full[0]
    assert best.value is not None, "readings hold values only"
    if any(r.value is not None and abs(r.value - best.value) > (r.step or 0) for _, r in readings):
        shown = ", ".join(repr(block) for block, _ in readings)
        raise NumberFormatError(f"several different figures: {shown}")
    return best


def _read_percent(cell: Tag) -> Reading:
    negative = _caret(cell)
    try:
        return Reading(parse_percent(cell_text(cell), negative))
    except NumberFormatError:
        figures = [block for block in _blocks(cell) if block.endswith("%")]
        if len(figures) != 1:
            raise
        return Reading(parse_percent(figures[0], negative))


READERS: dict[str, Callable[[Tag], Reading]] = {
    "price": lambda cell: read_figure(cell, read_money, money=True),
    "change_1h_pct": _read_percent,
    "change_24h_pct": _read_percent,
    "change_7d_pct": _read_percent,
    # Market cap, volume and supply are whole units: "7.299" there is 7299.
    "market_cap": lambda cell: read_figure(cell, lambda t: read_money(t, whole=True), True),
    "volume_24h": lambda cell: read_figure(cell, lambda t: read_money(t, whole=True), True),
    "circulating_supply": lambda cell: read_figure(
        cell, lambda t: read_amount(t, whole=True), money=False
    ),
}


def parse_row(row: Tag, position: int, columns: dict[str, int]) -> DomRow:
    """One ``<tr>`` -> DomRow. Never raises: an unreadable cell goes to ``errors``."""
    cells = row.find_all("td", recursive=False)
    slug, cmc_id = _identity(row)
    if _is_placeholder(cells, max(columns.values()) + 1):
        name, symbol = _name_symbol(row)
        return DomRow(position, slug, name, symbol, cmc_id, placeholder=True)
    name, symbol = _name_symbol(cells[columns["name"]] if len(cells) > columns["name"] else row)
    rank = None
    if "rank" in columns and len(cells) > columns["rank"]:
        # ASCII digits ("1", "#1", "1."): isdigit() is also true for "₅", which int() refuses.
        rank_match = _RANK.fullmatch(cell_text(cells[columns["rank"]]))
        rank = int(rank_match.group(1)) if rank_match else None
    values: dict[str, float | None] = {}
    steps: dict[str, float] = {}
    errors: dict[str, str] = {}
    currency = None
    for name_of_field, read in READERS.items():
        if name_of_field not in columns:
            continue
        if len(cells) <= columns[name_of_field]:
            errors[name_of_field] = "cell missing"
            continue
        cell = cells[columns[name_of_field]]
        try:
            reading = read(cell)
        except NumberFormatError as err:
            errors[name_of_field] = str(err)
            continue
        values[name_of_field] = reading.value
        if reading.step is not None:
            steps[name_of_field] = reading.step
        if name_of_field == "price":
            currency = currency_of(cell_text(cell))
    return DomRow(
        position,
        slug,
        name,
        symbol,
        cmc_id,
        rank=rank if rank else None,
        ranked="rank" in columns,
        currency=currency,
        values=values,
        steps=steps,
        errors=errors,
    )


def parse_table(table: Tag) -> list[DomRow]:
    """Every ``tbody > tr`` of the listing table (or ``tr`` without tbody), in page order."""
    tbody = table.find("tbody", recursive=False)
    rows = tbody.find_all("tr", recursive=False) if tbody is not None else []
    rows = rows or table.find_all("tr", recursive=False)
    columns = column_map(table)
    return [parse_row(tr, i, columns) for i, tr in enumerate(rows)]
