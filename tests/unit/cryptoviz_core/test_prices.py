"""Prices in plain decimals, as the listing shows them."""

from __future__ import annotations

from cryptoviz_core.prices import plain_price


def test_small_prices_are_plain_decimals_with_four_significant_digits() -> None:
    assert plain_price(0.00001161) == "0.00001161"
    assert plain_price(0.5) == "0.5000"
    assert plain_price(0.0123456) == "0.01235"
    assert plain_price(105313.624) == "105,313.62"
    assert plain_price(None) == "-"
