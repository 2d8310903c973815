# HTML templates read best one element per line, however long the line is.
# ruff: noqa: E501
"""Deterministic CoinMarketCap-like listing pages and the messages they must yield.

Pure: coin data in, (HTML, expected messages) out. The markup follows the 2025
homepage (docs/coinmarketcap-markup.md); numbers are formatted
by the site's rules here, independently of the scraper's parser, and the
expected values are the formatted (rounded) numbers for rendered rows and the
exact JSON values for placeholder rows, so the truth is an oracle for the parser.
"""

from __future__ import annotations

import html
import json
import math
import random
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

FIAT = {"USD": (2781, "$", "United States Dollar"), "EUR": (2790, "€", "Euro")}
ABBREV = (
    (Decimal(10) ** 12, "T"),
    (Decimal(10) ** 9, "B"),
    (Decimal(10) ** 6, "M"),
    (Decimal(10) ** 3, "K"),
)
INITIAL_FULL_ROWS = 13  # full rows in a 2025 homepage before any scroll

# (id, slug, name, symbol, price, circulating supply, max supply); the rest is synthetic.
SEED_COINS: list[tuple[int, str, str, str, float, float, float | None]] = [
    (1, "bitcoin", "Bitcoin", "BTC", 105276.1071726936, 19882925, 21000000),
    (1027, "ethereum", "Ethereum", "ETH", 2439.75, 120710000.31, None),
    (825, "tether", "Tether", "USDT", 1.0002, 156340000000.5, None),
    (52, "xrp", "XRP", "XRP", 2.1724, 58930000000, 100000000000),
    (5426, "solana", "Solana", "SOL", 144.3, 531200000.7, None),
    (74, "dogecoin", "Dogecoin", "DOGE", 0.16421, 149640000000, None),
    (
        5994,
        "shiba-inu",
        "Shiba Inu",
        "SHIB",
        1.1648250800569399e-05,
        589250000000000,
        589730000000000,
    ),
    (24478, "pepe", "Pepe", "PEPE", 9.373e-06, 420690000000000, 420690000000000),
    (3890, "polygon-ecosystem-token", "POL (prev. MATIC)", "POL", 0.1897, 10300000000, None),
    (3718, "bittorrent-new", "BitTorrent [New]", "BTT", 6.1e-07, 986061142857000, 990000000000000),
]
SYNTH_WORDS = [
    "Aurora",
    "Basalt",
    "Cobalt",
    "Delta",
    "Ember",
    "Fjord",
    "Garnet",
    "Helix",
    "Indigo",
    "Juniper",
    "Krypton",
    "Lumen",
    "Magma",
    "Nimbus",
    "Onyx",
    "Prism",
    "Quasar",
    "Rune",
    "Sable",
    "Tundra",
]


@dataclass(frozen=True)
class Coin:
    """One coin's true state at one moment (the JSON values)."""

    cmc_id: int
    slug: str
    name: str
    symbol: str
    rank: int
    price: float
    change_1h: float
    change_24h: float
    change_7d: float
    market_cap: float  # 0 = not reported (rendered "--")
    volume_24h: float
    circulating_supply: float  # 0 = not reported
    max_supply: float | None


@dataclass(frozen=True)
class PageSpec:
    """How to render one page; every switch is one fixture case."""

    page: int = 1
    currency: str = "USD"
    full_rows: int = 100
    json_generation: str | None = "c"  # "c", "b", "a" or None
    non_coin_first_row: bool = False
    rotate_hashes: bool = False
    locale_mixed: bool = False  # pt-BR separators in volume and supply, "*" not-mineable
    misaligned_slugs: tuple[str, ...] = ()  # keysArr rows shifted by one slot (generation b)
    lazy: bool = False  # ship the full rows for the lazy-rendering script
    # How market cap and volume show: "marked" (2025: market cap abbreviated beside the
    # full amount in a data-nosnippet span), "combined" (2021: both, unmarked),
    # "abbreviated" (2026: market cap and volume abbreviated only).
    amounts: str = "marked"
    dropped_columns: tuple[str, ...] = ()  # table fields without a column
    legacy_table: bool = False  # LEGACY_COLUMNS, signed percentages, full amounts
    snake_case: bool = False  # coin objects in the JSON with snake_case keys
    index_row: bool = False  # an index product row without rank, in table and JSON
    total_count: int = 9561
    extra: dict[str, Any] = field(default_factory=dict)


