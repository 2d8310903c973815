"""Issue 16's rules on generated pages: field by field, full precision, every JSON quote
block, non-coins by structure, coverage. Pages come from the replay generator, whose
numbers are formatted independently of the parser."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper_service.__main__ import main
from scraper_service.listing import PageResult, parse_page
from scraper_service.next_data import parse_next_data
from tests.support.listing_pages import listing_rows
from tools.replay.markup import (
    COLUMNS,
    INDEX_COIN,
    PageSpec,
    make_coins,
    next_data,
    render_page,
)

SCRAPED_AT = datetime(2026, 11, 28, tzinfo=UTC)
COINS = make_coins(seed=7)
EXACT = {
    "price": "price",
    "change_1h_pct": "change_1h",
    "change_24h_pct": "change_24h",
    "change_7d_pct": "change_7d",
    "market_cap": "market_cap",
    "volume_24h": "volume_24h",
    "circulating_supply": "circulating_supply",
}


def _parse(html: str) -> PageResult:
    return parse_page(html, source="coinmarketcap", scraped_at=SCRAPED_AT)


def _page(**spec: Any) -> str:
    return render_page(COINS, PageSpec(**spec))[0]


def _set_cell(html: str, row: int, field: str, text: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    column = [key for _, key in COLUMNS].index(field)
    listing_rows(soup)[row].find_all("td", recursive=False)[column].string = text
    return str(soup)


def _edit_json(html: str, edit: Callable[[dict[str, Any]], None]) -> str:
    """``edit`` gets each coin object of a generation-c page's listing."""
    soup = BeautifulSoup(html, "lxml")
    script = soup.find("script", id="__NEXT_DATA__")
    assert isinstance(script, Tag)
    assert script.string
    doc = json.loads(script.string)
    for query in doc["props"]["dehydratedState"]["queries"]:
        if query["queryKey"][0] == "homepage-data":
            for entry in query["state"]["data"]["data"]["listing"]["cryptoCurrencyList"]:
                edit(entry)
    script.string = json.dumps(doc)
    return str(soup)


def _usd(entry: dict[str, Any]) -> dict[str, Any]:
    return next(q for q in entry["quotes"] if q["name"] == "USD")


def _quote(result: PageResult, slug: str) -> dict[str, Any]:
    return next(q.to_dict() for q in result.quotes if q.slug == slug)


# ---- 1. field by field ------------------------------------------------------------------


@pytest.mark.parametrize("field", list(EXACT))
def test_a_cell_that_does_not_parse_takes_that_field_from_the_json(field: str) -> None:
    coin = COINS[4]
    html = _set_cell(_page(), 4, field, "1.2.3.4,5?")
    result = _parse(html)
    quote = _quote(result, coin.slug)
    assert quote[field] == getattr(coin, EXACT[field])
    assert quote["origin"] == "dom"
    assert not result.rejected
    [note] = result.notes
    assert (note.slug, note.field) == (coin.slug, field)
    assert "from the JSON" in note.reason
    assert "1.2.3.4,5?" in note.reason
    # The other fields of the row are still the table's.
    baseline = _quote(_parse(_page()), coin.slug)
    assert {k: v for k, v in quote.items() if k not in (field, "scraped_at")} == {
        k: v for k, v in baseline.items() if k not in (field, "scraped_at")
    }


def test_a_coin_is_rejected_only_when_neither_source_has_a_price() -> None:
    coin = COINS[4]

    def break_price(entry: dict[str, Any]) -> None:
        if entry["slug"] == coin.slug:
            _usd(entry)["price"] = "n/a"

    html = _edit_json(_set_cell(_page(), 4, "price", "$1.2.3"), break_price)
    result = _parse(html)
    assert coin.slug not in {q.slug for q in result.quotes}
    [rejected] = result.rejected
    assert rejected.slug == coin.slug
    assert "table: " in rejected.reason
    assert "1.2.3" in rejected.reason
    assert "json: price is not a number: 'n/a'" in rejected.reason
    assert len(result.quotes) == 99


