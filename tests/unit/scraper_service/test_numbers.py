"""The number parser: documented formats, and properties over generated numbers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper_service.numbers import (
    NumberFormatError,
    parse_amount,
    parse_money,
    parse_number,
    parse_percent,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,234.56", 1234.56),
        ("$105,469.75", 105469.75),
        ("$2.1T", 2.1e12),
        ("$294.53B", 294.53e9),
        ("$12.6B", 12.6e9),
        ("€0.2726", 0.2726),
        ("$0.000007262", 0.000007262),
        ("$0.0₅1234", 0.000001234),
        ("$ 451.19", 451.19),
        ("< $0.01", None),
        ("--", None),
        ("", None),
        ("$26,259.61", 26259.61),
        ("€1.234,56", 1234.56),
        ("$1\u00a0234.50", 1234.5),
        ("-$3.00", -3.0),
    ],
)
def test_money(text: str, expected: float | None) -> None:
    assert parse_money(text) == expected


@pytest.mark.parametrize(
    ("text", "whole", "expected"),
    [("$7.299.982.172", True, 7299982172.0), ("$7.299", True, 7299.0), ("$7.299", False, 7.299)],
)
def test_whole_unit_cells_read_single_separators_as_thousands(
    text: str, whole: bool, expected: float
) -> None:
    assert parse_money(text, whole=whole) == expected


@pytest.mark.parametrize(
    ("text", "negative", "expected"),
    [
        ("0.24%", True, -0.24),
        ("4.00%", False, 4.0),
        ("-0,33%", None, -0.33),
        ("0,05%", None, 0.05),
        ("−1.50%", None, -1.5),
        ("+3.10 %", None, 3.1),
        ("-2.00%", False, 2.0),  # the caret wins over a stray sign
        ("--", True, None),
    ],
)
def test_percent(text: str, negative: bool | None, expected: float | None) -> None:
    assert parse_percent(text, negative) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("612.96K BTC", 612960.0),
        ("104.05B USDT", 104.05e9),
        ("19.88M BTC", 19.88e6),
        ("18,991,543 BTC", 18991543.0),
        ("19.496.962 BTC", 19496962.0),
        ("3.458.819.700 TUSD *", 3458819700.0),
        ("31.54M KRY1", 31.54e6),
        ("--", None),
    ],
)
def test_amount(text: str, expected: float | None) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text", ["$12.3.4,5", "abc", "1,23,4", "$1..2", "1.2.3", "NaN", "inf", "1e5"]
)
def test_garbage_raises(text: str) -> None:
    with pytest.raises(NumberFormatError):
        parse_money(text)


finite = st.floats(min_value=0, max_value=1e15, allow_nan=False, allow_infinity=False)


@given(finite)
def test_en_us_two_decimals_round_trip(value: float) -> None:
    text = f"${value:,.2f}"
    assert parse_money(text) == float(f"{value:.2f}")


@given(finite)
def test_pt_br_two_decimals_round_trip(value: float) -> None:
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    assert parse_money("€" + text) == float(f"{value:.2f}")


@given(st.integers(min_value=0, max_value=10**15), st.booleans())
def test_whole_numbers_round_trip_in_both_locales(value: int, pt: bool) -> None:
    text = f"{value:,}"
    if pt:
        text = text.replace(",", ".")
    assert parse_money("$" + text, whole=True) == float(value)


@given(st.decimals(min_value=1, max_value="999.99", places=2), st.sampled_from("KMBT"))
def test_abbreviations_round_trip(mantissa: object, suffix: str) -> None:
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}[suffix]
    assert parse_amount(f"{mantissa}{suffix} BTC") == pytest.approx(float(mantissa) * scale)  # type: ignore[arg-type]


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=9999))
def test_subscript_zeros_round_trip(zeros: int, digits: int) -> None:
    sub = str(zeros).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
    assert parse_money(f"$0.0{sub}{digits}") == float(f"0.{'0' * zeros}{digits}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Scaled in decimal: 4.07 * 1000 in floats is 4070.0000000000005.
        ("4.07K", 4070.0),
        ("32.49M", 32_490_000.0),
        # Rounded once from the exact text: just above halfway between 2**53 and 2**53 + 2.
        ("9007199254740993.00000000000000000000001", 2.0**53 + 2),
    ],
)
def test_values_are_the_text_correctly_rounded(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["-0", "-0.00", "-$0.00"])
def test_a_negative_zero_is_published_as_zero(text: str) -> None:
    value = parse_money(text)
    assert value == 0.0
    assert math.copysign(1.0, value) == 1.0


def _check_total(text: str) -> None:
    for parse in (parse_number, parse_money, parse_amount, parse_percent):
        try:
            value = parse(text)
        except NumberFormatError:
            continue
        assert value is None or math.isfinite(value)


@given(st.text(max_size=30))
def test_never_crashes_and_never_non_finite(text: str) -> None:
    _check_total(text)


@given(st.text(alphabet="0123456789.,$€-−+%KMBT ₅<\u00a0", max_size=25))
def test_number_like_text_never_crashes(text: str) -> None:
    _check_total(text)
