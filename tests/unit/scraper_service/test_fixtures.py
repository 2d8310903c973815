"""Every fixture page against its truth file, field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper_service.exceptions import LayoutNotFound, PageRefused
from scraper_service.listing import parse_page

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cmc"
SCRAPED_AT = datetime(2026, 11, 28, 4, 52, 12, 123000, tzinfo=UTC)
CASES = sorted(p.name.removesuffix(".truth.json") for p in FIXTURES.glob("*.truth.json"))
REPLAY = Path(__file__).resolve().parents[3] / "scraper_service" / "replay" / "pages"


def _load(name: str) -> tuple[str, dict]:
    return (FIXTURES / f"{name}.html").read_text(encoding="utf-8"), json.loads(
        (FIXTURES / f"{name}.truth.json").read_text(encoding="utf-8")
    )


def assert_matches_truth(quotes: list, truth: list[dict]) -> None:
    """Same coins in the same (rank) order, every field equal; scraped_at excluded."""
    assert [q.slug for q in quotes] == [t["slug"] for t in truth]
    for quote, expected in zip(quotes, truth, strict=True):
        got = quote.to_dict()
        for key, value in expected.items():
            assert got[key] == value, f"{expected['slug']}.{key}: {got[key]!r} != {value!r}"
        assert set(got) - set(expected) == {"scraped_at"}


def test_every_case_is_covered() -> None:
    assert len(CASES) >= 12


@pytest.mark.parametrize("name", CASES)
def test_fixture_matches_truth(name: str) -> None:
    html, truth = _load(name)
    if "error" in truth:
        expected = {"PageRefused": PageRefused, "LayoutNotFound": LayoutNotFound}[truth["error"]]
        with pytest.raises(expected) as err:
            parse_page(html, source="coinmarketcap", scraped_at=SCRAPED_AT)
        if "kind" in truth:
            assert err.value.kind == truth["kind"]
        return
    result = parse_page(html, source="coinmarketcap", scraped_at=SCRAPED_AT)
    assert result.page == truth["page"]
    assert_matches_truth(result.quotes, truth["quotes"])
    assert all(q.scraped_at == SCRAPED_AT for q in result.quotes)
    assert sorted(map(str, (r.slug for r in result.rejected))) == sorted(
        map(str, truth["rejected"])
    )
    assert all(r.reason for r in result.rejected)
    assert result.skipped == truth["skipped"]
    if "notes" in truth:  # the fields the table cannot give, coin by coin
        notes: dict[str, list[str]] = {}
        for note in result.notes:
            notes.setdefault(note.slug, []).append(note.field)
        assert notes == truth["notes"]


@pytest.mark.parametrize("name", CASES)
def test_every_listed_coin_is_published_or_rejected_with_a_reason(name: str) -> None:
    html, truth = _load(name)
    if "error" in truth:
        return
    result = parse_page(html, source="coinmarketcap", scraped_at=SCRAPED_AT)
    published = {q.slug for q in result.quotes}
    rejected = {r.slug for r in result.rejected}
    assert not result.unaccounted()
    assert set(result.listed) == published | (rejected & set(result.listed))
    assert not published & set(result.non_coins)
    assert all(q.price > 0 for q in result.quotes)
    assert result.coverage().endswith(
        f"{result.skipped} non-coin, {len(result.listed)} listed, {len(published)} published, "
        f"{len(result.rejected)} rejected"
    )


@pytest.mark.parametrize("name", ["initial-c", "initial-a", "initial-b-keysarr"])
def test_placeholder_rows_come_from_json(name: str) -> None:
    html, _ = _load(name)
    result = parse_page(html, source="coinmarketcap", scraped_at=SCRAPED_AT)
    assert result.from_dom == 13
    assert result.json_generation == name.split("-")[1][0]
    # A placeholder shows tiny prices as "$0.00"; the stored price must be the JSON one.
    tiny = [q for q in result.quotes if q.origin == "json" and q.price < 0.005]
    assert tiny
    assert all(0 < q.price < 0.005 for q in tiny)
    assert f"<td>$<!-- -->{0:.2f}</td>" in html


def test_duplicate_symbols_are_two_coins() -> None:
    html, _ = _load("rendered-c")
    quotes = parse_page(html, source="coinmarketcap", scraped_at=SCRAPED_AT).quotes
    pepes = [q for q in quotes if q.symbol == "PEPE"]
    assert len({q.slug for q in pepes}) == len({q.cmc_id for q in pepes}) == 2


def test_rotated_hashes_parse_like_the_original() -> None:
    plain = parse_page(_load("rendered-c")[0], source="coinmarketcap", scraped_at=SCRAPED_AT)
    rotated = parse_page(_load("rotated-hashes")[0], source="coinmarketcap", scraped_at=SCRAPED_AT)
    assert [q.to_dict() for q in plain.quotes] == [q.to_dict() for q in rotated.quotes]


def test_page_number_is_read_from_the_pager_and_overridable() -> None:
    html, _ = _load("page2-eur")
    assert parse_page(html, source="replay", scraped_at=SCRAPED_AT).page == 2
    forced = parse_page(html, source="replay", scraped_at=SCRAPED_AT, page=7)
    assert {q.page for q in forced.quotes} == {7}
    assert {q.source for q in forced.quotes} == {"replay"}


@pytest.mark.parametrize("path", sorted(REPLAY.glob("*.html")), ids=lambda p: p.name)
def test_replay_pages_before_scrolling_still_yield_every_coin(path: Path) -> None:
    result = parse_page(path.read_text(encoding="utf-8"), source="replay", scraped_at=SCRAPED_AT)
    assert len(result.quotes) == 100
    assert not result.rejected
    assert result.from_dom == 13
    assert result.from_json == 87