def test_a_value_the_schema_refuses_gives_way_to_the_other_source() -> None:
    coin = COINS[4]
    result = _parse(_set_cell(_page(), 4, "change_24h_pct", "99999999999%"))
    assert _quote(result, coin.slug)["change_24h_pct"] == coin.change_24h
    [note] = result.notes
    assert note.field == "change_24h_pct"
    assert "refused" in note.reason


def test_a_missing_column_is_taken_from_the_json_and_noted() -> None:
    result = _parse(_page(dropped_columns=("change_1h_pct",), full_rows=100))
    assert all(q.change_1h_pct == c.change_1h for q, c in zip(result.quotes, COINS, strict=True))
    assert {(n.field, n.reason) for n in result.notes} == {
        ("change_1h_pct", "from the JSON; table: no such column")
    }
    assert len(result.notes) == 100


# ---- 2. full precision ------------------------------------------------------------------


@pytest.mark.parametrize("field", ["market_cap", "volume_24h", "circulating_supply"])
def test_an_abbreviated_figure_gives_way_to_an_agreeing_exact_one_only(field: str) -> None:
    html = _page(amounts="abbreviated")
    coin = COINS[30]
    assert _quote(_parse(html), coin.slug)[field] == getattr(coin, EXACT[field])
    far = getattr(coin, EXACT[field]) * 1.05  # beyond the last shown digit of 3-4 digits

    def move(entry: dict[str, Any]) -> None:
        if entry["slug"] == coin.slug:
            if field == "circulating_supply":
                entry["circulatingSupply"] = far
            else:
                _usd(entry)[{"market_cap": "marketCap", "volume_24h": "volume24h"}[field]] = far

    shown = _quote(_parse(_edit_json(html, move)), coin.slug)[field]
    assert shown != far
    assert abs(shown - getattr(coin, EXACT[field])) / shown < 0.01  # the table's rounded value


def test_a_cell_showing_abbreviated_and_full_amounts_yields_the_full_one() -> None:
    # The 2021 cell: "$27.61B" and "$27,606,831,198" side by side, neither marked.
    result = _parse(_page(amounts="combined", json_generation=None))
    assert not result.rejected
    assert all(
        q.market_cap == round(c.market_cap) for q, c in zip(result.quotes, COINS, strict=False)
    )


# ---- 3. every JSON generation's quote block ---------------------------------------------


@pytest.mark.parametrize("snake_case", [False, True], ids=["camelCase", "snake_case"])
@pytest.mark.parametrize("generation", ["a", "b", "c"])
@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_every_json_generation_gives_identity_and_values(
    generation: str, snake_case: bool, currency: str
) -> None:
    spec = PageSpec(json_generation=generation, snake_case=snake_case, currency=currency)
    listing = parse_next_data(json.dumps(next_data(COINS, spec)))
    assert listing is not None
    assert listing.generation == generation
    assert listing.currency == currency
    assert not listing.rejected
    assert [c.slug for c in listing.coins] == [c.slug for c in COINS]
    for decoded, coin in zip(listing.coins, COINS, strict=True):
        assert decoded.rank == coin.rank
        assert decoded.errors == {}
        for field, attribute in EXACT.items():
            # A coin decoded with identity but without values is the defect caught here.
            assert decoded.values[field] == getattr(coin, attribute), (coin.slug, field)
        assert decoded.values["max_supply"] == coin.max_supply


def test_a_json_quote_in_another_currency_than_the_page_is_never_used() -> None:
    doc = next_data(COINS, PageSpec(currency="EUR"))
    for query in doc["props"]["dehydratedState"]["queries"]:
        for entry in (
            query["state"]["data"].get("data", {}).get("listing", {}).get("cryptoCurrencyList", [])
        ):
            entry["quotes"] = [q for q in entry["quotes"] if q["name"] != "EUR"]
            entry["quotes"].append({"name": "USD", "price": 1.0})
    listing = parse_next_data(json.dumps(doc))
    assert listing is not None
    assert listing.currency == "EUR"
    assert all(c.values["price"] is None for c in listing.coins)
    assert {c.errors["price"] for c in listing.coins} == {"no quote in EUR"}


