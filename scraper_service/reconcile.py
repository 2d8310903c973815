"""Merge the rendered table with the page JSON into quote candidates. Pure.

Rendered (full) rows: the page values win, because the DOM receives live ticks
that __NEXT_DATA__ never sees; JSON only fills what the row lacks (``--`` cells,
max supply, the coin id) and refines an abbreviated supply (``19.88M``) when it
agrees with it. Placeholder rows and coins missing from the table come from the
JSON. Non-coin rows are skipped. Coins are keyed by id and slug, never symbol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scraper_service.dom import NON_COIN_SLUGS, DomRow
from scraper_service.next_data import JsonCoin, JsonListing

FIELDS = (
    "price",
    "change_1h_pct",
    "change_24h_pct",
    "change_7d_pct",
    "market_cap",
    "volume_24h",
    "circulating_supply",
    "max_supply",
)
# An abbreviated supply has 3-4 significant digits: "19.88M" is within 0.5% of the exact value.
ABBREVIATION_TOLERANCE = 0.006


@dataclass(frozen=True)
class Rejected:
    """A row that produced no message, and why (logged with its slug)."""

    slug: str | None
    reason: str


@dataclass
class Merged:
    """Reconciliation output: candidate field dicts in page order, plus what was left out."""

    candidates: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    skipped: list[str | None] = field(default_factory=list)


def _from_json(coin: JsonCoin) -> dict[str, Any]:
    return {
        "cmc_id": coin.cmc_id,
        "slug": coin.slug,
        "name": coin.name,
        "symbol": coin.symbol,
        "rank": coin.rank,
        **coin.values,
        "origin": "json",
    }


def _from_dom(row: DomRow, coin: JsonCoin | None) -> dict[str, Any]:
    values: dict[str, Any] = {name: row.values.get(name) for name in FIELDS}
    if coin is not None:
        for name in FIELDS:
            if values[name] is None:
                values[name] = coin.values.get(name)
        dom_supply, json_supply = (
            row.values.get("circulating_supply"),
            coin.values.get("circulating_supply"),
        )
        if (
            row.supply_abbreviated
            and dom_supply
            and json_supply
            and abs(dom_supply - json_supply) <= ABBREVIATION_TOLERANCE * json_supply
        ):
            values["circulating_supply"] = json_supply
    return {
        "cmc_id": row.cmc_id or (coin.cmc_id if coin else None),
        "slug": row.slug,
        "name": row.name or (coin.name if coin else None),
        "symbol": row.symbol or (coin.symbol if coin else None),
        "rank": row.rank or (coin.rank if coin else None),
        **values,
        "origin": "dom",
    }


def reconcile(rows: list[DomRow], listing: JsonListing | None) -> Merged:
    """DOM rows + JSON listing -> candidates (in table order, then JSON-only coins)."""
    merged = Merged()
    coins = listing.coins if listing else []
    by_id = {c.cmc_id: c for c in coins}
    by_slug = {c.slug: c for c in coins}
    if listing:
        merged.rejected.extend(Rejected(slug, reason) for slug, reason in listing.rejected)
    rejected_json_slugs = {slug for slug, _ in (listing.rejected if listing else []) if slug}
    seen_slugs: set[str] = set()
    seen_ids: set[int] = set()

    def claim(slug: str, cmc_id: int | None) -> bool:
        if slug in seen_slugs or (cmc_id is not None and cmc_id in seen_ids):
            return False
        seen_slugs.add(slug)
        if cmc_id is not None:
            seen_ids.add(cmc_id)
        return True

    for row in rows:
        if row.non_coin or row.slug is None:
            merged.skipped.append(row.slug)
            continue
        coin = (by_id.get(row.cmc_id) if row.cmc_id else None) or by_slug.get(row.slug)
        if coin is not None and coin.slug != row.slug:
            # Same id, different slug: the row and the JSON disagree on identity; trust neither.
            merged.rejected.append(Rejected(row.slug, f"id {coin.cmc_id} is {coin.slug} in JSON"))
            continue
        if row.error:
            merged.rejected.append(Rejected(row.slug, row.error))
            seen_slugs.add(row.slug)
            continue
        if row.placeholder and coin is None:
            if row.slug not in rejected_json_slugs:
                merged.rejected.append(
                    Rejected(row.slug, "placeholder row not rendered and no JSON data for it")
                )
            seen_slugs.add(row.slug)
            continue
        candidate = _from_json(coin) if row.placeholder and coin else _from_dom(row, coin)
        if not claim(row.slug, candidate["cmc_id"]):
            merged.rejected.append(Rejected(row.slug, "duplicate slug or id on the page"))
            continue
        merged.candidates.append(candidate)
    for coin in coins:
        if coin.slug in NON_COIN_SLUGS or coin.slug.endswith("-index-dtf"):
            merged.skipped.append(coin.slug)
        elif coin.slug not in seen_slugs and coin.cmc_id not in seen_ids:
            claim(coin.slug, coin.cmc_id)
            merged.candidates.append(_from_json(coin))
    return merged
