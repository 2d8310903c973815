"""__NEXT_DATA__ decoding: keysArr decompression and what must be rejected."""

from __future__ import annotations

import json

from scraper_service.next_data import decompress_keys_arr, parse_next_data

KEYS = ["cmcRank", "id", "maxSupply", "name", "quote.USD.price", "slug", "symbol"]


def _doc(data: list, as_string: bool = True) -> str:
    state = {"cryptocurrency": {"listingLatest": {"data": data}}}
    return json.dumps({"props": {"initialState": json.dumps(state) if as_string else state}})


def test_keys_arr_restores_nested_keys_and_ignores_excluded_values() -> None:
    header = {"keysArr": KEYS, "id": "COMPRESSED_KEYS_ARR", "excludeProps": ["platform"]}
    entries, problems = decompress_keys_arr(
        [header, [1, 1, None, "Bitcoin", 5.0, "bitcoin", "BTC", {"x": 1}]]
    )
    assert problems == []
    assert entries == [
        {
            "cmcRank": 1,
            "id": 1,
            "maxSupply": None,
            "name": "Bitcoin",
            "quote": {"USD": {"price": 5.0}},
            "slug": "bitcoin",
            "symbol": "BTC",
        }
    ]


def test_misaligned_and_mistyped_rows_are_rejected_not_guessed() -> None:
    header = {"keysArr": KEYS, "id": "COMPRESSED_KEYS_ARR", "excludeProps": []}
    good = [2, 1027, None, "Ethereum", 2400.0, "ethereum", "ETH"]
    short = good[1:]
    shifted = [3, 52, "IOTA", 7.0, "xrp", "XRP", "XRP"]  # right length, wrong types
    for as_string in (True, False):
        listing = parse_next_data(_doc([header, good, short, shifted], as_string))
        assert listing is not None
        assert listing.generation == "b"
        assert [c.slug for c in listing.coins] == ["ethereum"]
        assert len(listing.rejected) == 2
        assert "expected 7" in listing.rejected[0][1]


def test_generation_c_selects_the_quote_by_name_not_position() -> None:
    coin = {
        "id": 1,
        "slug": "bitcoin",
        "name": "Bitcoin",
        "symbol": "BTC",
        "cmcRank": 1,
        "quotes": [{"name": "USD", "price": 3.0}, {"name": "BTC", "price": 1.0}],
    }
    query = {
        "queryKey": ["homepage-data", 2, 100],
        "state": {"data": {"data": {"listing": {"cryptoCurrencyList": [coin]}}}},
    }
    doc = {"props": {"dehydratedState": {"queries": [{"queryKey": ["global-metric"]}, query]}}}
    listing = parse_next_data(json.dumps(doc))
    assert listing is not None
    assert listing.page == 2
    assert listing.coins[0].values["price"] == 3.0
    assert listing.coins[0].values["max_supply"] is None


def test_unusable_json_is_none() -> None:
    assert parse_next_data(None) is None
    assert parse_next_data("{not json") is None
    assert parse_next_data(_doc([])) is None
    assert parse_next_data(json.dumps({"props": {"initialState": "[]"}})) is None
