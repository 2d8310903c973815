"""``<script id="__NEXT_DATA__">`` -> `JsonListing`. Pure.

Three generations (docs/coinmarketcap-markup.md), tried newest first:
(c) ``props.dehydratedState`` React Query cache with a ``homepage-data`` query;
(b) ``props.initialState`` (string or object) whose ``listingLatest.data`` is
compressed with a ``COMPRESSED_KEYS_ARR`` header; (a) the same path holding plain
dicts with ``quote.<CUR>``. Entries that do not have the right types after
decoding (misaligned keysArr arrays) are rejected, never guessed.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FIAT_IDS = {2781: "USD", 2790: "EUR", 2791: "GBP", 2797: "JPY", 2782: "AUD", 2784: "CAD"}


@dataclass(frozen=True)
class JsonCoin:
    """One listing entry decoded from the page JSON, in ``currency``."""

    cmc_id: int
    slug: str
    name: str
    symbol: str
    rank: int | None
    values: dict[str, float | None]


@dataclass(frozen=True)
class JsonListing:
    """The listing found in __NEXT_DATA__: which generation, its coins and rejects."""

    generation: str  # "c", "b" or "a"
    currency: str | None  # None when the page JSON does not say (quotes read as USD)
    coins: list[JsonCoin]
    rejected: list[tuple[str | None, str]] = field(default_factory=list)
    page: int | None = None


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _num(value: Any, zero_is_missing: bool = False) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or (zero_is_missing and value == 0):
        return None
    return float(value)


def _coin(entry: dict[str, Any], quote: Any) -> JsonCoin:
    """Dict entry + its quote dict -> JsonCoin. Raises ValueError on wrong types."""
    cmc_id, slug, name, symbol = (entry.get(k) for k in ("id", "slug", "name", "symbol"))
    rank = entry.get("cmcRank", entry.get("rank"))
    if isinstance(cmc_id, bool) or not isinstance(cmc_id, int) or cmc_id <= 0:
        raise ValueError(f"id is not a positive integer: {cmc_id!r}")
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ValueError(f"slug is not a slug: {slug!r}")
    if not isinstance(name, str) or not isinstance(symbol, str) or not name or not symbol:
        raise ValueError("name or symbol is not a string")
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int)):
        raise ValueError(f"cmcRank is not an integer: {rank!r}")
    if not isinstance(quote, dict):
        raise ValueError("no quote in the page currency")
    price = quote.get("price")
    if isinstance(price, bool) or not isinstance(price, int | float):
        raise ValueError(f"price is not a number: {price!r}")
    values = {
        "price": _num(price),
        "change_1h_pct": _num(quote.get("percentChange1h")),
        "change_24h_pct": _num(quote.get("percentChange24h")),
        "change_7d_pct": _num(quote.get("percentChange7d")),
        # A zero market cap or supply is how CMC says "not reported" (rendered as --).
        "market_cap": _num(quote.get("marketCap"), zero_is_missing=True),
        "volume_24h": _num(quote.get("volume24h")),
        "circulating_supply": _num(entry.get("circulatingSupply"), zero_is_missing=True),
        "max_supply": _num(entry.get("maxSupply"), zero_is_missing=True),
    }
    return JsonCoin(cmc_id, slug, name, symbol, rank if rank and rank > 0 else None, values)


def _decode_entries(
    entries: list[Any], quote_of: Any
) -> tuple[list[JsonCoin], list[tuple[str | None, str]]]:
    coins, rejected = [], []
    for entry in entries:
        slug = entry.get("slug") if isinstance(entry, dict) else None
        slug = slug if isinstance(slug, str) else None
        try:
            if not isinstance(entry, dict):
                raise ValueError("entry is not an object")
            coins.append(_coin(entry, quote_of(entry)))
        except ValueError as err:
            rejected.append((slug, f"json: {err}"))
    return coins, rejected


def _currency(state: Any) -> str | None:
    cur = _get(state, "app", "currency")
    if isinstance(cur, dict):
        if isinstance(cur.get("id"), int) and cur["id"] in FIAT_IDS:
            return FIAT_IDS[cur["id"]]
        symbol = cur.get("symbol")
        if isinstance(symbol, str) and re.fullmatch(r"[A-Za-z]{3,5}", symbol):
            return symbol.upper()
    return None


def _generation_c(props: dict[str, Any], currency: str | None) -> JsonListing | None:
    queries = _get(props, "dehydratedState", "queries")
    if not isinstance(queries, list):
        return None
    for query in queries:
        key = query.get("queryKey") if isinstance(query, dict) else None
        if not (isinstance(key, list) and key and key[0] == "homepage-data"):
            continue
        entries = _get(query, "state", "data", "data", "listing", "cryptoCurrencyList")
        if not isinstance(entries, list) or not entries:
            continue

        def quote_of(entry: dict[str, Any]) -> Any:
            quotes = entry.get("quotes")
            if not isinstance(quotes, list):
                return None
            wanted = currency or "USD"
            return next(
                (q for q in quotes if isinstance(q, dict) and q.get("name") == wanted), None
            )

        coins, rejected = _decode_entries(entries, quote_of)
        page = key[1] if len(key) > 1 and isinstance(key[1], int) else None
        return JsonListing("c", currency, coins, rejected, page)
    return None


def decompress_keys_arr(data: list[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Expand a ``COMPRESSED_KEYS_ARR`` list into dicts with nested keys restored.

    Returns (entries, problems). An array whose length is not
    ``len(keysArr) + len(excludeProps)`` is misaligned: it is dropped and reported.
    """
    header, rows = data[0], data[1:]
    keys = header.get("keysArr")
    excluded = header.get("excludeProps") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return [], ["json: keysArr header is not a list of strings"]
    entries, problems = [], []
    expected = len(keys) + len(excluded)
    for index, values in enumerate(rows):
        if not isinstance(values, list) or len(values) != expected:
            size = len(values) if isinstance(values, list) else "no"
            problems.append(f"json: keysArr row {index} has {size} values, expected {expected}")
            continue
        entry: dict[str, Any] = {}
        for key, value in zip(keys, values, strict=False):
            target = entry
            *parents, leaf = key.split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
                if not isinstance(target, dict):
                    break
            else:
                target[leaf] = value
        entries.append(entry)
    return entries, problems


def _generation_ab(state: Any, currency: str | None) -> JsonListing | None:
    data = _get(state, "cryptocurrency", "listingLatest", "data")
    if not isinstance(data, list) or not data:
        return None
    generation = "a"
    problems: list[str] = []
    if isinstance(data[0], dict) and data[0].get("id") == "COMPRESSED_KEYS_ARR":
        generation = "b"
        data, problems = decompress_keys_arr(data)

    def quote_of(entry: dict[str, Any]) -> Any:
        return _get(entry, "quote", currency or "USD")

    coins, rejected = _decode_entries(data, quote_of)
    page = _get(state, "cryptocurrency", "listingLatest", "page")
    page = page if isinstance(page, int) and not isinstance(page, bool) else None
    return JsonListing(generation, currency, coins, [(None, p) for p in problems] + rejected, page)


def parse_next_data(raw: str | None) -> JsonListing | None:
    """The listing in a __NEXT_DATA__ script text, or None if it holds none.

    Never raises on bad input: unparseable JSON or an unknown layout is None.
    """
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    props = _get(doc, "props")
    if not isinstance(props, dict):
        return None
    state = props.get("initialState")
    if isinstance(state, str):
        try:
            state = json.loads(state)
        except ValueError:
            state = None
    currency = _currency(state)
    return _generation_c(props, currency) or _generation_ab(state, currency)
