"""Replay pages driven by the bundled real price paths: prices move as the real ones did."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest

from scraper_service.listing import parse_page
from scraper_service.replay.server import ReplayServer
from tools.replay.market import PATHS_FILE, MarketReplay

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def market() -> MarketReplay:
    return MarketReplay()


def btc_closes() -> list[float]:
    with PATHS_FILE.open(newline="") as handle:
        return [float(row["BTCUSDT"]) for row in csv.DictReader(handle)]


def test_each_load_is_the_next_real_hour(market: MarketReplay) -> None:
    closes = btc_closes()
    prices = [market.coins_at(1, step)[0].price for step in range(4)]
    assert market.coins_at(1, 0)[0].slug == "bitcoin"
    for step in range(1, 4):
        assert prices[step] / prices[step - 1] == pytest.approx(closes[step] / closes[step - 1])
    coin = market.coins_at(1, 24)[0]
    assert coin.change_24h == pytest.approx(100 * (closes[24] / closes[0] - 1))
    # Past the end of the path the moves repeat and the level carries on, without a jump.
    end = len(closes) - 1
    wrapped = market.coins_at(1, end + 1)[0].price / market.coins_at(1, end)[0].price
    assert wrapped == pytest.approx(closes[1] / closes[0])


def test_stablecoins_hold_and_coins_do_not_move_in_lockstep(market: MarketReplay) -> None:
    before, after = market.coins_at(1, 5), market.coins_at(1, 6)
    moves = {b.slug: a.price / b.price for b, a in zip(before, after, strict=True)}
    assert moves["tether"] == 1.0
    assert len({round(m, 12) for m in moves.values()}) > 90


def test_rendered_pages_parse_into_moving_quotes(market: MarketReplay) -> None:
    first = parse_page(market.page(1, 0) or "", source="replay", scraped_at=AT)
    later = parse_page(market.page(1, 3) or "", source="replay", scraped_at=AT)
    assert len(first.quotes) == len(later.quotes) == 100
    assert not first.rejected
    btc = [next(q for q in r.quotes if q.slug == "bitcoin") for r in (first, later)]
    closes = btc_closes()
    assert btc[1].price / btc[0].price == pytest.approx(closes[3] / closes[0], rel=1e-4)
    assert market.page(3, 0) is None


def test_the_server_serves_what_the_render_function_makes(market: MarketReplay) -> None:
    server = ReplayServer(render=market.page)
    assert server.resolve("/?page=1") == (200, (market.page(1, 0) or "").encode())
    assert server.resolve("/?page=1") == (200, (market.page(1, 1) or "").encode())
    assert server.resolve("/?page=3")[0] == 404