def test_the_listing_is_the_coin_list_sharing_the_table_slugs() -> None:
    spec = PageSpec()
    doc = next_data(COINS, spec)
    listing_queries = doc["props"]["dehydratedState"]["queries"]
    others = [
        {"id": 9000 + i, "slug": f"other-{i}", "name": "O", "symbol": "O"} for i in range(150)
    ]
    listing_queries.insert(0, {"queryKey": ["spotlight"], "state": {"data": {"list": others}}})
    # A coin map: every coin of the site, ranked, without quotes.
    coin_map = [
        {"id": c.cmc_id, "slug": c.slug, "name": c.name, "symbol": c.symbol, "rank": c.rank}
        for c in COINS
    ] + others
    listing_queries.append({"queryKey": ["map"], "state": {"data": {"map": coin_map}}})
    for table_slugs in (frozenset(c.slug for c in COINS[:13]), frozenset()):
        chosen = parse_next_data(json.dumps(doc), table_slugs)
        assert chosen is not None
        assert [c.slug for c in chosen.coins] == [c.slug for c in COINS]
        assert all(c.values["price"] for c in chosen.coins)


def test_json_numbers_written_as_strings_are_numbers() -> None:
    def as_text(entry: dict[str, Any]) -> None:
        _usd(entry)["price"] = repr(_usd(entry)["price"])
        entry["circulatingSupply"] = str(entry["circulatingSupply"])

    html = _edit_json(_page(full_rows=0), as_text)
    result = _parse(html)
    assert [q.price for q in result.quotes] == [c.price for c in COINS]
    assert [q.circulating_supply for q in result.quotes] == [c.circulating_supply for c in COINS]


# ---- 4. non-coin rows by structure ------------------------------------------------------


