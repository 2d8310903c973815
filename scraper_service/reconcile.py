"""Merge the rendered table with the page JSON into quote candidates, field by field. Pure.

One rule for every field (docs/coinmarketcap-markup.md): the value the table
shows wins, because the table receives live ticks that __NEXT_DATA__ never
sees, except that an abbreviated figure (``$1.28T``) gives way to the JSON's
exact one when the two agree within the figure's last shown digit. A field the
table cannot give (a cell that does not parse, a column it lacks, ``--``) comes
from the JSON, and a `Note` names it. A coin is rejected only when neither source
has a price, and the reason names both failures.

Placeholder rows and coins missing from the table come from the JSON. A coin is
keyed by id and slug, never symbol. A row or entry without a rank, where the
others have one in the table or the JSON, is not a coin (index products, ads),
nor is a row without rank repeating a coin that another row ranks (promoted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scraper_service.dom import READERS, DomRow
from scraper_service.next_data import JsonCoin, JsonListing

TABLE_FIELDS = tuple(READERS)
FIELDS = (*TABLE_FIELDS, "max_supply")
REQUIRED = "price"


@dataclass(frozen=True)
class Rejected:
    """A coin of the page that produced no message, and why (logged with its slug)."""

    slug: str | None
    reason: str


@dataclass(frozen=True)
class Note:
    """A field of a published quote that the table could not give, and why."""

    slug: str
    field: str
    reason: str


@dataclass
class Choice:
    """One field of one candidate: the values to try in order, and each source's failure."""

    options: list[tuple[float, str]] = field(default_factory=list)  # (value, "table"|"json")
    table_problem: str | None = None
    table_failed: bool = False  # the table showed something unreadable or invalid
    json_problem: str | None = None

    def drop_first(self, reason: str) -> None:
        """The first option failed validation: try the next one, remembering why."""
        value, source = self.options.pop(0)
        problem = f"{value!r} {reason}"
        if source == "table":
            self.table_problem, self.table_failed = problem, True
        else:
            self.json_problem = problem


@dataclass
class Candidate:
    """A coin to publish: identity, and one `Choice` per field."""

    identity: dict[str, Any]
    choices: dict[str, Choice]

    @property
    def slug(self) -> str:
        return str(self.identity["slug"])

    def values(self) -> dict[str, float | None]:
        return {name: c.options[0][0] if c.options else None for name, c in self.choices.items()}

    def notes(self) -> list[Note]:
        """For a rendered row: a note for each field the table failed to give while the
        JSON did, or that neither gave although the table showed something."""
        notes: list[Note] = []
        if self.identity["origin"] != "dom":
            return notes
        for name, choice in self.choices.items():
            from_json = bool(choice.options) and choice.options[0][1] == "json"
            if choice.table_problem and (from_json or choice.table_failed):
                where = "from the JSON" if from_json else f"left out (JSON: {choice.json_problem})"
                notes.append(Note(self.slug, name, f"{where}; table: {choice.table_problem}"))
        return notes

    def missing_price(self) -> str | None:
        """Why there is no price: both sources' failures; None when there is one."""
        price = self.choices[REQUIRED]
        if price.options:
            return None
        return f"price: table: {price.table_problem}; json: {price.json_problem}"


@dataclass
class Merged:
    """Reconciliation output: candidates in page order, and what was left out."""

    candidates: list[Candidate] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    non_coins: list[str | None] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)


def _json_problem(coin: JsonCoin | None, name: str) -> str:
    if coin is None:
        return "no entry"
    return coin.errors.get(name) or "no value"


def _choice(name: str, row: DomRow | None, coin: JsonCoin | None, absent: str) -> Choice:
    """Field ``name`` of a coin from its rendered table row and its JSON entry.

    ``row`` is None when the coin has no rendered row; ``absent`` says why.
    """
    json_value = coin.values.get(name) if coin is not None else None
    choice = Choice(json_problem=None if json_value is not None else _json_problem(coin, name))
    shown = row.values.get(name) if row is not None else None
    if row is not None and shown is not None:
        step = row.steps.get(name)
        if step is not None and json_value is not None and abs(json_value - shown) <= step:
            choice.options = [(json_value, "json"), (shown, "table")]
        else:
            choice.options = [(shown, "table")]
            if json_value is not None:
                choice.options.append((json_value, "json"))
        return choice
    if row is None:
        choice.table_problem = absent
    elif name in row.errors:
        choice.table_problem, choice.table_failed = row.errors[name], True
    elif name in row.values:
        choice.table_problem = "no value shown"
    elif name in TABLE_FIELDS:
        choice.table_problem = "no such column"
    if json_value is not None:
        choice.options = [(json_value, "json")]
    return choice


