"""``<script id="__NEXT_DATA__">`` -> `JsonListing`. Pure.

The listing is found by its shape, not by its path (docs/coinmarketcap-markup.md):
the longest list of coin objects (id, slug, name, symbol) anywhere in the document,
JSON held in strings included, or a ``COMPRESSED_KEYS_ARR`` list expanded into such
objects. Each coin's values come from its quote block in the page currency,
whatever its form: a ``quote.<CUR>`` object, a ``quotes`` list whose entries have a
``name``, or dotted keysArr keys; field names in camelCase or snake_case alike.
Entries whose identity has the wrong types after decoding (misaligned keysArr
arrays) are rejected, never guessed; a value of the wrong type is named in the
coin's ``errors`` and left out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FIAT_IDS = {2781: "USD", 2790: "EUR", 2791: "GBP", 2797: "JPY", 2782: "AUD", 2784: "CAD"}
# Field -> its key with case and underscores dropped (percentChange1h and
# percent_change_1h are both "percentchange1h"), in the quote block or the entry.
QUOTE_KEYS = {
    "price": "price",
    "change_1h_pct": "percentchange1h",
    "change_24h_pct": "percentchange24h",
    "change_7d_pct": "percentchange7d",
    "market_cap": "marketcap",
    "volume_24h": "volume24h",
}
ENTRY_KEYS = {"circulating_supply": "circulatingsupply", "max_supply": "maxsupply"}
# A zero market cap or supply is how CoinMarketCap says "not reported" (rendered as --).
ZERO_IS_MISSING = frozenset({"market_cap", "circulating_supply", "max_supply"})
_IDENTITY = ("id", "slug", "name", "symbol")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class JsonCoin:
    """One listing entry decoded from the page JSON, in the listing's currency.

    ``values`` has every field (None when the JSON has no value for it); ``errors``
    names the fields whose JSON value had the wrong type.
    """

    cmc_id: int
    slug: str
    name: str
    symbol: str
    rank: int | None
    values: dict[str, float | None]
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JsonListing:
    """The listing found in __NEXT_DATA__: its form, currency, coins and rejects.

    ``generation`` names the quote block's form: "c" a ``quotes`` list, "b" a
    compressed keysArr listing, "a" a ``quote`` object.
    """

    generation: str
    currency: str | None  # None when the page JSON does not say (quotes read as USD)
    coins: list[JsonCoin]
    rejected: list[tuple[str | None, str]] = field(default_factory=list)
    page: int | None = None

    @property
    def ranked(self) -> bool:
        """Whether this listing gives ranks at all (then an entry without one is no coin)."""
        return any(coin.rank is not None for coin in self.coins)


def _norm(key: str) -> str:
    return key.replace("_", "").lower()


def _normalised(obj: dict[str, Any]) -> dict[str, Any]:
    return {_norm(k): v for k, v in obj.items() if isinstance(k, str)}


def _number(value: Any) -> float | None:
    """A finite JSON number, or a string holding one ("105276.1"); None for anything else."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _is_coin(obj: Any) -> bool:
    return isinstance(obj, dict) and all(k in obj for k in _IDENTITY)


def _quote_block(entry: dict[str, Any], currency: str | None) -> dict[str, Any] | None:
    """The entry's quote values in ``currency``; when the page does not say which, in USD
    or in the only currency quoted. Never a quote in another currency than the page's."""
    wanted = [currency or "USD"]
    for key in ("quote", "quotes"):
        block = entry.get(key)
        if isinstance(block, dict):
            if "price" in block:
                return block
            by_name = {str(k).upper(): v for k, v in block.items() if isinstance(v, dict)}
        elif isinstance(block, list):
            by_name = {
                str(q.get(label)).upper(): q
                for q in block
                if isinstance(q, dict)
                for label in ("name", "symbol", "currency")
                if isinstance(q.get(label), str)
            }
        else:
            continue
        for name in wanted:
            if name in by_name:
                return dict(by_name[name])
        if currency is None and len(by_name) == 1:
            return dict(next(iter(by_name.values())))
    return entry if "price" in entry else None


def _coin(entry: dict[str, Any], currency: str | None) -> JsonCoin:
    """A coin object -> JsonCoin. Raises ValueError when its identity has wrong types."""
    cmc_id, slug, name, symbol = (entry.get(k) for k in _IDENTITY)
    if isinstance(cmc_id, bool) or not isinstance(cmc_id, int) or cmc_id <= 0:
        raise ValueError(f"id is not a positive integer: {cmc_id!r}")
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ValueError(f"slug is not a slug: {slug!r}")
    if not isinstance(name, str) or not isinstance(symbol, str) or not name or not symbol:
        raise ValueError("name or symbol is not a string")
    keys = _normalised(entry)
    rank = keys.get("cmcrank", keys.get("rank"))
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int)):
        raise ValueError(f"cmcRank is not an integer: {rank!r}")
    block = _quote_block(entry, currency)
    quote = _normalised(block) if block is not None else {}
    values: dict[str, float | None] = {}
    errors: dict[str, str] = {}
    for fields, source in ((QUOTE_KEYS, quote), (ENTRY_KEYS, keys)):
        for field_name, key in fields.items():
            raw = source.get(key)
            value = _number(raw)
            if raw is not None and value is None:
                errors[field_name] = f"{key} is not a number: {raw!r}"
            if value == 0 and field_name in ZERO_IS_MISSING:
                value = None
            values[field_name] = value
    if block is None:
        errors["price"] = f"no quote in {currency or 'USD'}"
    elif values["price"] is None and "price" not in errors:
        errors["price"] = "no price"
    return JsonCoin(cmc_id, slug, name, symbol, rank if rank and rank > 0 else None, values, errors)


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