# The index product row shown above rank 1 (2025-): priced, but ranked nowhere.
INDEX_COIN = Coin(
    cmc_id=38000,
    slug="coinmarketcap-20-index",
    name="CoinMarketCap 20 Index",
    symbol="CMC20",
    rank=0,
    price=187.12,
    change_1h=0.1,
    change_24h=-0.4,
    change_7d=2.5,
    market_cap=0.0,
    volume_24h=1_234_567.0,
    circulating_supply=0.0,
    max_supply=None,
)


def make_coins(count: int = 100, seed: int = 7, first_rank: int = 1) -> list[Coin]:
    """A deterministic universe of ``count`` coins ranked ``first_rank``... by market cap."""
    rng = random.Random(seed)
    coins: list[Coin] = []
    seeds = SEED_COINS if first_rank == 1 else []
    previous_cap: float | None = None
    for i in range(count):
        if i < len(seeds):
            cmc_id, slug, name, symbol, price, supply, max_supply = seeds[i]
        else:
            word = SYNTH_WORDS[i % len(SYNTH_WORDS)]
            n = i + first_rank
            cmc_id, name = 30000 + n * 7, f"{word} {n}"
            slug, symbol = f"{word.lower()}-{n}", f"{word[:3].upper()}{n % 10}"
            price = 10 ** rng.uniform(-6, 3.5)
            # A listing is ranked by market cap, which falls by about 2% a rank
            # (~$4B near rank 10, ~$800M near 100): supply follows from cap and price.
            cap = previous_cap if previous_cap is not None else 2.1e12 * n**-1.7
            supply = cap * rng.uniform(0.97, 0.995) / price
            max_supply = supply * rng.choice([1.0, 1.5, 2.0]) if rng.random() < 0.5 else None
        previous_cap = price * supply
        coins.append(
            Coin(
                cmc_id=cmc_id,
                slug=slug,
                name=name,
                symbol=symbol,
                rank=first_rank + i,
                price=price,
                change_1h=rng.uniform(-3, 3),
                change_24h=rng.uniform(-12, 12),
                change_7d=rng.uniform(-30, 30),
                market_cap=price * supply,
                volume_24h=price * supply * rng.uniform(0.005, 0.2),
                circulating_supply=float(supply),
                max_supply=None if max_supply is None else float(max_supply),
            )
        )
    if first_rank > 1:
        # Two coins share a symbol, and one reports no supply at all ("--" cells).
        coins[3] = replace(coins[3], symbol=coins[2].symbol)
        coins[-1] = replace(coins[-1], market_cap=0.0, circulating_supply=0.0, max_supply=None)
    else:
        coins[20] = replace(coins[20], symbol="PEPE")  # a second PEPE, another slug and id
    return coins


def tick(coins: list[Coin], step: int, seed: int = 11) -> list[Coin]:
    """The same coins ``step`` minutes later: prices move, ranks and ids do not."""
    rng = random.Random(seed * 1000 + step)
    moved = []
    for c in coins:
        factor = math.exp(rng.gauss(0, 0.004))
        moved.append(
            replace(
                c,
                price=c.price * factor,
                market_cap=c.market_cap * factor,
                volume_24h=c.volume_24h * rng.uniform(0.99, 1.01),
                change_1h=c.change_1h + rng.gauss(0, 0.2),
                change_24h=c.change_24h + rng.gauss(0, 0.1),
            )
        )
    return moved


# ---- number formatting, by the site's rules (section 10) ---------------------------------


