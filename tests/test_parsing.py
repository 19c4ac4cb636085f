"""Entity normalisation: amounts, quantities, periods, horizons, document references."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from actions.erp.errors import InvalidInput
from actions.erp.parsing import (
    DocumentRef,
    MoneyAmount,
    Period,
    find_document_refs,
    make_document_ref,
    normalise_document_ref,
    parse_amount,
    parse_horizon,
    parse_period,
    parse_quantity,
    words_to_int,
)

TODAY = date(2026, 11, 22)  # a Sunday


# --- amounts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("10k", "10000.00", None),
        ("10K", "10000.00", None),
        ("12,500", "12500.00", None),
        ("5000 USD", "5000.00", "USD"),
        ("usd 5000", "5000.00", "USD"),
        ("5000usd", "5000.00", "USD"),
        ("1.2m", "1200000.00", None),
        ("1.5 million", "1500000.00", None),
        ("2.5 bn", "2500000000.00", None),
        ("Tk 50,000", "50000.00", "BDT"),
        ("tk. 500", "500.00", "BDT"),
        ("৳50,000", "50000.00", "BDT"),
        ("50,000 taka", "50000.00", "BDT"),
        ("৫০,০০০ টাকা", "50000.00", "BDT"),
        ("BDT 2,00,000", "200000.00", "BDT"),
        ("1,23,45,678.50 bdt", "12345678.50", "BDT"),
        ("2 lakh", "200000.00", None),
        ("2 lakhs", "200000.00", None),
        ("3 lac", "300000.00", None),
        ("1.5 crore", "15000000.00", None),
        ("2 cr", "20000000.00", None),
        ("$3,400.50", "3400.50", "USD"),
        ("US$ 99", "99.00", "USD"),
        ("$10k", "10000.00", "USD"),
        ("10k dollars", "10000.00", "USD"),
        ("€200", "200.00", "EUR"),
        ("200 euros", "200.00", "EUR"),
        ("£75.25", "75.25", "GBP"),
        ("GBP 1,000", "1000.00", "GBP"),
        ("over 10k", "10000.00", None),
        ("more than 5,000", "5000.00", None),
        ("less than $500", "500.00", "USD"),
        ("at least 2 lakh taka", "200000.00", "BDT"),
        ("> 1000", "1000.00", None),
        ("around 7.5k", "7500.00", None),
        ("10 thousand", "10000.00", None),
        ("five thousand", "5000.00", None),
        ("twenty five thousand taka", "25000.00", "BDT"),
        ("10 lakh 50 thousand", "1050000.00", None),
        ("Tk 50,000/- only", "50000.00", "BDT"),
        ("1234.565", "1234.57", None),
        ("0.005", "0.01", None),
        (".5m", "500000.00", None),
        ("  1,000,000  ", "1000000.00", None),
    ],
)
def test_parse_amount(text: str, amount: str, currency: str | None) -> None:
    assert parse_amount(text) == MoneyAmount(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("text", "default", "currency"),
    [
        ("10k", "BDT", "BDT"),
        ("10k", "usd", "USD"),
        ("$10k", "BDT", "USD"),
        ("10k", None, None),
    ],
)
def test_parse_amount_default_currency(text: str, default: str | None, currency: str) -> None:
    assert parse_amount(text, default_currency=default).currency == currency


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "as an amount"),
        ("abc", "as an amount"),
        ("lots of money", "as an amount"),
        ("10 zillion", "as an amount"),
        ("$", "as an amount"),
        ("0", "more than zero"),
        ("0.00", "more than zero"),
        ("0.001", "more than zero"),
        ("-5", "negative"),
        ("-$500", "negative"),
        ("$-500", "negative"),
        ("minus 200", "negative"),
        ("(500)", "negative"),
        ("1,2", "commas only between digit groups"),
        ("12,50,0", "commas only between digit groups"),
        ("5 usd 5 eur", "more than one currency"),
        ("$5 bdt", "more than one currency"),
        ("1e20", "as an amount"),
        ("99999999999999", "far larger"),
        ("1.2.3", "as an amount"),
    ],
)
def test_parse_amount_rejects(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_amount(text)
    assert fragment in str(error.value)


def test_parse_amount_error_lists_accepted_forms() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_amount("a lot")
    message = str(error.value)
    assert "“a lot”" in message
    assert "10k" in message and "2 lakh" in message and message.endswith(".")


# --- quantities ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120 units", 120),
        ("50", 50),
        ("1,200 pcs", 1200),
        ("1,200 pieces", 1200),
        ("a dozen", 12),
        ("3 dozen", 36),
        ("half a dozen", 6),
        ("1.5 dozen", 18),
        ("two hundred", 200),
        ("two hundred units", 200),
        ("twenty-five boxes", 25),
        ("one", 1),
        ("a hundred", 100),
        ("2k", 2000),
        ("5 kg", 5),
        ("10.0", 10),
        ("৫০", 50),
        (" 7 ", 7),
    ],
)
def test_parse_quantity(text: str, expected: int) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0", "at least 1"),
        ("zero", "at least 1"),
        ("-3", "negative"),
        ("2.5", "whole units"),
        ("2.5 units", "whole units"),
        ("", "as a quantity"),
        ("a", "as a quantity"),
        ("lots", "as a quantity"),
        ("some boxes", "as a quantity"),
        ("1,2", "commas only between digit groups"),
        ("5000000000", "far larger"),
    ],
)
def test_parse_quantity_rejects(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_quantity(text)
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seven", 7),
        ("twenty one", 21),
        ("one hundred and five", 105),
        ("two thousand three hundred", 2300),
        ("2 lakh", 200_000),
        ("banana", None),
        ("", None),
    ],
)
def test_words_to_int(text: str, expected: int | None) -> None:
    assert words_to_int(text) == expected


# --- periods ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("today", "2026-11-22", "2026-11-22", "today (22 Nov 2026)"),
        ("yesterday", "2026-11-21", "2026-11-21", "yesterday (21 Nov 2026)"),
        ("this week", "2026-11-16", "2026-11-22", "this week (16 – 22 Nov 2026)"),
        ("last week", "2026-11-09", "2026-11-15", "last week (9 – 15 Nov 2026)"),
        ("this month", "2026-11-01", "2026-11-22", "November 2026 (1 – 22 Nov 2026)"),
        ("mtd", "2026-11-01", "2026-11-22", "November 2026 (1 – 22 Nov 2026)"),
        ("month to date", "2026-11-01", "2026-11-22", "November 2026 (1 – 22 Nov 2026)"),
        ("last month", "2026-10-01", "2026-10-31", "October 2026"),
        ("previous month", "2026-10-01", "2026-10-31", "October 2026"),
        ("this quarter", "2026-10-01", "2026-11-22", "Q4 2026 (1 Oct – 22 Nov 2026)"),
        ("qtd", "2026-10-01", "2026-11-22", "Q4 2026 (1 Oct – 22 Nov 2026)"),
        ("last quarter", "2026-07-01", "2026-09-30", "Q3 2026 (1 Jul – 30 Sep 2026)"),
        ("Q1", "2026-01-01", "2026-03-31", "Q1 2026 (1 Jan – 31 Mar 2026)"),
        ("Q3", "2026-07-01", "2026-09-30", "Q3 2026 (1 Jul – 30 Sep 2026)"),
        ("Q4", "2026-10-01", "2026-11-22", "Q4 2026 (1 Oct – 22 Nov 2026)"),
        ("q3 2025", "2025-07-01", "2025-09-30", "Q3 2025 (1 Jul – 30 Sep 2025)"),
        ("Q3 '25", "2025-07-01", "2025-09-30", "Q3 2025 (1 Jul – 30 Sep 2025)"),
        ("2025 Q2", "2025-04-01", "2025-06-30", "Q2 2025 (1 Apr – 30 Jun 2025)"),
        ("third quarter", "2026-07-01", "2026-09-30", "Q3 2026 (1 Jul – 30 Sep 2026)"),
        ("Q1 2027", "2027-01-01", "2027-03-31", "Q1 2027 (1 Jan – 31 Mar 2027)"),
        ("this year", "2026-01-01", "2026-11-22", "1 Jan – 22 Nov 2026"),
        ("ytd", "2026-01-01", "2026-11-22", "1 Jan – 22 Nov 2026"),
        ("year to date", "2026-01-01", "2026-11-22", "1 Jan – 22 Nov 2026"),
        ("this year so far", "2026-01-01", "2026-11-22", "1 Jan – 22 Nov 2026"),
        ("last year", "2025-01-01", "2025-12-31", "2025"),
        ("2025", "2025-01-01", "2025-12-31", "2025"),
        ("in 2024", "2024-01-01", "2024-12-31", "2024"),
        ("2026", "2026-01-01", "2026-11-22", "2026 (1 Jan – 22 Nov 2026)"),
        ("march", "2026-03-01", "2026-03-31", "March 2026"),
        ("in march", "2026-03-01", "2026-03-31", "March 2026"),
        ("March 2025", "2025-03-01", "2025-03-31", "March 2025"),
        ("mar 2025", "2025-03-01", "2025-03-31", "March 2025"),
        ("2025-03", "2025-03-01", "2025-03-31", "March 2025"),
        ("december", "2025-12-01", "2025-12-31", "December 2025"),
        ("november", "2026-11-01", "2026-11-22", "November 2026 (1 – 22 Nov 2026)"),
        ("last march", "2026-03-01", "2026-03-31", "March 2026"),
        ("last 90 days", "2026-08-25", "2026-11-22", "the last 90 days (25 Aug – 22 Nov 2026)"),
        ("past 3 months", "2026-08-23", "2026-11-22", "the past 3 months (23 Aug – 22 Nov 2026)"),
        ("last 2 weeks", "2026-11-09", "2026-11-22", "the last 2 weeks (9 – 22 Nov 2026)"),
        ("the last two weeks", "2026-11-09", "2026-11-22", "the last 2 weeks (9 – 22 Nov 2026)"),
        ("over the past week", "2026-11-16", "2026-11-22", "the past week (16 – 22 Nov 2026)"),
        (
            "last 12 months",
            "2025-11-23",
            "2026-11-22",
            "the last 12 months (23 Nov 2025 – 22 Nov 2026)",
        ),
        ("since january", "2026-01-01", "2026-11-22", "1 Jan – 22 Nov 2026"),
        ("since 1 march", "2026-03-01", "2026-11-22", "1 Mar – 22 Nov 2026"),
        ("since last month", "2026-10-01", "2026-11-22", "1 Oct – 22 Nov 2026"),
        ("from 1 jan to 31 mar", "2026-01-01", "2026-03-31", "1 Jan – 31 Mar 2026"),
        ("between march and may", "2026-03-01", "2026-05-31", "1 Mar – 31 May 2026"),
        ("jan-mar", "2026-01-01", "2026-03-31", "1 Jan – 31 Mar 2026"),
        ("march to may 2025", "2025-03-01", "2025-05-31", "1 Mar – 31 May 2025"),
        ("nov to feb", "2025-11-01", "2026-02-28", "1 Nov 2025 – 28 Feb 2026"),
        ("1 dec to 15 jan", "2025-12-01", "2026-01-15", "1 Dec 2025 – 15 Jan 2026"),
        ("1 to 15 march", "2026-03-01", "2026-03-15", "1 – 15 Mar 2026"),
        ("2026-03-01 to 2026-03-31", "2026-03-01", "2026-03-31", "1 – 31 Mar 2026"),
        ("2026-03-01 - 2026-03-31", "2026-03-01", "2026-03-31", "1 – 31 Mar 2026"),
        ("2026-03-01", "2026-03-01", "2026-03-01", "1 Mar 2026"),
        ("1st march 2025", "2025-03-01", "2025-03-01", "1 Mar 2025"),
        ("march 1, 2025", "2025-03-01", "2025-03-01", "1 Mar 2025"),
        ("on 5 oct", "2026-10-05", "2026-10-05", "5 Oct 2026"),
        ("H1 2025", "2025-01-01", "2025-06-30", "H1 2025 (1 Jan – 30 Jun 2025)"),
        ("second half", "2026-07-01", "2026-11-22", "H2 2026 (1 Jul – 22 Nov 2026)"),
        # future dates only when the user names them
        ("tomorrow", "2026-11-23", "2026-11-23", "tomorrow (23 Nov 2026)"),
        ("next month", "2026-12-01", "2026-12-31", "December 2026"),
        ("next week", "2026-11-23", "2026-11-29", "next week (23 – 29 Nov 2026)"),
        ("next 7 days", "2026-11-22", "2026-11-28", "the next 7 days (22 – 28 Nov 2026)"),
        ("from 1 nov to 30 nov", "2026-11-01", "2026-11-30", "1 – 30 Nov 2026"),
        ("december 2026", "2026-12-01", "2026-12-31", "December 2026"),
    ],
)
def test_parse_period(text: str, start: str, end: str, label: str) -> None:
    expected = Period(date.fromisoformat(start), date.fromisoformat(end), label)
    assert parse_period(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "today", "start", "end"),
    [
        # a bare quarter is the latest one that has started
        ("Q4", date(2026, 2, 10), "2025-10-01", "2025-12-31"),
        ("Q1", date(2026, 1, 1), "2026-01-01", "2026-01-01"),
        # a bare month in the future this year means last year
        ("march", date(2026, 2, 10), "2025-03-01", "2025-03-31"),
        ("last march", date(2026, 3, 15), "2025-03-01", "2025-03-31"),
        # weeks start on Monday
        ("this week", date(2026, 11, 16), "2026-11-16", "2026-11-16"),
        ("last week", date(2026, 11, 18), "2026-11-09", "2026-11-15"),
        ("last month", date(2026, 1, 15), "2025-12-01", "2025-12-31"),
        ("last quarter", date(2026, 2, 1), "2025-10-01", "2025-12-31"),
        ("past 1 month", date(2026, 3, 31), "2026-03-01", "2026-03-31"),
        ("1 dec to 15 jan", date(2026, 12, 5), "2025-12-01", "2026-01-15"),
        ("nov to feb", date(2026, 1, 10), "2025-11-01", "2026-01-10"),
    ],
)
def test_parse_period_relative_to_today(text: str, today: date, start: str, end: str) -> None:
    period = parse_period(text, today)
    assert (period.start, period.end) == (date.fromisoformat(start), date.fromisoformat(end))


@pytest.mark.parametrize(
    "text",
    ["this month", "Q4", "2026", "this year", "last 30 days", "since march", "this week", "h2"],
)
def test_periods_never_end_after_today(text: str) -> None:
    period = parse_period(text, TODAY)
    assert period.start <= period.end <= TODAY


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "as a time period"),
        ("foo", "as a time period"),
        ("the other day", "as a time period"),
        ("q5", "as a time period"),
        ("13/2026", "as a time period"),
        ("31 feb", "February has no day 31"),
        ("29 feb 2025", "February has no day 29 in 2025"),
        ("june 2025 to march 2025", "after it ends"),
        ("since tomorrow", "starts in the future"),
    ],
)
def test_parse_period_rejects(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_period(text, TODAY)
    assert fragment in str(error.value)


def test_unknown_period_message_shows_examples() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_period("whenever", TODAY)
    assert "last quarter" in str(error.value) and "“whenever”" in str(error.value)


# --- forecast horizon ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weeks"),
    [
        ("next 6 weeks", 6),
        ("next six weeks", 6),
        ("6 weeks", 6),
        ("next 4 weeks", 4),
        ("next week", 1),
        ("next fortnight", 2),
        ("couple of weeks", 2),
        ("next month", 4),
        ("a month", 4),
        ("next 2 months", 9),
        ("next 3 months", 13),
        ("next quarter", 13),
        ("next 30 days", 5),
        ("next 10 days", 2),
        ("next 3 days", 1),
        ("coming weeks", 4),
        ("the coming weeks", 4),
        ("next few weeks", 4),
        ("over the next 8 weeks", 8),
        ("", 4),
        ("next 100 weeks", 26),
        ("next year", 26),
        ("next 0 weeks", 1),
    ],
)
def test_parse_horizon(text: str, weeks: int) -> None:
    assert parse_horizon(text) == weeks


@pytest.mark.parametrize("text", ["blah", "next banana weeks", "last month", "yesterday"])
def test_parse_horizon_rejects(text: str) -> None:
    with pytest.raises(InvalidInput, match="forecast horizon"):
        parse_horizon(text)


# --- document references ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "kind"),
    [
        ("PO-2025-0042", "PO-2025-0042", "purchase_order"),
        ("po 2025-42", "PO-2025-0042", "purchase_order"),
        ("PO2025-0042", "PO-2025-0042", "purchase_order"),
        ("po#2025/42", "PO-2025-0042", "purchase_order"),
        ("po-25-42", "PO-2025-0042", "purchase_order"),
        ("PO\u20112025\u20130042", "PO-2025-0042", "purchase_order"),
        ("PO—2025—42", "PO-2025-0042", "purchase_order"),
        ("P.O. 2025-42", "PO-2025-0042", "purchase_order"),
        ("PO20250042", "PO-2025-0042", "purchase_order"),
        ("PO-2025-00042", "PO-2025-0042", "purchase_order"),
        ("purchase order 2025-0042", "PO-2025-0042", "purchase_order"),
        ("Purchase-Order 2025/42", "PO-2025-0042", "purchase_order"),
        ("po no. 2025-42", "PO-2025-0042", "purchase_order"),
        ("SO-2025-00123", "SO-2025-00123", "sales_order"),
        ("sales order 2025-123", "SO-2025-00123", "sales_order"),
        ("so 25-123", "SO-2025-00123", "sales_order"),
        ("inv 2025 456", "INV-2025-00456", "invoice"),
        ("invoice 2025-456", "INV-2025-00456", "invoice"),
        ("Invoice #2025-456", "INV-2025-00456", "invoice"),
        ("INV-2025-00456", "INV-2025-00456", "invoice"),
        ("bill 2025-87", "BILL-2025-00087", "bill"),
        ("BILL-2025-00087", "BILL-2025-00087", "bill"),
        ("receipt 2025-234", "RCPT-2025-00234", "receipt"),
        ("rcpt-2025-00234", "RCPT-2025-00234", "receipt"),
        ("money receipt 25/234", "RCPT-2025-00234", "receipt"),
        ("payment 2025-31", "PAY-2025-00031", "payment"),
        ("PAY-2025-00031", "PAY-2025-00031", "payment"),
        ("  status of po 2025-42?  ", "PO-2025-0042", "purchase_order"),
    ],
)
def test_normalise_document_ref(text: str, canonical: str, kind: str) -> None:
    ref = normalise_document_ref(text)
    assert ref.canonical == canonical == str(ref)
    assert ref.kind == kind
    assert ref == normalise_document_ref(canonical)


def test_document_ref_fields() -> None:
    assert normalise_document_ref("po 25/42") == DocumentRef("PO", 2025, 42, "PO-2025-0042")
    assert make_document_ref("inv", 2026, 7).canonical == "INV-2026-00007"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("PO 42", "like PO-2025-0042"),
        ("PO-2025", "like PO-2025-0042"),
        ("invoice", "like INV-2025-00456"),
        ("PO-2025-0", "like PO-2025-0042"),
        ("po 1999-1", "like PO-2025-0042"),
        ("XY-2025-12", "References look like PO-2025-0042"),
        ("2025-0042", "References look like PO-2025-0042"),
        ("", "References look like"),
        ("hello", "References look like"),
        ("so 2025-12 and inv-2025-7", "more than one document reference"),
    ],
)
def test_normalise_document_ref_rejects(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalise_document_ref(text)
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Show PO-2025-0042 and inv 2025-456, then SO-2025-00123 and po-2025-42 again",
            ["PO-2025-0042", "INV-2025-00456", "SO-2025-00123"],
        ),
        ("what about receipt 2025/234?", ["RCPT-2025-00234"]),
        ("is bill 2025-87 paid", ["BILL-2025-00087"]),
        ("so 2025 was good, pay 2025 12 bills", []),
        ("also2025-12 is not a reference", []),
        ("nothing here", []),
        ("", []),
    ],
)
def test_find_document_refs(text: str, expected: list[str]) -> None:
    assert [ref.canonical for ref in find_document_refs(text)] == expected
