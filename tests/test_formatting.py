"""Formatting of money, dates, percentages and quantities (pure, no database)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from actions.erp.formatting import (
    format_date,
    format_money,
    format_money_short,
    format_percent,
    format_quantity,
    group_south_asian,
    group_western,
)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("12345678.50"), "BDT", "BDT 1,23,45,678.50"),
        (Decimal("1234567.5"), "USD", "$1,234,567.50"),
        (Decimal("1234.5"), "EUR", "€1,234.50"),
        (Decimal("1234.5"), "GBP", "£1,234.50"),
        (Decimal("1234.5"), "JPY", "JPY 1,234.50"),
        (Decimal("1234.5"), "xyz", "XYZ 1,234.50"),
        (Decimal("-1234"), "USD", "-$1,234.00"),
        (Decimal("-1234"), "BDT", "-BDT 1,234.00"),
        (Decimal("0"), "USD", "$0.00"),
        (Decimal("-0.001"), "USD", "$0.00"),
        (Decimal("0.005"), "USD", "$0.01"),
        (Decimal("0.015"), "BDT", "BDT 0.02"),
        (Decimal("999.999"), "USD", "$1,000.00"),
        (Decimal("100000"), "BDT", "BDT 1,00,000.00"),
        (Decimal("99999"), "BDT", "BDT 99,999.00"),
        (Decimal("1000000000"), "BDT", "BDT 1,00,00,00,000.00"),
        (Decimal("1000000000"), "USD", "$1,000,000,000.00"),
        (Decimal("123"), "BDT", "BDT 123.00"),
        (Decimal("1234567"), "INR", "INR 12,34,567.00"),
        (5, "usd", "$5.00"),
        (2.675, "USD", "$2.68"),
        (Decimal("1234.5"), "", "1,234.50"),
    ],
)
def test_format_money(amount: Decimal, currency: str, expected: str) -> None:
    assert format_money(amount, currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234567"), "USD", "$1.23M"),
        (Decimal("45600"), "USD", "$45.6K"),
        (Decimal("123456"), "USD", "$123K"),
        (Decimal("1000"), "USD", "$1K"),
        (Decimal("999999"), "USD", "$1M"),
        (Decimal("999"), "USD", "$999"),
        (Decimal("950.5"), "USD", "$950.50"),
        (Decimal("2500000000"), "USD", "$2.5B"),
        (Decimal("3000000000000"), "EUR", "€3T"),
        (Decimal("-45600"), "USD", "-$45.6K"),
        (Decimal("45600"), "GBP", "£45.6K"),
        (Decimal("45600"), "JPY", "JPY 45.6K"),
        (Decimal("12300000"), "BDT", "BDT 1.23 crore"),
        (Decimal("450000"), "BDT", "BDT 4.5 lakh"),
        (Decimal("100000"), "BDT", "BDT 1 lakh"),
        (Decimal("9999999"), "BDT", "BDT 1 crore"),
        (Decimal("99999.9"), "BDT", "BDT 1 lakh"),
        (Decimal("45600"), "BDT", "BDT 45,600"),
        (Decimal("500"), "BDT", "BDT 500"),
        (Decimal("123456789012"), "BDT", "BDT 12,346 crore"),
        (Decimal("-450000"), "BDT", "-BDT 4.5 lakh"),
        (Decimal("0"), "USD", "$0"),
    ],
)
def test_format_money_short(amount: Decimal, currency: str, expected: str) -> None:
    assert format_money_short(amount, currency) == expected


@pytest.mark.parametrize(
    ("digits", "western", "south_asian"),
    [
        ("1", "1", "1"),
        ("123", "123", "123"),
        ("1234", "1,234", "1,234"),
        ("12345", "12,345", "12,345"),
        ("123456", "123,456", "1,23,456"),
        ("1234567", "1,234,567", "12,34,567"),
        ("12345678", "12,345,678", "1,23,45,678"),
    ],
)
def test_grouping(digits: str, western: str, south_asian: str) -> None:
    assert group_western(digits) == western
    assert group_south_asian(digits) == south_asian


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 11, 22), "22 Nov 2026"),
        (date(2026, 1, 1), "1 Jan 2026"),
        (date(2025, 9, 30), "30 Sep 2025"),
        (datetime(2026, 3, 5, 14, 30), "5 Mar 2026"),
    ],
)
def test_format_date(value: date, expected: str) -> None:
    assert format_date(value) == expected


@pytest.mark.parametrize(
    ("value", "signed", "expected"),
    [
        (Decimal("12.5"), False, "12.5%"),
        (Decimal("12.5"), True, "+12.5%"),
        (12.5, True, "+12.5%"),
        (12, False, "12.0%"),
        (Decimal("-3.25"), True, "-3.3%"),
        (Decimal("-3.25"), False, "-3.3%"),
        (Decimal("0.04"), True, "0.0%"),
        (0, True, "0.0%"),
        (Decimal("0.05"), True, "+0.1%"),
        (Decimal("150"), False, "150.0%"),
        (float("nan"), False, "n/a"),
        (float("inf"), True, "n/a"),
        (Decimal("NaN"), False, "n/a"),
    ],
)
def test_format_percent(value: Decimal | float, signed: bool, expected: str) -> None:
    assert format_percent(value, signed=signed) == expected


@pytest.mark.parametrize(
    ("n", "unit", "expected"),
    [
        (1200, "pcs", "1,200 pcs"),
        (5, "kg", "5 kg"),
        (1234567, "units", "1,234,567 units"),
        (0, "pcs", "0 pcs"),
        (-40, "pcs", "-40 pcs"),
        (12, "", "12"),
        (12, "  box ", "12 box"),
    ],
)
def test_format_quantity(n: int, unit: str, expected: str) -> None:
    assert format_quantity(n, unit) == expected