def price_text(value: float) -> tuple[str, float]:
    """``105,469.75`` for >= 1, 4 significant digits below; returns (digits, shown value)."""
    if value >= 1:
        text = f"{value:,.2f}"
    else:
        decimals = 3 - math.floor(math.log10(value))
        text = f"{value:.{decimals}f}"
    return text, float(text.replace(",", ""))


def abbreviated(value: float, keep_zeros: bool = False) -> tuple[str, float]:
    """``2.1T`` (trailing zeros trimmed) or ``612.96K`` (kept); returns (text, shown value)."""
    exact = Decimal(repr(value))
    for size, suffix in ABBREV:
        if exact >= size:
            digits = f"{exact / size:.2f}"
            if not keep_zeros:
                digits = digits.rstrip("0").rstrip(".")
            return digits + suffix, float(Decimal(digits) * size)
    digits = f"{exact:.2f}"
    return digits, float(Decimal(digits))


def full_money(value: float) -> tuple[str, float]:
    """Whole units with thousands commas, e.g. ``2,097,047,168,150``."""
    whole = round(value)
    return f"{whole:,}", float(whole)


def pt_br(text: str) -> str:
    """Swap en-US separators for pt-BR ones (``7,299,982,172`` -> ``7.299.982.172``)."""
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


# ---- markup --------------------------------------------------------------------------------

# (header text, cell key) in page order: the 2025 homepage, and an older layout with
# other header texts, another order, no 1h or 7d change and a 7-day graph.
COLUMNS = [
    ("", "star"),
    ("#", "rank"),
    ("Name", "name"),
    ("Price", "price"),
    ("1h %", "change_1h_pct"),
    ("24h %", "change_24h_pct"),
    ("7d %", "change_7d_pct"),
    ("Market Cap", "market_cap"),
    ("Volume(24h)", "volume_24h"),
    ("Circulating Supply", "circulating_supply"),
    ("Last 7 Days", "graph"),
]
LEGACY_COLUMNS = [
    ("Rank", "rank"),
    ("Name", "name"),
    ("Market Cap", "market_cap"),
    ("Price", "price"),
    ("Volume (24h)", "volume_24h"),
    ("Circulating Supply", "circulating_supply"),
    ("Change (24h)", "change_24h_pct"),
    ("Price Graph (7d)", "graph"),
]
TABLE_FIELDS = (
    "price",
    "change_1h_pct",
    "change_24h_pct",
    "change_7d_pct",
    "market_cap",
    "volume_24h",
    "circulating_supply",
)


class Hashes:
    """Styled-components class names; ``rotated`` gives another deploy's names and stray spaces."""

    def __init__(self, rotated: bool) -> None:
        self.rotated = rotated

    def __call__(self, name: str) -> str:
        if not self.rotated:
            return name
        return (
            "".join(chr((ord(ch) - 97 + 7) % 26 + 97) if ch.islower() else ch for ch in name) + "  "
        )

    def cls(self, hashed: str, stable: str = "") -> str:
        names = f"{self(hashed).strip()} {stable}".strip()
        return names + ("  " if self.rotated else "")


def _pct_cell(value: float, h: Hashes) -> tuple[str, float]:
    shown = float(f"{abs(value):.2f}")
    up = value >= 0
    caret = "icon-Caret-up" if up else "icon-Caret-down"
    colour = "sc-1e8091e1-0 fDGzbr" if up else "sc-1e8091e1-0 jgYsZM"
    cell = (
        f'<td style="text-align:end"><span class="{h.cls(colour)}"><span class="{caret}" '
        f'style="width:12px;display:inline-block"></span>{abs(value):.2f}<!-- -->%</span></td>'
    )
    return cell, shown if up else -shown


def _signed_pct_cell(value: float) -> tuple[str, float]:
    """The older markup: the sign in the text, the direction in a class."""
    shown = float(f"{value:.2f}")
    direction = "positive" if value >= 0 else "negative"
    return f'<td><div class="cmc--change-{direction}">{value:.2f}<!-- -->%</div></td>', shown


