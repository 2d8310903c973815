"""Prices as people read them, for the runner's view and the IA's charts."""

from __future__ import annotations

import math


def plain_price(value: float | None) -> str:
    """A price as the listing shows it: two decimals from 1 up, else four significant
    digits in plain decimals (0.00001161, never 1.161e-05)."""
    if value is None:
        return "-"
    if value == 0 or abs(value) >= 1:
        return f"{value:,.2f}"
    decimals = 3 - math.floor(math.log10(abs(value)))
    return f"{value:.{decimals}f}"
