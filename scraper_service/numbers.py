"""Pure parsing of the numbers CoinMarketCap prints: money, amounts, percentages.

Every function takes the cell text (``<!-- -->`` already joined by get_text) and
returns a finite float, or None when the cell says "no value" (``--``, empty,
``< $0.01``). Text that is not a number raises `NumberFormatError`; callers
reject that row with the message as reason. No function ever returns NaN or inf.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

# Powers of ten the abbreviations stand for.
SUFFIX_EXPONENTS = {"K": 3, "M": 6, "B": 9, "T": 12}
# Currency tokens seen before money values (€ and ₽ by public scrapers); $ last so
# that "A$" or "C$" are stripped whole.
CURRENCY_TOKENS = (
    "US$",
    "A$",
    "C$",
    "CA$",
    "R$",
    "HK$",
    "$",
    "€",
    "£",
    "¥",
    "₽",
    "₩",
    "₹",
    "CHF",
    "Fr",
)
TOKEN_CURRENCIES = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₽": "RUB"}
_SUBSCRIPT = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUBSCRIPT_ZERO = re.compile(r"0[.,]0([₀₁₂₃₄₅₆₇₈₉]+)(\d+)")
_MISSING = {"", "--", "-", "—", "N/A", "n/a"}
_NUMBER = re.compile(r"^(?P<sign>[+-]?)(?P<digits>[\d.,]+)(?P<suffix>[KMBT]?)$")
_PLAIN_DECIMAL = re.compile(r"\d+(\.\d+)?|\.\d+|\d+\.")
_DIGITS_ONLY = re.compile(r"[\d.,]+")
_THOUSANDS_GROUPED = {sep: re.compile(rf"\d{{1,3}}(?:{re.escape(sep)}\d{{3}})*") for sep in ",."}


class NumberFormatError(ValueError):
    """The text is not a number in any format CoinMarketCap prints."""


class Reading(NamedTuple):
    """A number read from a cell: its value (None: the cell says "no value") and, when it
    is abbreviated (``$1.28T``), ``step``: the place value of the last digit shown (1e10),
    which bounds how far the exact value can be from it."""

    value: float | None
    step: float | None = None


def normalise(text: str) -> str:
    """Collapse the typographic variants: nbsp/thin spaces removed, U+2212 to ``-``."""
    # str.split() drops every kind of Unicode whitespace (nbsp, thin spaces).
    return "".join(text.replace("\u2212", "-").replace("\u2013", "-").split())


def _check_groups(integer_part: str, thousands: str, digits: str) -> None:
    if not _THOUSANDS_GROUPED[thousands].fullmatch(integer_part):
        raise NumberFormatError(f"bad digit grouping in {digits!r}")


def _plain_decimal(digits: str, whole: bool = False) -> str:
    """Digits with locale separators -> ``1234.56``, deciding which separator is decimal.

    Both present: the rightmost is the decimal point (``1.234,56``, ``1,234.56``).
    One kind repeated: thousands (``19.496.962``, ``1,234,567``). One kind once:
    a thousands separator only if exactly 3 digits follow and the integer part is
    not 0 (``1,234`` -> 1234, ``0,05`` -> 0.05, ``12,5`` -> 12.5); ``.`` once is
    decimal, since en-US is the site default, unless ``whole`` says the cell only
    ever shows whole units (volume, full market cap): then ``7.299`` is 7299.
    """
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:
        decimal_sep = "," if digits.rfind(",") > digits.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        if digits.count(decimal_sep) > 1:
            raise NumberFormatError(f"two decimal separators in {digits!r}")
        _check_groups(digits.partition(decimal_sep)[0], thousands, digits)
        digits = digits.replace(thousands, "").replace(decimal_sep, ".")
    elif commas > 1 or dots > 1:
        sep = "," if commas else "."
        _check_groups(digits, sep, digits)
        digits = digits.replace(sep, "")
    elif commas == 1 or (whole and dots == 1):
        head, tail = digits.split("," if commas else ".")
        digits = head + tail if len(tail) == 3 and head.strip("0") else f"{head}.{tail}"
    if not _PLAIN_DECIMAL.fullmatch(digits):
        raise NumberFormatError(f"not a number: {digits!r}")
    return digits


def _to_float(plain: str, exponent: int, negative: bool) -> float:
    """``plain`` (``1234.56``) times 10**exponent, correctly rounded once.

    float() reads the exact decimal value from the text, where multiplying the
    float of ``plain`` by 10**exponent would round twice (4.07K would be 4070.0000000000005).
    """
    result = float(f"{plain}e{exponent}")
    # "-0" and "-0.00%" are zero, not a negative zero, in what is published.
    return -result if negative and result else result


def _expand_subscript_zeros(text: str) -> str:
    # "$0.0₅1234" (CoinGecko style, synthetic on CMC): the subscript counts the zeros after "0.".
    def repl(match: re.Match[str]) -> str:
        zeros = int(match.group(1).translate(_SUBSCRIPT))
        if zeros > 30:
            raise NumberFormatError(f"implausible subscript zero count {zeros}")
        return "0." + "0" * zeros + match.group(2)

    return _SUBSCRIPT_ZERO.sub(repl, text)


def _parse_normalised(text: str, whole: bool) -> float | None:
    return _read_normalised(text, whole).value


def _read_normalised(text: str, whole: bool) -> Reading:
    if text in _MISSING:
        return Reading(None)
    match = _NUMBER.match(text)
    if not match:
        # Subscript zeros are rare, and text that matches as is has none to expand.
        text = _expand_subscript_zeros(text)
        match = _NUMBER.match(text)
        if not match:
            raise NumberFormatError(f"not a number: {text!r}")
    sign, digits, suffix = match.groups()
    plain = _plain_decimal(digits, whole and not suffix)
    exponent = SUFFIX_EXPONENTS.get(suffix, 0)
    result = _to_float(plain, exponent, sign == "-")
    if not math.isfinite(result):
        raise NumberFormatError(f"out of range: {text!r}")
    if not suffix:
        return Reading(result)
    decimals = len(plain.partition(".")[2])
    return Reading(result, float(f"1e{exponent - decimals}"))


def parse_number(text: str, whole: bool = False) -> float | None:
    """A plain or abbreviated number (``1,234.5``, ``2.1T``, ``-0,33``) -> float.

    ``whole``: the cell shows whole units, so one separator before 3 digits groups
    thousands. Returns None for a missing marker (``--``, empty). Raises NumberFormatError.
    """
    return _parse_normalised(normalise(text), whole)


def _split_currency(text: str) -> tuple[str, str | None]:
    sign = ""
    if text and text[0] in "+-":
        sign, text = text[0], text[1:]
    for token in CURRENCY_TOKENS:
        if text.startswith(token):
            return sign + text[len(token) :], token
        if token != "$" and text.endswith(token):  # "$" alone is only read as a prefix
            return sign + text[: -len(token)], token
    return sign + text, None


def strip_currency(text: str) -> tuple[str, str | None]:
    """Remove a leading (or trailing) currency token; returns (rest, token or None)."""
    return _split_currency(normalise(text))


def parse_money(text: str, whole: bool = False) -> float | None:
    """A money cell (``$105,469.75``, ``€0.2726``, ``$2.1T``, ``$0.0₅1234``) -> float.

    None for ``--`` and for ``< $0.01`` (a bound, not a value). ``whole`` as in
    `parse_number`. Raises NumberFormatError.
    """
    return read_money(text, whole).value


def read_money(text: str, whole: bool = False) -> Reading:
    """`parse_money`, with the abbreviation step. Raises NumberFormatError."""
    text = normalise(text)
    if text.startswith("<"):
        return Reading(None)
    rest, _token = _split_currency(text)
    return _read_normalised(rest, whole)


def parse_percent(text: str, negative: bool | None = None) -> float | None:
    """A percent cell (``0.24%``, ``-0,33%``, ``−1.5 %``) -> signed float.

    ``negative`` is the caret direction when the cell has one (True = down); it
    overrides any sign in the text, because the 2022-2025 markup only prints the
    absolute value. None for ``--``. Raises NumberFormatError.
    """
    value = _parse_normalised(normalise(text).removesuffix("%"), whole=False)
    if value is None or negative is None:
        return value
    return -abs(value) if negative else abs(value)


def parse_amount(text: str, whole: bool = False) -> float | None:
    """An amount with an optional unit (``612.96K BTC``, ``19.496.962 BTC *``) -> float.

    The unit is the trailing non-numeric word; the not-mineable ``*`` is dropped.
    Raises NumberFormatError.
    """
    return read_amount(text, whole).value


def read_amount(text: str, whole: bool = False) -> Reading:
    """`parse_amount`, with the abbreviation step. Raises NumberFormatError."""
    text = text.replace("*", " ").strip()
    parts = text.split()
    if len(parts) > 1 and not _DIGITS_ONLY.fullmatch(parts[-1]):
        text = " ".join(parts[:-1])
    rest, _token = strip_currency(text)
    return _read_normalised(rest, whole)


def currency_of(text: str) -> str | None:
    """The ISO code for the currency token a money cell starts with, if known."""
    _rest, token = strip_currency(text)
    return TOKEN_CURRENCIES.get(token) if token else None