@dataclass
class RowTruth:
    """What a rendered row shows: the values a parser reads from it, the fields shown
    abbreviated (the JSON's exact value replaces them) and those it cannot give."""

    values: dict[str, Any]
    abbreviated: set[str] = field(default_factory=set)
    not_shown: set[str] = field(default_factory=set)


def full_row(c: Coin, spec: PageSpec, h: Hashes) -> tuple[str, RowTruth]:
    """A rendered ``<tr>`` and what a parser must read from it."""
    _cid, token, _ = FIAT[spec.currency]
    p_text, p_val = price_text(c.price)
    truth = RowTruth({"price": p_val})
    cells: dict[str, str] = {}
    for key, value in (
        ("change_1h_pct", c.change_1h),
        ("change_24h_pct", c.change_24h),
        ("change_7d_pct", c.change_7d),
    ):
        cells[key], truth.values[key] = (
            _signed_pct_cell(value) if spec.legacy_table else _pct_cell(value, h)
        )
    marked = ' data-nosnippet="true"' if spec.amounts == "marked" else ""
    if c.market_cap > 0:
        short, short_value = abbreviated(c.market_cap)
        full, truth.values["market_cap"] = full_money(c.market_cap)
        if spec.amounts == "abbreviated":
            truth.values["market_cap"] = short_value
            truth.abbreviated.add("market_cap")
            figures = f'<span class="{h.cls("sc-11478e5d-0 chpohi")}">{token}{short}</span>'
        elif spec.legacy_table:
            figures = f"<span>{token}{full}</span>"
        else:
            figures = (
                f'<span class="{h.cls("sc-11478e5d-0 chpohi")}">{token}{short}</span>'
                f'<span class="{h.cls("sc-11478e5d-1 jfwGHx")}"{marked}>{token}{full}</span>'
            )
        mcap = f'<p class="{h.cls("sc-71024e3e-0 fOLOxZ")}">{figures}</p>'
    else:
        truth.values["market_cap"] = None
        mcap = f'<p class="{h.cls("sc-71024e3e-0 fOLOxZ")}">--</p>'
    vol_text, truth.values["volume_24h"] = full_money(c.volume_24h)
    if spec.amounts == "abbreviated":
        vol_text, truth.values["volume_24h"] = abbreviated(c.volume_24h)
        truth.abbreviated.add("volume_24h")
    units, _ = abbreviated(c.volume_24h / c.price, keep_zeros=True)
    if spec.locale_mixed:
        vol_text = pt_br(vol_text)
    if c.circulating_supply > 0:
        sup_text, truth.values["circulating_supply"] = abbreviated(c.circulating_supply)
        truth.abbreviated.add("circulating_supply")
        if spec.legacy_table or (spec.locale_mixed and c.max_supply is None):
            truth.abbreviated.discard("circulating_supply")
            sup_text, truth.values["circulating_supply"] = full_money(c.circulating_supply)
        if spec.locale_mixed and c.max_supply is None:
            sup_text = pt_br(sup_text) + "<!-- --> *"
        bar = ""
        if c.max_supply:
            width = 100 * c.circulating_supply / c.max_supply
            bar = f'<div class="PercentageBar_wrapper___KjMj"><div class="PercentageBar_overlay-bar__Jmn3C" style="width:{width:.2f}%"></div></div>'
        supply = (
            f'<div class="{h.cls("sc-c594afdb-0 iMjiTG", "circulating-supply-cell")}" style="width:140px">'
            f'<div class="circulating-supply-value"><span>{sup_text}</span> <!-- -->{html.escape(c.symbol)}</div>{bar}</div>'
        )
    else:
        truth.values["circulating_supply"] = None
        supply = "--"
    convert = FIAT[spec.currency][0]
    is_up = " isUp" if c.change_7d >= 0 else ""
    name, symbol = html.escape(c.name), html.escape(c.symbol)
    name_class = (
        "" if spec.legacy_table else f' class="{h.cls("sc-65e7f566-0 iPbTJf", "coin-item-name")}"'
    )
    cells |= {
        "star": '<td><div class="BasePopover_base__T5yOf popover-base"><span class="tooltip tooltip-right"><span class="icon-Star-Filled"></span></span></div></td>',
        "rank": f'<td style="text-align:start"><p class="{h.cls("sc-71024e3e-0 biekbf")}" color="text2" font-size="14">{c.rank or ""}</p></td>',
        "name": f'<td style="text-align:start"><div class="{h.cls("sc-5d5d9567-0 kzzzVD")}"><a class="cmc-link" href="/currencies/{c.slug}/">'
        f'<span class="{h.cls("sc-65e7f566-0 eQBACe", "coin-item")}"><img alt="{symbol} logo" class="coin-logo" loading="lazy" '
        f'src="https://s2.coinmarketcap.com/static/img/coins/64x64/{c.cmc_id}.png"/><div class="{h.cls("sc-65e7f566-0 dBCFqT")}">'
        f'<div class="{h.cls("sc-65e7f566-0 jHmPms", "hide-ranking-number")}"><p{name_class}>{name}</p>'
        f'<div class="{h.cls("sc-ddaafcf5-3 dwlLOs")}" data-nosnippet="true"><p class="{h.cls("sc-65e7f566-0 byYAWx", "coin-item-symbol")}">{symbol}</p></div></div></div></span></a>'
        '<div><button class="BaseButton_base__34gwo bt-base"><div data-role="btn-content"><div data-role="btn-content-item">Buy</div></div></button></div></div></td>',
        "price": f'<td style="text-align:end"><div class="{h.cls("sc-142c02c-0 lmjbLF")}"><span>{token}{p_text}</span></div></td>',
        "market_cap": f'<td style="text-align:end">{mcap}</td>',
        "volume_24h": f'<td style="text-align:end"><div class="{h.cls("sc-4c05d6ef-0 bLqliP")}"><a class="cmc-link" href="/currencies/{c.slug}/#markets">'
        f'<p class="{h.cls("sc-71024e3e-0 bbHOdE", "font_weight_500")}">{token}{vol_text}</p></a>'
        f'<div data-nosnippet="true"><p class="{h.cls("sc-71024e3e-0 cuNNJt")}" color="text2">{units} {symbol}</p></div></div></td>',
        "circulating_supply": f'<td style="text-align:end"><div class="BasePopover_base__T5yOf popover-base">{supply}</div></td>',
        "graph": f'<td style="text-align:end"><img alt="{c.slug}-7d-price-graph" class="{h.cls("sc-db1da501-0 ebVlnd")}{is_up}" loading="lazy" '
        f'src="https://s3.coinmarketcap.com/generated/sparklines/web/7d/{convert}/{c.cmc_id}.svg"/></td>',
    }
    shown = [key for _, key in columns(spec)]
    truth.not_shown = {key for key in TABLE_FIELDS if key not in shown}
    for key in truth.not_shown:
        truth.values.pop(key, None)
    return "<tr>" + "".join(cells[key] for key in shown) + "</tr>", truth