def _candidate(row: DomRow | None, coin: JsonCoin | None) -> Candidate:
    """``row`` is None for a coin only in the JSON; a placeholder row's values are not used."""
    first = row if row is not None and not row.placeholder else None
    absent = "no row" if row is None else "row not rendered"
    rank = (first.rank if first else None) or (coin.rank if coin else None)
    identity = {
        "cmc_id": (row.cmc_id if row else None) or (coin.cmc_id if coin else None),
        "slug": coin.slug if coin else row.slug if row else None,
        "name": (first.name if first else None) or (coin.name if coin else None),
        "symbol": (first.symbol if first else None) or (coin.symbol if coin else None),
        "rank": rank,
        "origin": "dom" if first else "json",
    }
    return Candidate(identity, {name: _choice(name, first, coin, absent) for name in FIELDS})


def _is_non_coin(row: DomRow | None, coin: JsonCoin | None, json_ranked: bool) -> bool:
    """No rank in either source, where a source gives ranks: a rendered row with nothing
    in the table's rank column, a JSON entry without one in a listing that has them."""
    if (row is not None and row.rank is not None) or (coin is not None and coin.rank is not None):
        return False
    if row is not None and not row.placeholder and row.ranked:
        return True
    return coin is not None and json_ranked


def reconcile(rows: list[DomRow], listing: JsonListing | None) -> Merged:
    """DOM rows + JSON listing -> candidates (in table order, then JSON-only coins)."""
    merged = Merged()
    coins = listing.coins if listing else []
    json_ranked = listing.ranked if listing else False
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

    ranked_rows = {key for r in rows if r.rank is not None for key in (r.slug, r.cmc_id) if key}
    for row in rows:
        coin = (by_id.get(row.cmc_id) if row.cmc_id else None) or (
            by_slug.get(row.slug) if row.slug else None
        )
        if (
            row.ranked
            and not row.placeholder
            and row.rank is None
            and (row.slug in ranked_rows or row.cmc_id in ranked_rows)
        ):
            # A copy without rank of a coin ranked in another row: promoted, not a listing row.
            merged.non_coins.append(row.slug)
            continue
        if (row.slug is None and coin is None) or _is_non_coin(row, coin, json_ranked):
            merged.non_coins.append(row.slug)
            if coin is not None:
                seen_slugs.add(coin.slug)
            continue
        slug = row.slug or (coin.slug if coin else "")
        merged.listed.add(slug)
        if coin is not None and row.slug is not None and coin.slug != row.slug:
            # Same id, different slug: the row and the JSON disagree on identity; trust neither.
            merged.rejected.append(Rejected(row.slug, f"id {coin.cmc_id} is {coin.slug} in JSON"))
            continue
        if row.placeholder and coin is None:
            if slug not in rejected_json_slugs:
                merged.rejected.append(
                    Rejected(slug, "placeholder row not rendered and no JSON data for it")
                )
            seen_slugs.add(slug)
            continue
        candidate = _candidate(row, coin)
        if not claim(slug, candidate.identity["cmc_id"]):
            merged.rejected.append(Rejected(slug, "duplicate slug or id on the page"))
            continue
        merged.candidates.append(candidate)
    for coin in coins:
        if coin.slug in seen_slugs or coin.cmc_id in seen_ids:
            continue
        if _is_non_coin(None, coin, json_ranked):
            merged.non_coins.append(coin.slug)
            seen_slugs.add(coin.slug)
            continue
        claim(coin.slug, coin.cmc_id)
        merged.listed.add(coin.slug)
        merged.candidates.append(_candidate(None, coin))
    return merged