@pytest.mark.parametrize("generation", ["a", "b", "c", None])
def test_a_row_ranked_nowhere_is_skipped_logged_and_never_published(
    generation: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    result = _parse(_page(index_row=True, json_generation=generation))
    assert result.non_coins == [INDEX_COIN.slug]
    assert INDEX_COIN.slug not in {q.slug for q in result.quotes}
    assert len(result.quotes) == 100
    assert all(q.rank for q in result.quotes)
    with caplog.at_level(logging.INFO):
        result.log(logging.getLogger("test"))
    skipped = [r for r in caplog.records if r.getMessage() == "non-coin row skipped"]
    assert [getattr(r, "slug", None) for r in skipped] == [INDEX_COIN.slug]


def test_a_json_entry_ranked_nowhere_is_not_a_coin_either() -> None:
    spec = PageSpec(index_row=True)
    html = render_page(COINS, spec)[0]
    soup = BeautifulSoup(html, "lxml")
    listing_rows(soup)[0].decompose()  # the index only in the JSON now
    result = _parse(str(soup))
    assert result.non_coins == [INDEX_COIN.slug]
    assert INDEX_COIN.slug not in {q.slug for q in result.quotes}


def test_headers_are_read_without_sort_marks() -> None:
    soup = BeautifulSoup(_page(json_generation=None), "lxml")
    for th in soup.find_all("th"):
        if th.get_text():
            th.p.append(" ▼")
    assert [q.to_dict() for q in _parse(str(soup)).quotes] == [
        q.to_dict() for q in _parse(_page(json_generation=None)).quotes
    ]


def test_a_rank_is_read_with_its_marks() -> None:
    for text in ("#6", "6.", " 6 "):
        result = _parse(_set_cell(_page(json_generation=None), 5, "rank", text))
        assert _quote(result, COINS[5].slug)["rank"] == 6


def test_a_row_without_rank_is_a_coin_when_the_json_ranks_it() -> None:
    result = _parse(_set_cell(_page(), 5, "rank", ""))
    assert _quote(result, COINS[5].slug)["rank"] == COINS[5].rank
    assert not result.non_coins
    # Without the JSON, a row with nothing in the rank column is not a coin.
    dom_only = _parse(_set_cell(_page(json_generation=None), 5, "rank", "-"))
    assert dom_only.non_coins == [COINS[5].slug]
    assert len(dom_only.quotes) == 99


def test_a_promoted_copy_of_a_ranked_row_is_not_a_coin_row() -> None:
    soup = BeautifulSoup(_page(), "lxml")
    rows = listing_rows(soup)
    promoted = copy.copy(rows[3])
    promoted.find_all("td", recursive=False)[1].string = ""
    rows[0].insert_before(promoted)
    result = _parse(str(soup))
    assert result.non_coins == [COINS[3].slug]
    assert not result.rejected
    assert [q.to_dict() for q in result.quotes] == [q.to_dict() for q in _parse(_page()).quotes]


def test_non_coins_are_not_a_list_of_slugs() -> None:
    renamed = [replace(c, slug=f"index-{i}") if i == 0 else c for i, c in enumerate(COINS)]
    coins = [replace(renamed[0], rank=0), *renamed[1:]]
    result = parse_page(
        render_page(coins, PageSpec())[0], source="coinmarketcap", scraped_at=SCRAPED_AT
    )
    assert result.non_coins == ["index-0"]
    coin = _parse(render_page([replace(INDEX_COIN, rank=1)], PageSpec())[0])
    assert [q.slug for q in coin.quotes] == [INDEX_COIN.slug]


# ---- 5. coverage ------------------------------------------------------------------------


def test_parse_prints_the_page_coverage_on_stderr(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.html"
    page.write_text(_page(index_row=True, full_rows=13), encoding="utf-8")
    assert main(["parse", str(page)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 100
    assert err.splitlines()[-1] == (
        "101 rows, 101 JSON entries, 1 non-coin, 100 listed, 100 published, 0 rejected"
    )


# ---- 6. mutated cells never lose a coin the JSON has ------------------------------------

VARIANTS = {
    "2025": PageSpec(),
    "combined": PageSpec(amounts="combined", json_generation="a"),
    "abbreviated": PageSpec(amounts="abbreviated", index_row=True),
    "missing-columns": PageSpec(dropped_columns=("change_7d_pct",), json_generation="b"),
    "legacy-snake": PageSpec(legacy_table=True, snake_case=True, json_generation="a"),
}
PAGES = {name: render_page(COINS[:20], spec)[0] for name, spec in VARIANTS.items()}
CELL_TEXT = st.sampled_from(
    ["", "--", "NaN", "$", "%", "1.2.3", "$-3", "9e999", "∞", "₅2", "$27.61B$1", "12,3%", "x"]
)
MUTATION = st.tuples(
    st.integers(0, 19),  # row
    st.integers(0, 20),  # cell
    st.sampled_from(["text", "delete", "swap", "empty-tag"]),
    CELL_TEXT,
    st.integers(0, 20),  # the other cell of a swap
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(PAGES)), st.lists(MUTATION, min_size=1, max_size=6))
def test_a_coin_with_valid_json_is_never_lost(variant: str, mutations: list[Any]) -> None:
    soup = BeautifulSoup(PAGES[variant], "lxml")
    rows = listing_rows(soup)
    for row_index, cell_index, kind, text, other in mutations:
        row = rows[row_index + int(VARIANTS[variant].index_row)]
        cells = row.find_all("td", recursive=False)
        if not cells:
            continue
        cell = cells[cell_index % len(cells)]
        if kind == "text":
            cell.string = text
        elif kind == "delete":
            cell.decompose()
        elif kind == "swap":
            second = cells[other % len(cells)]
            first_contents = [c.extract() for c in list(cell.contents)]
            for child in [c.extract() for c in list(second.contents)]:
                cell.append(child)
            for child in first_contents:
                second.append(child)
        else:
            cell.clear()
            cell.append(soup.new_tag("span"))
    result = _parse(str(soup))
    published = {q.slug: q for q in result.quotes}
    assert set(published) == {c.slug for c in COINS[:20]}  # every coin: the JSON has them all
    assert INDEX_COIN.slug not in published
    assert not result.rejected
    assert not result.unaccounted()
    for coin in COINS[:20]:
        assert published[coin.slug].rank == coin.rank
        assert published[coin.slug].price > 0