def columns(spec: PageSpec) -> list[tuple[str, str]]:
    """The table's (header, cell key) pairs in page order."""
    layout = LEGACY_COLUMNS if spec.legacy_table else COLUMNS
    return [(text, key) for text, key in layout if key not in spec.dropped_columns]


def placeholder_row(c: Coin, spec: PageSpec, h: Hashes) -> str:
    """A not-yet-rendered row: name, symbol and a 2-decimal price only."""
    token = FIAT[spec.currency][1]
    return (
        f'<tr class="{h.cls("sc-902a96b4-0 jMqOWd")}"><td></td><td></td><td><a class="cmc-link" href="/currencies/{c.slug}/">'
        f'<span class="circle"></span><span>{html.escape(c.name)}</span><span class="crypto-symbol">{html.escape(c.symbol)}</span></a></td>'
        f'<td>{token}<!-- -->{c.price:.2f}</td><td colspan="100"></td></tr>'
    )


NON_COIN_ROW = (
    '<tr><td></td><td style="text-align:start"><p>-</p></td><td style="text-align:start"><a class="cmc-link" '
    'href="/currencies/coinmarketcap-20-index-dtf/"><span class="coin-item"><p class="coin-item-name">CoinMarketCap 20 Index DTF</p>'
    '<p class="coin-item-symbol">CMC20</p></span></a></td><td style="text-align:end"><span>$187.12</span></td>'
    '<td></td><td></td><td></td><td style="text-align:end">--</td><td>--</td><td>--</td><td></td></tr>'
)


