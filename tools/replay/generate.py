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
    expected_notes,
    make_coins,
    render_page,
    tick,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES_DIR = ROOT / "tests" / "fixtures" / "cmc"
SNAPSHOTS = 3
PAGES = 2


def _truth(
    page: int,
    quotes: list[dict[str, Any]],
    rejected: list[str | None],
    skipped: int,
    notes: dict[str, list[str]] | None = None,
) -> str:
    """The truth file: every message field by field, what is rejected and skipped, and
    (``notes``, when any) each coin's fields the table cannot give, taken from the JSON."""
    doc: dict[str, Any] = {"page": page, "quotes": quotes, "rejected": rejected, "skipped": skipped}
    if notes:
        doc["notes"] = notes
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def write_replay(out: Path = PAGES_DIR, pages: int = PAGES) -> list[Path]:
    """Pages 1..``pages``, snapshots 1..SNAPSHOTS, replay source, with lazy rendering."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for page in range(1, pages + 1):
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
    # Market cap abbreviated beside the full amount without a marker (2021), 10 rows rendered.
    "combined-amounts": PageSpec(amounts="combined", full_rows=10, json_generation="a"),
    # Market cap and volume abbreviated only (2026): the JSON's exact values are published.
    "abbreviated-amounts": PageSpec(amounts="abbreviated"),
    # The same without JSON: the abbreviated values are all there is.
    "abbreviated-dom-only": PageSpec(amounts="abbreviated", json_generation=None),
    # No 1h and 7d columns: those fields come from the (keysArr) JSON.
    "missing-columns": PageSpec(
        dropped_columns=("change_1h_pct", "change_7d_pct"), json_generation="b"
    ),
    # An older table (other headers and order, signed percentages, full amounts) over
    # snake_case JSON objects with quote.USD (2020).
    "legacy-snake-case": PageSpec(legacy_table=True, snake_case=True, json_generation="a"),
    # An index product above rank 1 without rank in its row or in the JSON: not a coin.
    "index-row": PageSpec(index_row=True, full_rows=INITIAL_FULL_ROWS),
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
        skipped = int(spec.non_coin_first_row) + int(spec.index_row)
        notes = expected_notes(coins, spec)
        path.with_suffix(".truth.json").write_text(
            _truth(spec.page, truth, rejected, skipped, notes), encoding="utf-8"
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