@dataclass
class _Candidate:
    entries: list[Any]
    compressed: bool
    problems: list[str]
    page: int | None


def _page_of(ancestors: list[Any]) -> int | None:
    """The page number next to a listing: a ``page`` key or a query key's number."""
    for node in reversed(ancestors):
        if not isinstance(node, dict):
            continue
        page = node.get("page")
        if isinstance(page, int) and not isinstance(page, bool):
            return page
        key = node.get("queryKey")
        if isinstance(key, list) and len(key) > 1 and isinstance(key[1], int):
            return key[1]
    return None


def _walk(node: Any, ancestors: list[Any]) -> Iterator[tuple[Any, list[Any]]]:
    """Every node with its ancestors; a string holding a JSON object is walked as one."""
    if isinstance(node, str) and node[:1] == "{":
        try:
            node = json.loads(node)
        except ValueError:
            return
    yield node, ancestors
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        if isinstance(child, dict | list | str):
            yield from _walk(child, [*ancestors, node])


def _candidates(doc: Any) -> tuple[list[_Candidate], str | None]:
    """Every list that holds coin objects or a compressed listing, and the page currency."""
    found: list[_Candidate] = []
    currency = None
    for node, ancestors in _walk(doc, []):
        if isinstance(node, dict):
            currency = currency or _currency(node.get("app"))
        if not isinstance(node, list) or not node:
            continue
        head = node[0]
        if isinstance(head, dict) and head.get("id") == "COMPRESSED_KEYS_ARR":
            entries, problems = decompress_keys_arr(node)
            found.append(_Candidate(entries, True, problems, _page_of(ancestors)))
        elif sum(_is_coin(item) for item in node) * 2 > len(node):
            found.append(_Candidate(node, False, [], _page_of(ancestors)))
    return found, currency


def _currency(app: Any) -> str | None:
    cur = app.get("currency") if isinstance(app, dict) else None
    if isinstance(cur, dict):
        if isinstance(cur.get("id"), int) and cur["id"] in FIAT_IDS:
            return FIAT_IDS[cur["id"]]
        symbol = cur.get("symbol")
        if isinstance(symbol, str) and re.fullmatch(r"[A-Za-z]{3,5}", symbol):
            return symbol.upper()
    return None


def _generation(candidate: _Candidate) -> str:
    if candidate.compressed:
        return "b"
    with_list = sum(
        isinstance(e, dict) and isinstance(e.get("quotes"), list) for e in candidate.entries
    )
    return "c" if with_list * 2 > len(candidate.entries) else "a"


def parse_next_data(
    raw: str | None, table_slugs: frozenset[str] = frozenset(), table_currency: str | None = None
) -> JsonListing | None:
    """The listing in a __NEXT_DATA__ script text, or None if it holds none.

    Of several coin lists (the listing, the spotlight lists and coin maps beside
    it), the one sharing the most slugs with ``table_slugs`` (the rendered table's),
    then with the most entries quoted, then the longest, is the listing. Its
    currency is the one the page JSON names, else ``table_currency`` (what the
    table's money cells show). Never raises on bad input: unparseable JSON or no
    coin list is None.
    """
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    candidates, currency = _candidates(doc)
    currency = currency or table_currency
    if not candidates:
        return None

    def score(candidate: _Candidate) -> tuple[int, int, int]:
        # A coin map (every coin, no quotes) shares the table's slugs too, but not its prices.
        dicts = [e for e in candidate.entries if isinstance(e, dict)]
        shared = len({e.get("slug") for e in dicts} & table_slugs)
        priced = sum(_quote_block(e, currency) is not None for e in dicts)
        return shared, priced, len(candidate.entries)

    best = max(candidates, key=score)
    coins: list[JsonCoin] = []
    rejected: list[tuple[str | None, str]] = [(None, p) for p in best.problems]
    for entry in best.entries:
        slug = entry.get("slug") if isinstance(entry, dict) else None
        try:
            if not isinstance(entry, dict):
                raise ValueError("entry is not an object")
            coins.append(_coin(entry, currency))
        except ValueError as err:
            rejected.append((slug if isinstance(slug, str) else None, f"json: {err}"))
    return JsonListing(_generation(best), currency, coins, rejected, best.page)