def _quote(c: Coin) -> dict[str, Any]:
    return {
        "price": c.price,
        "volume24h": c.volume_24h,
        "marketCap": c.market_cap,
        "percentChange1h": c.change_1h,
        "percentChange24h": c.change_24h,
        "percentChange7d": c.change_7d,
        "fullyDilluttedMarketCap": c.price * (c.max_supply or c.circulating_supply),
        "dominance": 0.0,
        "turnover": 0.01,
    }


def _entry(c: Coin) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": c.cmc_id,
        "name": c.name,
        "symbol": c.symbol,
        "slug": c.slug,
        "cmcRank": c.rank or None,
        "marketPairCount": 100,
        "circulatingSupply": c.circulating_supply,
        "selfReportedCirculatingSupply": 0,
        "totalSupply": c.circulating_supply,
        "isActive": 1,
        "lastUpdated": "2026-11-28T04:20:00.000Z",
        "dateAdded": "2013-04-28T00:00:00.000Z",
    }
    if c.max_supply is not None:
        entry["maxSupply"] = c.max_supply
    if not c.rank:
        del entry["cmcRank"]
    return entry


def _snake(key: str) -> str:
    """``percentChange1h`` -> ``percent_change_1h``, as the oldest pages and the API write it."""
    return re.sub(r"(?<=[a-zA-Z])(?=\d)", "_", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)).lower()


