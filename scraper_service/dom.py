"""Rendered listing table -> `DomRow`s. Pure: takes BeautifulSoup tags, does no I/O.

Rules (docs: coinmarketcap-pages.md sections 2-5): the table is the one whose
class attribute contains ``cmc-table`` (hashed ``sc-*`` classes change on every
deploy); columns are found by header text; a percentage's sign is in its caret
icon; market cap is the full ``data-nosnippet`` span; volume is the USD value,
not the coin-unit one; placeholder rows are detected structurally.

The tree comes from `page_soup`: BeautifulSoup with the lxml parser (the project
standard), building only the tables and scripts (`LISTING_PARTS`), without the
comments nothing here reads (`HtmlTreeBuilder`), with tags set up
directly (`ParsedTag`), and keeping ``class`` as one string, so every class
test here is a plain substring test.
The listing table is nearly the whole page (~5,100 tags of ~5,200), so
building it dominates the parse time; the cell reading below walks the tree directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeGuard, cast

from bs4 import BeautifulSoup, Tag

# bs4 registers its lxml builder at import time; its own module is where mypy sees it.
from bs4.builder._lxml import LXMLTreeBuilder
from bs4.element import AttributeDict, Comment, NavigableString, PageElement
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


class HtmlTreeBuilder(LXMLTreeBuilder):
    """BeautifulSoup's lxml HTML builder, lean for HTML, without the comments nothing reads.

    The stock builder serves XML too: for every tag it copies the attributes
    twice and resolves namespace prefixes. lxml's HTML parser never reports a
    namespace, so for HTML that work changes nothing, yet it costs an eighth
    of the time to build the listing table (54 -> 47 ms).

    Comments are not built: React splits texts with ``<!-- -->`` (400 on a
    100-row page), the reader skips them, and bs4 spends several µs on every
    node it builds; without them the split text is one string (-3.5 ms).

    The tree is otherwise the stock builder's (a unit test compares them on every
    fixture page), and the rows read from it are the same.
    """

    def start(
        self, tag: str | bytes, attrib: dict[str | bytes, str | bytes], nsmap: object = None
    ) -> None:
        soup = self.soup
        assert soup is not None, "lxml calls start() only while BeautifulSoup feeds it"
        # lxml's HTML parser reports str names and values. No copy of them here, unlike
        # the stock builder: Tag() copies them into an `attribute_dict_class` (-1 ms).
        attributes = cast("dict[str, str]", attrib)
        soup.handle_starttag(
            str(tag), None, None, attributes, namespaces=self.active_namespace_prefixes[-1]
        )

    def end(self, tag: str | bytes) -> None:
        soup = self.soup
        assert soup is not None, "lxml calls end() only while BeautifulSoup feeds it"
        # handle_endtag() ends the pending text itself: no endData() call before it.
        soup.handle_endtag(str(tag), None)

    def data(self, data: str | bytes) -> None:
        soup = self.soup
        assert soup is not None, "lxml calls data() only while BeautifulSoup feeds it"
        soup.handle_data(str(data))

    def comment(self, text: str | bytes) -> None:
        """Not built: see the class docstring."""


class ParsedTag(Tag):
    """The `Tag` that `page_soup` builds: what `Tag()` builds there, set directly.

    `Tag()` serves copies, XML and every builder. For each of the ~5,100 tags of
    a listing it checks for them, copies the attributes one by one, and calls
    into the builder and `setup()` to learn what, for `page_soup`'s settings
    (lxml HTML, ``class`` kept as one string, plain `AttributeDict`), is known
    in advance. Setting the same attributes directly builds a 100-row page in
    37 ms instead of 41.

    It must set exactly what `Tag()` and `setup()` set, and a missing attribute
    would not raise: bs4 reads ``tag.x`` as "the first child tag named x".
    A unit test builds every fixture page both ways and compares every tag's
    `vars()`, links included, so a bs4 upgrade that changes them fails there.
    """

    def __init__(
        self,
        parser: BeautifulSoup,
        builder: LXMLTreeBuilder,
        name: str,
        namespace: str | None,
        prefix: str | None,
        attrs: dict[str, str] | None,
        parent: Tag | None,
        previous: PageElement | None,
        sourceline: int | None = None,
        sourcepos: int | None = None,
        namespaces: dict[str, str] | None = None,
    ) -> None:
        self.parser_class = type(parser)
        self.name = name
        self.namespace = namespace
        self._namespaces = namespaces or {}
        self.prefix = prefix
        self.sourceline = sourceline
        self.sourcepos = sourcepos
        self.attribute_value_list_class = builder.attribute_value_list_class
        self.attrs = AttributeDict(attrs or ())
        self.known_xml = builder.is_xml
        self.contents = []
        # setup(parent, previous): a parsed tag is appended last, nothing follows it yet.
        self.parent = parent
        self.previous_element = previous
        if previous is not None:
            previous.next_element = self
        self.next_element = self.next_sibling = None
        self.previous_sibling = parent.contents[-1] if parent and parent.contents else None
        if self.previous_sibling is not None:
            self.previous_sibling.next_sibling = self
        self.hidden = False
        if name == "meta":  # the one tag builder.set_up_substitutions() changes
            builder.set_up_substitutions(self)
        void = builder.empty_element_tags  # None: any tag may be void
        self.can_be_empty_element = void is None or name in void
        self.cdata_list_attributes = builder.cdata_list_attributes
        self.preserve_whitespace_tags = builder.preserve_whitespace_tags
        container = builder.string_containers.get(name)
        self.interesting_string_types = (
            {container} if container is not None else self.MAIN_CONTENT_STRING_TYPES
        )


def page_soup(
    html: str,
    builder: type[LXMLTreeBuilder] = HtmlTreeBuilder,
    tag_class: type[Tag] = ParsedTag,
) -> BeautifulSoup:
    """The page parsed by BeautifulSoup with lxml, restricted to `LISTING_PARTS`.

    ``class`` stays a single string (``multi_valued_attributes=None``) and attributes
    go in plain `AttributeDict`s: the listing table is nearly the whole page, and
    both settings cut the build time of its ~5,100 tags. ``builder`` and
    ``tag_class`` are bs4's own classes in the tests that compare the trees.
    """
    return BeautifulSoup(
        html,
        builder=builder(multi_valued_attributes=None, attribute_dict_class=AttributeDict),
        parse_only=LISTING_PARTS,
        element_classes={Tag: tag_class},
    )


def _contains(fragment: str) -> Callable[[str | None], bool]:
    """An attribute matcher for find(): the value contains ``fragment``."""
    return lambda value: value is not None and fragment in value


def _tags(node: Tag) -> Iterator[Tag]:
    """``node``'s descendant tags, in document order.

    Used on the per-cell paths instead of find()/find_all(), which build and apply a
    SoupStrainer on every call: over 100 rows that alone costs ~15 ms of the budget.
    """
    return (el for el in node.descendants if isinstance(el, Tag))


def _child_tags(node: Tag, name: str) -> list[Tag]:
    """``node``'s child tags named ``name``, as find_all(name, recursive=False) finds them.

    Without find_all's strainer: the cells of 101 rows in 0.1 ms instead of 0.6 ms.
    """
    return [child for child in node.contents if isinstance(child, Tag) and child.name == name]


def _find_class(node: Tag, fragment: str) -> Tag | None:
    for el in _tags(node):
        if fragment in _attr(el, "class"):
            return el
    return None


def find_table(soup: BeautifulSoup) -> Tag | None:
    """The listing table: the first ``<table>`` whose class contains ``cmc-table``."""
    return soup.find("table", class_=_contains("cmc-table"))


def next_data_text(soup: BeautifulSoup) -> str | None:
    """The text of ``<script id="__NEXT_DATA__">``, or None without one.

    The soup's children are searched first: `LISTING_PARTS` puts every kept table
    and script there, and Next.js writes this script at the end of ``<body>``,
    after the listing table, whose ~7,000 nodes a whole-tree search visits first
    (2 ms). The whole tree is searched only when that finds nothing: a page
    without the script, or markup leaving the table open around it.
    """
    script = soup.find("script", id="__NEXT_DATA__", recursive=False) or soup.find(
        "script", id="__NEXT_DATA__"
    )
    return script.string if script is not None else None


def _attr(tag: Tag, name: str) -> str:
    """An attribute's value, "" when absent. Always one string: see `page_soup`."""
    value = tag.attrs.get(name)
    return value if isinstance(value, str) else ""


def _is_text(node: PageElement) -> TypeGuard[NavigableString]:
    """A text node; comments (the ``<!-- -->`` splits) and the like are not."""
    return isinstance(node, NavigableString) and not isinstance(node, Comment)


def _collect_text(node: Tag, skip_nosnippet: bool, pieces: list[str]) -> None:
    """Appends the text pieces of `cell_text` to ``pieces``, in document order.

    One list filled by plain recursion, not nested generators: each ``yield from``
    level re-yields every piece. Over the 1,100 cells of a 100-row page: 3.2 -> 1.4 ms.
    """
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
    cells = _child_tags(row, "td")
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
