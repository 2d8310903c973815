"""Replay pages whose prices follow real market moves, rendered at each load.

Every coin of the bundled universe (`markup.make_coins`) is tied to one of the
real hourly price paths in ``data/`` (six Binance pairs, see its PROVENANCE.md),
starting at its own hour so that coins do not move in lockstep. Each load of a
page is the next hour of those paths: prices, market caps and the 1h/24h/7d
changes all come from the real moves, replayed one hour per load. Stablecoins
keep their price. The path wraps around at its end by reusing its returns, so
levels move on smoothly whatever the run's length.
"""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from tools.replay.markup import INITIAL_FULL_ROWS, Coin, PageSpec, make_coins, render_page

PATHS_FILE = Path(__file__).parent / "data" / "binance-spot-1h-closes-2023-12.csv"
PAGES = 2
STABLECOINS = frozenset({"USDT", "USDC"})
# Hours between the starting points of coins sharing a path (coprime to its length).
START_SPACING = 97


def load_log_returns(path: Path = PATHS_FILE) -> list[np.ndarray]:
    """One array of hourly log returns per price column of ``path``."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    closes = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    return [np.diff(np.log(closes[:, k])) for k in range(closes.shape[1])]


class CyclicPath:
    """Cumulative log return of a return series repeated end to end, at any integer hour."""

    def __init__(self, log_returns: np.ndarray) -> None:
        self.n = len(log_returns)
        self.prefix = np.concatenate([[0.0], np.cumsum(log_returns)])

    def level(self, hour: int) -> float:
        """Log level at ``hour`` relative to hour 0 (negative hours go back in time)."""
        cycles, within = divmod(hour, self.n)
        return float(cycles * self.prefix[-1] + self.prefix[within])


class MarketReplay:
    """Renders replay page ``page`` (1..`PAGES`) at load ``step``; thread-safe (no state
    changes after construction)."""

    def __init__(self, path: Path = PATHS_FILE) -> None:
        self.paths = [CyclicPath(r) for r in load_log_returns(path)]
        self.coins = {
            page: make_coins(first_rank=(page - 1) * 100 + 1, seed=7 + page)
            for page in range(1, PAGES + 1)
        }

    def coins_at(self, page: int, step: int) -> list[Coin]:
        """The coins of ``page`` after ``step`` real hours."""
        moved = []
        for i, coin in enumerate(self.coins[page]):
            if coin.symbol in STABLECOINS:
                moved.append(coin)
                continue
            k = (page - 1) * 100 + i
            path = self.paths[k % len(self.paths)]
            start = k * START_SPACING

            def change(hours: int, at: int = start + step, p: CyclicPath = path) -> float:
                return 100.0 * math.expm1(p.level(at) - p.level(at - hours))

            factor = math.exp(path.level(start + step) - path.level(start))
            moved.append(
                replace(
                    coin,
                    price=coin.price * factor,
                    market_cap=coin.market_cap * factor,
                    volume_24h=coin.volume_24h * factor,
                    change_1h=change(1),
                    change_24h=change(24),
                    change_7d=change(168),
                )
            )
        return moved

    def page(self, page: int, step: int) -> str | None:
        """The HTML of ``page`` at load ``step`` (as first served, lazy rows), or None when
        there is no such page."""
        if page not in self.coins:
            return None
        spec = PageSpec(
            page=page, full_rows=INITIAL_FULL_ROWS, lazy=True, extra={"source": "replay"}
        )
        html, _ = render_page(self.coins_at(page, step), spec)
        return html