def _snake_keys(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {_snake(k): _snake_keys(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_snake_keys(v) for v in obj]
    return obj


def next_data(coins: list[Coin], spec: PageSpec) -> dict[str, Any]:
    """The __NEXT_DATA__ document for ``spec.json_generation``."""
    cid, token, cname = FIAT[spec.currency]
    app = {"currency": {"id": cid, "name": cname, "symbol": spec.currency.lower(), "token": token}}
    state: dict[str, Any] = {
        "app": app,
        "cryptocurrency": {"listingLatest": {"page": spec.page, "data": [], "totalItems": "0"}},
    }
    props: dict[str, Any] = {"pageProps": {"pageSize": 100, "initialPage": spec.page}}
    gen = spec.json_generation
    coins = [INDEX_COIN, *coins] if spec.index_row else coins
    coin_keys = _snake_keys if spec.snake_case else lambda obj: obj
    if gen == "c":
        listing = [
            coin_keys(
                {
                    **_entry(c),
                    "quotes": [
                        {"name": "BTC", "price": 1.0},
                        {"name": "ETH", "price": 1.0},
                        {"name": spec.currency, **_quote(c)},
                    ],
                }
            )
            for c in coins
        ]
        props["dehydratedState"] = {
            "queries": [
                {"queryKey": ["global-metric"], "state": {"data": {}}},
                {
                    "queryKey": ["homepage-data", spec.page, 100],
                    "queryHash": f'["homepage-data",{spec.page},100]',
                    "state": {
                        "data": {
                            "data": {
                                "listing": {
                                    "cryptoCurrencyList": listing,
                                    "totalCount": str(spec.total_count),
                                }
                            }
                        }
                    },
                },
            ]
        }
    elif gen == "a":
        state["cryptocurrency"]["listingLatest"]["data"] = [
            coin_keys({**_entry(c), "quote": {spec.currency: _quote(c)}}) for c in coins
        ]
    elif gen == "b":
        flat_rows = []
        for c in coins:
            flat = {k: v for k, v in _entry(c).items()}
            flat.setdefault("maxSupply", None)
            flat.setdefault("cmcRank", None)
            flat["rank"] = c.rank or None
            flat.update({f"quote.{spec.currency}.{k}": v for k, v in _quote(c).items()})
            flat_rows.append(coin_keys(flat))
        keys = sorted(flat_rows[0])
        exclude = ["platform", "auditInfoList"]
        data: list[Any] = [{"keysArr": keys, "id": "COMPRESSED_KEYS_ARR", "excludeProps": exclude}]
        for c, flat in zip(coins, flat_rows, strict=True):
            values = [flat[k] for k in keys] + [None, []]
            if c.slug in spec.misaligned_slugs:
                values = values[1:]  # the one-slot shift seen in 2024 ("maxSupply":"IOTA")
            data.append(values)
        state["cryptocurrency"]["listingLatest"] = {
            "page": spec.page,
            "pageSize": 100,
            "totalItems": str(spec.total_count),
            "data": data,
        }
    props["initialState"] = json.dumps(state)
    return {
        "props": props,
        "page": "/",
        "query": {},
        "buildId": "cryptoviz-replay",
        "isFallback": False,
    }


LAZY_SCRIPT = """
(function () {
  // Like the real site: rows become full only once scrolled into view.
  var store = JSON.parse(document.getElementById('cv-rows').textContent);
  var tbody = document.querySelector('table[class*="cmc-table"] > tbody');
  var io = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      var tr = entry.target;
      io.unobserve(tr);
      setTimeout(function () {
        var index = Array.prototype.indexOf.call(tbody.children, tr);
        if (index < 0 || !store[index]) return;
        var holder = document.createElement('tbody');
        holder.innerHTML = store[index];
        tr.replaceWith(holder.firstElementChild);
      }, 30);
    });
  });
  Array.prototype.forEach.call(tbody.children, function (tr) {
    if (tr.querySelector('td[colspan]')) io.observe(tr);
  });
})();
"""


def pager(spec: PageSpec) -> str:
    """The pagination list shown above and below the table."""
    last = math.ceil(spec.total_count / 100)
    prev_cls = "previous disabled" if spec.page == 1 else "previous"
    items = [
        f'<li class="{prev_cls}"><a aria-label="Previous page" class="chevron" role="button">‹</a></li>'
    ]
    for n in (1, 2, 3, 4, 5, last):
        if n == spec.page:
            items.append(
                f'<li class="page active"><a aria-current="page" aria-label="Page {n} is your current page" role="button">{n}</a></li>'
            )
        else:
            items.append(
                f'<li class="page"><a aria-label="Page {n}" href="/?page={n}" role="button">{n}</a></li>'
            )
    items.append(
        f'<li class="next"><a aria-label="Next page" class="chevron" href="/?page={spec.page + 1}" role="button">›</a></li>'
    )
    return f'<ul class="pagination">{"".join(items)}</ul>'


def render_page(coins: list[Coin], spec: PageSpec) -> tuple[str, list[dict[str, Any]]]:
    """The page HTML and the expected messages (rank order, without ``scraped_at``).

    Rows before ``spec.full_rows`` are rendered; the rest are placeholders whose
    expected message comes from the JSON (or none, without JSON).
    """
    h = Hashes(spec.rotate_hashes)
    rows, store, truth = [], [], []
    if spec.non_coin_first_row:
        rows.append(NON_COIN_ROW)
        store.append(NON_COIN_ROW)
    if spec.index_row:
        index, _ = full_row(INDEX_COIN, spec, h)
        rows.append(index)
        store.append(index)
    for i, c in enumerate(coins):
        full, shown = full_row(c, spec, h)
        store.append(full)
        json_ok = spec.json_generation is not None and c.slug not in spec.misaligned_slugs
        if i < spec.full_rows:
            rows.append(full)
            # The JSON refines what is abbreviated ("19.88M") and gives what is not shown.
            exact = _json_values(c) if json_ok else {}
            values = dict(shown.values)
            for key in shown.not_shown | {"max_supply"}:
                values[key] = exact.get(key)
            for key in shown.abbreviated & set(exact):
                values[key] = exact[key]
            values = {key: values[key] for key in (*TABLE_FIELDS, "max_supply")}
            truth.append(_message(c, spec, values, "dom"))
        else:
            rows.append(placeholder_row(c, spec, h))
            if json_ok:
                truth.append(_message(c, spec, _json_values(c), "json"))
    head = "".join(
        f'<th class="stickyTop"><div><p>{text}</p></div></th>' for text, _ in columns(spec)
    )
    table = (
        f'<table class="{h.cls("sc-db1da501-3 hvtTnJ", "cmc-table")}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    scripts = ""
    if spec.json_generation:
        blob = json.dumps(next_data(coins, spec)).replace("</", "<\\/")
        scripts += f'<script id="__NEXT_DATA__" type="application/json" crossorigin="anonymous">{blob}</script>'
    if spec.lazy:
        rows_blob = json.dumps(store).replace("</", "<\\/")
        scripts += f'<script id="cv-rows" type="application/json">{rows_blob}</script>'
        scripts += f"<script>{LAZY_SCRIPT}</script>"
    first = (spec.page - 1) * 100 + 1
    page_html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/>'
        "<title>Cryptocurrency Prices, Charts And Market Capitalizations | CoinMarketCap</title>"
        "<style>body{font-family:sans-serif;margin:0} table{border-collapse:collapse;width:100%}"
        " tbody tr{height:64px} td{padding:4px 8px;white-space:nowrap}</style></head>"
        f'<body><div id="__next"><div class="cmc-body-wrapper"><div class="grid"><h1>Today\'s Cryptocurrency Prices by Market Cap</h1>'
        f"<p>Showing {first} - {first + len(coins) - 1} out of {spec.total_count}</p>{pager(spec)}"
        f'<div class="{h.cls("sc-3baff698-2 kSJVrr")}"><div class="{h.cls("sc-db1da501-2 iWSjWE")}">{table}</div></div>{pager(spec)}'
        f"</div></div></div>{scripts}</body></html>"
    )
    truth.sort(key=lambda m: m["rank"])
    return page_html, truth


def expected_notes(coins: list[Coin], spec: PageSpec) -> dict[str, list[str]]:
    """Slug -> the fields of its rendered row that the table cannot give and the JSON does."""
    if spec.json_generation is None:
        return {}
    shown = {key for _, key in columns(spec)}
    notes = {}
    for c in coins[: spec.full_rows]:
        exact = _json_values(c)
        fields = [k for k in TABLE_FIELDS if k not in shown and exact[k] is not None]
        if fields and c.slug not in spec.misaligned_slugs:
            notes[c.slug] = fields
    return notes


def _json_values(c: Coin) -> dict[str, Any]:
    return {
        "price": c.price,
        "change_1h_pct": c.change_1h,
        "change_24h_pct": c.change_24h,
        "change_7d_pct": c.change_7d,
        "market_cap": c.market_cap or None,
        "volume_24h": c.volume_24h,
        "circulating_supply": c.circulating_supply or None,
        "max_supply": c.max_supply,
    }


def _message(c: Coin, spec: PageSpec, values: dict[str, Any], origin: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "source": spec.extra.get("source", "coinmarketcap"),
        "cmc_id": c.cmc_id,
        "slug": c.slug,
        "name": c.name,
        "symbol": c.symbol,
        "rank": c.rank,
        "currency": spec.currency,
        **values,
        "page": spec.page,
        "origin": origin,
    }
