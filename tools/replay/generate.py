"""Regenerate the committed replay pages and generated test fixtures. Deterministic.

``python -m tools.replay.generate`` writes
``scraper_service/replay/pages/page{N}-snap{K}.html`` (as first served: 13 full
rows, the rest placeholders that the page's script renders on scroll) and
``….truth.json`` (the messages once every row is rendered), and the generated
fixtures in ``tests/fixtures/cmc/`` (``NAME.html`` + ``NAME.truth.json``).
Hand-written fixtures in that folder are left alone.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from scraper_service.replay.server import PAGES_DIR
from tools.replay.markup import (
    INITIAL_FULL_ROWS,
    PageSpec,
    make_coins,
    render_page,
    tick,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES_DIR = ROOT / "tests" / "fixtures" / "cmc"
SNAPSHOTS = 3
PAGES = 2


def _truth(
    page: int, quotes: list[dict[str, Any]], rejected: list[str | None], skipped: int
) -> str:
    doc = {"page": page, "quotes": quotes, "rejected": rejected, "skipped": skipped}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def write_replay(out: Path = PAGES_DIR) -> list[Path]:
    """Pages 1..PAGES, snapshots 1..SNAPSHOTS, replay source, with lazy rendering."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for page in range(1, PAGES + 1):
        coins = make_coins(first_rank=(page - 1) * 100 + 1, seed=7 + page)
        for snap in range(1, SNAPSHOTS + 1):
            coins = tick(coins, snap)
            spec = PageSpec(
                page=page, full_rows=INITIAL_FULL_ROWS, lazy=True, extra={"source": "replay"}
            )
            html, _ = render_page(coins, spec)
            _, rendered = render_page(coins, replace(spec, full_rows=100, lazy=False))
            path = out / f"page{page}-snap{snap}.html"
            path.write_text(html, encoding="utf-8")
            path.with_suffix(".truth.json").write_text(
                _truth(page, rendered, [], 0), encoding="utf-8"
            )
            written.append(path)
    return written


FIXTURES: dict[str, PageSpec] = {
    # Fully scrolled page 1: CMC20 row first, both carets, tiny prices, a second PEPE.
    "rendered-c": PageSpec(non_coin_first_row=True),
    # As first served: 13 full rows, 87 placeholders filled from each JSON generation.
    "initial-c": PageSpec(full_rows=INITIAL_FULL_ROWS),
    "initial-b-keysarr": PageSpec(
        full_rows=INITIAL_FULL_ROWS, json_generation="b", misaligned_slugs=("lumen-32",)
    ),
    "initial-a": PageSpec(full_rows=INITIAL_FULL_ROWS, json_generation="a"),
    # No __NEXT_DATA__: table only (ids from logo URLs, abbreviated supplies, no max supply).
    "dom-only": PageSpec(json_generation=None),
    # Another deploy's hashed classes, with trailing spaces in class attributes.
    "rotated-hashes": PageSpec(rotate_hashes=True, non_coin_first_row=True),
    # Page 2 in EUR with pt-BR separators in volume/supply, "--" cells, a duplicate symbol.
    "page2-eur": PageSpec(page=2, currency="EUR", locale_mixed=True, full_rows=40),
}


def write_fixtures(out: Path = FIXTURES_DIR) -> list[Path]:
    """The generated fixture pages and their truth files."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, spec in FIXTURES.items():
        coins = make_coins(first_rank=(spec.page - 1) * 100 + 1, seed=7)
        html, truth = render_page(coins, spec)
        rejected: list[str | None] = []
        for slug in spec.misaligned_slugs:
            rejected += [None, slug]  # the bad JSON row, then its unrendered placeholder
        path = out / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        skipped = 1 if spec.non_coin_first_row else 0
        path.with_suffix(".truth.json").write_text(
            _truth(spec.page, truth, rejected, skipped), encoding="utf-8"
        )
        written.append(path)
    return written


def main() -> None:
    """CLI entry point: regenerate everything (or only ``--only replay|fixtures``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["replay", "fixtures"])
    args = parser.parse_args()
    if args.only != "fixtures":
        write_replay()
    if args.only != "replay":
        write_fixtures()


if __name__ == "__main__":
    main()
