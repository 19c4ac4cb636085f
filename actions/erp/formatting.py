"""Turn values into the text users read or hear.

Every answer the assistant gives goes through these helpers so that amounts,
dates and percentages look the same in chat, tables, chart labels and voice.
Bangladeshi users read taka in lakh/crore grouping (1,23,45,678.50), so the
grouping depends on the currency, not on the server locale, unless the user
asked for a style of their own (`NumberStyle`, remembered in actions/erp/memory.py).
"""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from actions.erp.types import to_money

# Currencies written with a symbol glued to the number ("$1,234.50").
CURRENCY_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£"}

# Currencies whose readers group digits the South-Asian way (lakh, crore).
SOUTH_ASIAN_GROUPING: frozenset[str] = frozenset({"BDT", "INR", "NPR", "PKR"})

# "lakh": 1,23,45,678 and lakh/crore; "international": 12,345,678 and K/M/B.
NumberStyle = Literal["lakh", "international"]
NUMBER_STYLES: tuple[NumberStyle, ...] = ("lakh", "international")

_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# (threshold, suffix) from the largest down, for short western amounts.
_WESTERN_SCALES = (
    (Decimal(10**12), "T"),
    (Decimal(10**9), "B"),
    (Decimal(10**6), "M"),
    (Decimal(10**3), "K"),
)
_THOUSAND = Decimal(1000)
_LAKH = Decimal(100_000)
_CRORE = Decimal(10_000_000)


def group_western(digits: str) -> str:
    """Group an unsigned digit string in threes: 1234567 → 1,234,567."""
    head_len = len(digits) % 3 or 3
    groups = [digits[:head_len]] + [digits[i : i + 3] for i in range(head_len, len(digits), 3)]
    return ",".join(groups)


def group_south_asian(digits: str) -> str:
    """Group an unsigned digit string as lakh/crore: 12345678 → 1,23,45,678."""
    if len(digits) <= 3:
        return digits
    head, last3 = digits[:-3], digits[-3:]
    head_len = len(head) % 2 or 2
    pairs = [head[:head_len]] + [head[i : i + 2] for i in range(head_len, len(head), 2)]
    return ",".join([*pairs, last3])


def in_lakh(currency: str, style: NumberStyle | None = None) -> bool:
    """Whether amounts are grouped and shortened the South-Asian way."""
    if style is not None:
        return style == "lakh"
    return currency in SOUTH_ASIAN_GROUPING


def _group(digits: str, currency: str, style: NumberStyle | None = None) -> str:
    if in_lakh(currency, style):
        return group_south_asian(digits)
    return group_western(digits)


def _with_currency(number: str, currency: str, negative: bool) -> str:
    sign = "-" if negative else ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{number}"
    if not currency:
        return f"{sign}{number}"
    return f"{sign}{currency} {number}"


def format_money(amount: Decimal | float, currency: str, style: NumberStyle | None = None) -> str:
    """Format an amount with its currency and always two decimals.

    USD/EUR/GBP use their symbol; every other code is written before the
    number ("BDT 1,23,45,678.50"). The sign goes in front of the currency so a
    negative balance is obvious at a glance ("-$1,234.00").
    """
    code = currency.strip().upper()
    value = to_money(amount)
    negative = value < 0
    whole, _, cents = f"{abs(value):.2f}".partition(".")
    return _with_currency(f"{_group(whole, code, style)}.{cents}", code, negative)


def _three_significant(value: Decimal) -> str:
    """Round to three significant digits and drop trailing zeros: 45.60 → 45.6."""
    if value >= 100:
        places = Decimal(1)
    elif value >= 10:
        places = Decimal("0.1")
    else:
        places = Decimal("0.01")
    text = f"{value.quantize(places, rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _short_western(value: Decimal) -> str:
    """1234567 → 1.23M; a value that rounds to 1000 of a unit moves up (999,999 → 1M)."""
    for index, (threshold, suffix) in enumerate(_WESTERN_SCALES):
        if value >= threshold:
            text = _three_significant(value / threshold)
            if text == "1000" and index > 0:
                return f"1{_WESTERN_SCALES[index - 1][1]}"
            return f"{text}{suffix}"
    return _small_amount(value)


def _small_amount(value: Decimal) -> str:
    """Amounts under a thousand keep their cents only when they have some."""
    cents = to_money(value)
    if cents == cents.to_integral_value():
        return f"{int(cents)}"
    return f"{cents:.2f}"


def _short_south_asian(value: Decimal) -> str:
    """Taka the way users say it aloud: 1.23 crore, 4.5 lakh, 45,600."""
    if value >= _CRORE:
        scaled = value / _CRORE
        if scaled >= 1000:
            return f"{group_western(str(scaled.quantize(Decimal(1), ROUND_HALF_UP)))} crore"
        return f"{_three_significant(scaled)} crore"
    if value >= _LAKH:
        text = _three_significant(value / _LAKH)
        return "1 crore" if text == "100" else f"{text} lakh"
    if value >= _THOUSAND:
        whole = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return "1 lakh" if whole >= _LAKH else group_south_asian(str(whole))
    return _small_amount(value)


def format_money_short(
    amount: Decimal | float, currency: str, style: NumberStyle | None = None
) -> str:
    """A compact amount for chart labels and speech: "$1.23M", "BDT 4.5 lakh".

    Three significant digits are enough to compare bars or hear the order of
    magnitude; exact figures belong in tables (use `format_money`).
    """
    code = currency.strip().upper()
    value = to_money(amount)
    magnitude = abs(value)
    short = _short_south_asian if in_lakh(code, style) else _short_western
    return _with_currency(short(magnitude), code, value < 0)


def format_date(d: date) -> str:
    """Day, abbreviated month, year ("22 Nov 2026"): unambiguous in every locale."""
    return f"{d.day} {_MONTH_ABBR[d.month - 1]} {d.year}"


def format_percent(x: Decimal | float, signed: bool = False) -> str:
    """Format a percentage that is already in percent units: 12.5 → "12.5%".

    One decimal place, rounded half up. `signed=True` marks growth with an
    explicit "+" (zero stays unsigned); a missing or infinite value shows "n/a"
    rather than a misleading number.
    """
    if isinstance(x, float) and not math.isfinite(x):
        return "n/a"
    value = Decimal(str(x))
    if not value.is_finite():
        return "n/a"
    rounded = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if rounded == 0:
        return "0.0%"
    sign = "+" if signed and rounded > 0 else ""
    return f"{sign}{rounded:f}%"


def format_quantity(n: int, unit: str) -> str:
    """Whole units with thousands separators and the product's unit: "1,200 pcs"."""
    number = f"{n:,}"
    unit = unit.strip()
    return f"{number} {unit}" if unit else number
