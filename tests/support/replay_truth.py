"""What the bundled replay pages must become: the truth files next to them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from scraper_service.replay.server import PAGES_DIR


def assert_first_snapshot(got: Mapping[str, Mapping[str, Any]], pages: tuple[int, ...]) -> None:
    """Every quote of snapshot 1 of ``pages`` is in ``got`` (slug -> quote or document),
    field for field as its truth file says."""
    for page in pages:
        truth = json.loads((PAGES_DIR / f"page{page}-snap1.truth.json").read_text())["quotes"]
        for expected in truth:
            actual = got[expected["slug"]]
            for key, value in expected.items():
                assert actual[key] == value, f"{expected['slug']}.{key}"
