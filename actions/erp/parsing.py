"""Turn the text of extracted entities into exact values.

The NLU hands over whatever the user typed ("10k", "last quarter",
"po 2025/42"). These functions turn it into values the queries can use, or
raise `InvalidInput` whose message tells the user which forms are understood.
They are pure: "today" is always passed in, so answers never depend on the
server clock and every rule can be tested with a fixed date.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta

from actions.erp.errors import InvalidInput
from actions.erp.formatting import format_date

# --- shared text clean-up -----------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u02bc\u2032"), "'")


def _ascii_digits(text: str) -> str:
    """Bengali or Devanagari digits (৫০,০০০) become ASCII so one set of patterns serves all."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def _clean(text: str) -> str:
    """Lower-case, NFKC (full-width forms, no-break spaces), ASCII digits, plain dashes."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _ascii_digits(text).translate(_DASHES).translate(_QUOTES)
    return " ".join(text.lower().split())


# --- small number words ("two hundred", "a dozen") ------------------------------

_SMALL_NUMBERS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_LARGE_SCALES = {
    "thousand": 1_000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "lac": 100_000,
    "million": 1_000_000,
    "crore": 10_000_000,
    "billion": 1_000_000_000,
}


def words_to_int(text: str) -> int | None:
    """Read a number written in words or digits and words ("twenty-five", "3 dozen").

    Returns None when any word is not part of a number, so callers can fall
    back to other forms or report the text as unreadable.
    """
    text = text.replace("half a dozen", "six")
    tokens = [t for t in re.split(r"[\s-]+", text.strip()) if t and t != "and"]
    total, current, seen = 0, 0, False
    for index, token in enumerate(tokens):
        if token in ("a", "an") and index + 1 < len(tokens):
            current, seen = max(current, 1), True
        elif token.isdigit():
            current, seen = current + int(token), True
        elif token in _SMALL_NUMBERS or token in _TENS:
            current, seen = current + _SMALL_NUMBERS.get(token, _TENS.get(token, 0)), True
        elif token in ("dozen", "dozens"):
            current, seen = (current or 1) * 12, True
        elif token == "hundred":
            current, seen = (current or 1) * 100, True
        elif token in _LARGE_SCALES:
            total, current, seen = total + (current or 1) * _LARGE_SCALES[token], 0, True
        else:
            return None
    return total + current if seen else None


# --- amounts ------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyAmount:
    """An exact amount; `currency` is None when neither the user nor a default gave one."""

    amount: Decimal
    currency: str | None


_CURRENCY_WORDS: dict[str, str] = {
    "৳": "BDT",
    "tk.": "BDT",
    "tk": "BDT",
    "taka": "BDT",
    "টাকা": "BDT",
    "bdt": "BDT",
    "us$": "USD",
    "$": "USD",
    "usd": "USD",
    "dollars": "USD",
    "dollar": "USD",
    "€": "EUR",
    "eur": "EUR",
    "euros": "EUR",
    "euro": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "pounds": "GBP",
    "pound": "GBP",
    "₹": "INR",
    "inr": "INR",
    "rupees": "INR",
    "jpy": "JPY",
    "cny": "CNY",
    "aud": "AUD",
    "cad": "CAD",
    "sgd": "SGD",
    "aed": "AED",
    "sar": "SAR",
    "chf": "CHF",
    "myr": "MYR",
}
_CURRENCY_RE = re.compile(
    "|".join(
        re.escape(word) if not word[0].isalpha() else rf"(?<![a-z]){re.escape(word)}(?![a-z])"
        for word in sorted(_CURRENCY_WORDS, key=len, reverse=True)
    )
)
_MULTIPLIERS: dict[str, int] = {
    "k": 1_000,
    "thousand": 1_000,
    "thousands": 1_000,
    "grand": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mio": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "lac": 100_000,
    "lacs": 100_000,
    "crore": 10_000_000,
    "crores": 10_000_000,
    "cr": 10_000_000,
}
# Words around an amount that do not change it: the caller reads the comparison
# ("over", "less than") from the intent, and "/-" and "only" are how amounts are
# written on Bangladeshi cheques and invoices.
_AMOUNT_PREFIX_RE = re.compile(
    r"^(?:(?:(?:more|greater|higher|less|fewer|lower) than|over|above|under|below|at least|"
    r"at most|up to|upto|around|about|approx|approximately|roughly|nearly|almost|"
    r"exactly|only|minimum|maximum|min|max)(?![a-z])\.?|[<>]=?|~|≥|≤)\s*"
)
_AMOUNT_SUFFIX_RE = re.compile(r"\s*(?:/-|only|or (?:more|less|so|above|below)|\+)$")
_NUMBER_RE = re.compile(r"^(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)\s*(?P<mult>[a-z]+)?$")
_WESTERN_GROUPS_RE = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+$")
_SOUTH_ASIAN_GROUPS_RE = re.compile(r"^[0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}$")
_MAX_AMOUNT = Decimal(10) ** 13
_CENT = Decimal("0.01")
_AMOUNT_EXAMPLES = "12,500, 10k, 1.5 million, 2 lakh, $3,400.50, 5000 USD or BDT 50,000"


def _amount_error(text: str) -> InvalidInput:
    return InvalidInput(
        f"I couldn't read “{text.strip()}” as an amount. Try a form such as {_AMOUNT_EXAMPLES}."
    )


def _strip_amount_words(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _AMOUNT_PREFIX_RE.sub("", text).strip()
        text = _AMOUNT_SUFFIX_RE.sub("", text).strip()
    return text


def _take_currency(text: str, original: str) -> tuple[str | None, str]:
    """Remove currency symbols and words; two different currencies cannot be one amount."""
    found = {_CURRENCY_WORDS[m.group(0)] for m in _CURRENCY_RE.finditer(text)}
    if len(found) > 1:
        raise InvalidInput(
            f"“{original.strip()}” mentions more than one currency "
            f"({', '.join(sorted(found))}). Please give the amount in one currency."
        )
    rest = " ".join(_CURRENCY_RE.sub(" ", text).split())
    return (found.pop() if found else None), rest


def _check_grouping(number: str, original: str) -> str:
    """Accept 12,500 and 2,00,000 but not 1,2 (a decimal comma would be misread)."""
    if "," not in number:
        return number
    whole = number.split(".")[0]
    if _WESTERN_GROUPS_RE.match(whole) or _SOUTH_ASIAN_GROUPS_RE.match(whole):
        return number.replace(",", "")
    raise InvalidInput(
        f"I couldn't read the number in “{original.strip()}”. Use a dot for decimals and "
        f"commas only between digit groups, for example 12,500.50 or 2,00,000."
    )


def _read_number(rest: str, original: str) -> Decimal:
    match = _NUMBER_RE.match(rest)
    if match:
        multiplier = 1
        if match.group("mult"):
            if match.group("mult") not in _MULTIPLIERS:
                raise _amount_error(original)
            multiplier = _MULTIPLIERS[match.group("mult")]
        return Decimal(_check_grouping(match.group("num"), original)) * multiplier
    value = words_to_int(rest) if rest else None
    if value is None:
        raise _amount_error(original)
    return Decimal(value)


def _reject_negative(cleaned: str, text: str) -> None:
    if re.match(r"^(?:-|minus\b|negative\b|\(\s*[0-9$€£৳])", cleaned):
        raise InvalidInput(
            f"The amount must be more than zero, but “{text.strip()}” is negative. "
            f"Please give a positive amount such as {_AMOUNT_EXAMPLES}."
        )


def parse_amount(text: str, default_currency: str | None = None) -> MoneyAmount:
    """Read an amount the way people type it: "10k", "Tk 2,00,000", "1.5 crore", "$3,400.50".

    Comparison words ("over 10k") are dropped: the intent decides what to
    compare. The result is rounded to cents half up, as the ledger stores it.
    Zero, negative, unreadable or absurdly large amounts raise InvalidInput.
    """
    cleaned = _strip_amount_words(_clean(text))
    _reject_negative(cleaned, text)
    currency, rest = _take_currency(cleaned, text)
    rest = _strip_amount_words(rest)
    _reject_negative(rest, text)
    if not rest:
        raise _amount_error(text)
    try:
        value = _read_number(rest, text).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as error:
        raise _amount_error(text) from error
    if value <= 0:
        raise InvalidInput(
            f"The amount must be more than zero, and “{text.strip()}” is not. "
            f"Please give an amount such as {_AMOUNT_EXAMPLES}."
        )
    if value >= _MAX_AMOUNT:
        raise InvalidInput(f"“{text.strip()}” is far larger than any amount I can work with.")
    chosen = currency or (default_currency.upper() if default_currency else None)
    return MoneyAmount(amount=value, currency=chosen)


# --- quantities ---------------------------------------------------------------

_MAX_QUANTITY = 1_000_000_000
_QUANTITY_RE = re.compile(
    r"^(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)\s*(?P<mult>k|thousand|dozens?|lakhs?)?"
    r"(?:\s+(?:of\s+)?[a-z][a-z.\-]*(?:\s+of)?)?$"
)
_QUANTITY_UNIT_RE = re.compile(
    r"\s+(?:units?|pcs\.?|pieces?|pc\.?|items?|nos\.?|numbers?|boxes|box|cartons?|packs?|"
    r"packets?|bags?|sets?|pairs?|rolls?|bottles?|cases?)(?:\s+of)?$"
)
_QUANTITY_EXAMPLES = "50, 120 units, 1,200 pcs, a dozen or two hundred"


def _quantity_error(text: str) -> InvalidInput:
    return InvalidInput(
        f"I couldn't read “{text.strip()}” as a quantity. "
        f"Try a whole number such as {_QUANTITY_EXAMPLES}."
    )


def _quantity_value(cleaned: str, text: str) -> Decimal:
    match = _QUANTITY_RE.match(cleaned)
    if match:
        number = Decimal(_check_grouping(match.group("num"), text))
        mult = match.group("mult") or ""
        factor = 12 if mult.startswith("dozen") else _MULTIPLIERS.get(mult, 1)
        return number * factor
    words = _QUANTITY_UNIT_RE.sub("", " " + cleaned).strip()
    value = words_to_int(words)
    if value is None:
        raise _quantity_error(text)
    return Decimal(value)


def parse_quantity(text: str) -> int:
    """Read a whole-unit quantity: "120 units", "1,200 pcs", "a dozen", "two hundred".

    Stock and order lines hold whole units, so "2.5" or "0" is refused with a
    message rather than silently rounded.
    """
    cleaned = _clean(text)
    if re.match(r"^(?:-|minus\b|negative\b)", cleaned):
        raise InvalidInput(f"The quantity must be at least 1, but “{text.strip()}” is negative.")
    if not cleaned:
        raise _quantity_error(text)
    try:
        value = _quantity_value(cleaned, text)
    except InvalidOperation as error:
        raise _quantity_error(text) from error
    if value != value.to_integral_value():
        raise InvalidInput(
            f"Quantities are whole units, so I can't use “{text.strip()}”. "
            f"Please give a whole number such as {_QUANTITY_EXAMPLES}."
        )
    if value <= 0:
        raise InvalidInput(f"The quantity must be at least 1, but “{text.strip()}” is not.")
    if value > _MAX_QUANTITY:
        raise InvalidInput(f"“{text.strip()}” is far larger than any quantity I can work with.")
    return int(value)


# --- periods ------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """An inclusive date range with a label that shows the user what was understood.

    The label reads naturally inside a sentence ("Sales for last week (9 – 15
    Nov 2026)", "in October 2026"); capitalise it when it starts one.
    """

    start: date
    end: date
    label: str


@dataclass(frozen=True)
class _Span:
    """A parsed piece of a period before it is capped and labelled.

    `anchored` means the year is fixed (typed, or implied by words such as
    "last month"); a range uses it to carry one end's year over to the other.
    `uncapped` means the user named the dates on purpose (day-level dates or
    "next ..."), so the end is not pulled back to today.
    """

    start: date
    end: date
    name: str | None = None
    anchored: bool = True
    uncapped: bool = False
    whole: bool = False  # a calendar month or year shown by its name alone


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)[0-9]{2}|'[0-9]{2})"
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}
_ORDINALS.update({"fourth": 4, "4th": 4})
_PERIOD_PREFIX_RE = re.compile(r"^(?:in|for|during|over|within|of|on|the|at)\s+")
_PERIOD_SUFFIX_RE = re.compile(r"\s+(?:so far|to date|till date|until now|till now|up to now)$")
_TO_DATE = {
    "month to date": "mtd",
    "month-to-date": "mtd",
    "year to date": "ytd",
    "year-to-date": "ytd",
    "quarter to date": "qtd",
    "quarter-to-date": "qtd",
    "week to date": "wtd",
    "week-to-date": "wtd",
}
_PERIOD_EXAMPLES = (
    "today, yesterday, last week, this month, last quarter, Q3 2025, March 2025, 2025, "
    "last 90 days, since January or 2026-03-01 to 2026-03-31"
)


def _period_error(text: str) -> InvalidInput:
    return InvalidInput(
        f"I couldn't understand “{text.strip()}” as a time period. "
        f"Try something like {_PERIOD_EXAMPLES}."
    )


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarter_of(d: date) -> int:
    return (d.month - 1) // 3 + 1


def _quarter_span(year: int, quarter: int) -> tuple[date, date]:
    first = 3 * (quarter - 1) + 1
    return date(year, first, 1), _month_end(year, first + 2)


def _typed_year(text: str | None) -> int | None:
    if not text:
        return None
    return 2000 + int(text[1:]) if text.startswith("'") else int(text)


def _latest_started_year(today: date, month: int, day: int = 1) -> int:
    """A period named without a year means its most recent start on or before today."""
    day = min(day, calendar.monthrange(today.year, month)[1])
    return today.year if date(today.year, month, day) <= today else today.year - 1


def _range_label(start: date, end: date) -> str:
    """Write a range with the year once when both ends share it ("1 Jul – 30 Sep 2026")."""
    if start == end:
        return format_date(start)
    if start.year != end.year:
        return f"{format_date(start)} – {format_date(end)}"
    if start.month != end.month:
        return f"{start.day} {format_date(start).split()[1]} – {format_date(end)}"
    return f"{start.day} – {format_date(end)}"


# Each point parser gets the cleaned text, today, and a year to use when the
# text names none (None: choose the latest one that has started).
_PointParser = Callable[[str, date, "int | None"], "_Span | None"]


def _point_relative_day(s: str, today: date, year: int | None) -> _Span | None:
    offsets = {"today": 0, "yesterday": -1, "tomorrow": 1}
    if s not in offsets:
        return None
    day = today + timedelta(days=offsets[s])
    return _Span(day, day, name=s, uncapped=s == "tomorrow")


def _point_to_date(s: str, today: date, year: int | None) -> _Span | None:
    s = _TO_DATE.get(s, s)
    words = {"this": "this", "current": "this", "last": "last", "previous": "last"}
    words.update({"prior": "last", "next": "next"})
    match = re.fullmatch(r"(?P<which>\w+) (?P<unit>week|month|quarter|year)", s)
    if s in ("mtd", "wtd", "qtd", "ytd"):
        which, unit = "this", {"m": "month", "w": "week", "q": "quarter", "y": "year"}[s[0]]
    elif match and match.group("which") in words:
        which, unit = words[match.group("which")], match.group("unit")
    else:
        return None
    return _calendar_unit(unit, which, today)


def _calendar_unit(unit: str, which: str, today: date) -> _Span:
    """This/last/next calendar week (from Monday), month, quarter or year."""
    step = {"this": 0, "last": -1, "next": 1}[which]
    if unit == "week":
        start = today - timedelta(days=today.weekday()) + timedelta(weeks=step)
        name = f"{which} week"
        return _Span(start, start + timedelta(days=6), name=name, uncapped=step > 0)
    if unit == "month":
        start = today.replace(day=1) + relativedelta(months=step)
        end = _month_end(start.year, start.month)
        name = f"{calendar.month_name[start.month]} {start.year}"
        return _Span(start, end, name=name, uncapped=step > 0, whole=True)
    if unit == "quarter":
        first = date(today.year, 3 * (_quarter_of(today) - 1) + 1, 1)
        start = first + relativedelta(months=3 * step)
        quarter = _quarter_of(start)
        _, end = _quarter_span(start.year, quarter)
        return _Span(start, end, name=f"Q{quarter} {start.year}", uncapped=step > 0)
    start = date(today.year + step, 1, 1)
    name = None if step == 0 else str(start.year)
    return _Span(start, date(start.year, 12, 31), name=name, uncapped=step > 0, whole=True)


_ROLLING_RE = re.compile(
    r"(?P<dir>last|past|previous|prior|next|coming)\s+(?:(?P<n>[a-z0-9 -]+?)\s+)?"
    r"(?P<unit>days?|weeks?|months?|quarters?|years?)"
)


def _point_rolling(s: str, today: date, year: int | None) -> _Span | None:
    """Rolling windows ("last 90 days") end today; "next ..." windows start today."""
    match = _ROLLING_RE.fullmatch(s)
    if not match:
        return None
    count = words_to_int(match.group("n")) if match.group("n") else 1
    if not count or count < 1 or count > 1000:
        return None
    unit = match.group("unit").rstrip("s")
    months = {"month": 1, "quarter": 3, "year": 12}.get(unit, 0) * count
    if months:
        delta: timedelta | relativedelta = relativedelta(months=months)
    else:
        delta = timedelta(days=count if unit == "day" else 7 * count)
    direction = match.group("dir")
    plural = unit if count == 1 else unit + "s"
    if direction in ("next", "coming"):
        name = f"the next {count} {plural}" if match.group("n") else f"the next {unit}"
        return _Span(today, today + delta - timedelta(days=1), name=name, uncapped=True)
    name = f"the {direction} {count} {plural}" if match.group("n") else f"the past {unit}"
    return _Span(today - delta + timedelta(days=1), today, name=name)


_QUARTER_RES = (
    re.compile(rf"q(?P<q>[1-4])(?:\s*[-/,]?\s*(?:of\s+)?{_YEAR})?"),
    re.compile(rf"{_YEAR}\s*[-/]?\s*q(?P<q>[1-4])"),
    re.compile(rf"quarter\s+(?P<q>[1-4])(?:\s*(?:of\s+)?{_YEAR})?"),
    re.compile(rf"(?P<ord>\w+)\s+quarter(?:\s+(?:of\s+)?{_YEAR})?"),
)


def _point_quarter(s: str, today: date, year: int | None) -> _Span | None:
    for pattern in _QUARTER_RES:
        match = pattern.fullmatch(s)
        if not match:
            continue
        groups = match.groupdict()
        quarter = int(groups["q"]) if groups.get("q") else _ORDINALS.get(groups.get("ord") or "")
        if not quarter:
            return None
        typed = _typed_year(groups.get("year"))
        chosen = typed or year or _latest_started_year(today, 3 * quarter - 2)
        start, end = _quarter_span(chosen, quarter)
        return _Span(start, end, name=f"Q{quarter} {chosen}", anchored=typed is not None)
    return None


_HALF_RES = (
    re.compile(rf"h(?P<h>[12])(?:\s*[-/,]?\s*(?:of\s+)?{_YEAR})?"),
    re.compile(
        r"(?P<ord>first|second|1st|2nd)\s+half"
        rf"(?:\s+(?:of\s+)?(?:the\s+)?(?:year\s*)?{_YEAR}?)?"
    ),
)


def _point_half(s: str, today: date, year: int | None) -> _Span | None:
    for pattern in _HALF_RES:
        match = pattern.fullmatch(s)
        if not match:
            continue
        groups = match.groupdict()
        half = int(groups["h"]) if groups.get("h") else _ORDINALS[groups["ord"]]
        typed = _typed_year(groups.get("year"))
        chosen = typed or year or _latest_started_year(today, 6 * half - 5)
        start, end = date(chosen, 6 * half - 5, 1), _month_end(chosen, 6 * half)
        return _Span(start, end, name=f"H{half} {chosen}", anchored=typed is not None)
    return None


def _point_year(s: str, today: date, year: int | None) -> _Span | None:
    match = re.fullmatch(r"(?:year|calendar year)?\s*(?P<year>(?:19|20)[0-9]{2})", s)
    if not match:
        return None
    chosen = int(match.group("year"))
    return _Span(date(chosen, 1, 1), date(chosen, 12, 31), name=str(chosen), whole=True)


_MONTH_RES = (
    re.compile(rf"(?:(?P<rel>last|this|previous)\s+)?{_MONTH}(?:\s*[-/,]?\s*(?:of\s+)?{_YEAR})?"),
    re.compile(r"(?P<year>(?:19|20)[0-9]{2})-(?P<num>0?[1-9]|1[0-2])"),
)


def _month_year(
    month: int, rel: str | None, typed: int | None, year: int | None, today: date
) -> int:
    if typed or year:
        return typed or year
    if rel == "this":
        return today.year
    if rel in ("last", "previous"):
        return today.year if month < today.month else today.year - 1
    return _latest_started_year(today, month)


def _point_month(s: str, today: date, year: int | None) -> _Span | None:
    """A calendar month ("march", "march 2025", "2025-03"); a bare future month is last year's."""
    for pattern in _MONTH_RES:
        match = pattern.fullmatch(s)
        if not match:
            continue
        groups = match.groupdict()
        month = _MONTHS[groups["month"]] if groups.get("month") else int(groups["num"])
        typed = _typed_year(groups.get("year"))
        chosen = _month_year(month, groups.get("rel"), typed, year, today)
        start, end = date(chosen, month, 1), _month_end(chosen, month)
        name = f"{calendar.month_name[month]} {chosen}"
        anchored = typed is not None or groups.get("rel") is not None
        return _Span(start, end, name=name, anchored=anchored, whole=True)
    return None


_DAY_RES = (
    re.compile(rf"{_DAY}\s+(?:of\s+)?{_MONTH}(?:\s*,?\s*{_YEAR})?"),
    re.compile(rf"{_MONTH}\s+{_DAY}(?:\s*,\s*|\s+){_YEAR}"),
    re.compile(rf"{_MONTH}\s+{_DAY}"),
    re.compile(r"(?P<year>(?:19|20)[0-9]{2})-(?P<num>0?[1-9]|1[0-2])-(?P<day>[0-9]{1,2})"),
)


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as error:
        raise InvalidInput(
            f"“{text.strip()}” is not a real date: {calendar.month_name[month]} has no day {day}"
            + (f" in {year}." if month == 2 and day == 29 else ".")
        ) from error


def _point_day(s: str, today: date, year: int | None) -> _Span | None:
    """A single calendar day; a day typed without a year is its latest past occurrence."""
    for pattern in _DAY_RES:
        match = pattern.fullmatch(s)
        if not match:
            continue
        groups = match.groupdict()
        month = _MONTHS[groups["month"]] if groups.get("month") else int(groups["num"])
        day = int(groups["day"])
        typed = _typed_year(groups.get("year"))
        chosen = typed or year
        if chosen is None:
            chosen = _latest_started_year(today, month, day)
        value = _make_date(chosen, month, day, s)
        return _Span(value, value, anchored=typed is not None, uncapped=True)
    return None


_POINT_PARSERS: tuple[_PointParser, ...] = (
    _point_relative_day,
    _point_to_date,
    _point_rolling,
    _point_quarter,
    _point_half,
    _point_year,
    _point_month,
    _point_day,
)


def _parse_point(s: str, today: date, year: int | None = None) -> _Span | None:
    for parser in _POINT_PARSERS:
        span = parser(s, today, year)
        if span is not None:
            return span
    return None


def _prepare_period_text(text: str) -> str:
    s = _clean(text).strip(" .?!,")
    for phrase, short in _TO_DATE.items():
        s = s.replace(phrase, short)
    previous = None
    while previous != s:
        previous = s
        s = _PERIOD_PREFIX_RE.sub("", s)
        s = _PERIOD_SUFFIX_RE.sub("", s)
    return s


def _align_years(a_text: str, b_text: str, today: date) -> tuple[_Span, _Span] | None:
    """Give a range's ends consistent years: "march to may 2025", "nov to feb", "1 to 15 march"."""
    b = _parse_point(b_text, today)
    if b is None:
        return None
    day_only = re.fullmatch(r"([0-9]{1,2})(?:st|nd|rd|th)?", a_text)
    if day_only and b.start == b.end:
        first = _make_date(b.start.year, b.start.month, int(day_only.group(1)), a_text)
        return _Span(first, first, uncapped=True), b
    a = _parse_point(a_text, today)
    if a is None:
        return None
    if b.anchored and not a.anchored:
        a = _parse_point(a_text, today, b.end.year) or a
        if a.start > b.end:
            a = _parse_point(a_text, today, b.end.year - 1) or a
    elif not b.anchored:
        b = _parse_point(b_text, today, a.start.year) or b
        if b.end < a.start and not a.anchored and a.start.year >= today.year:
            # "nov to feb" in November means the winter that has passed, not one
            # that ends next year.
            a = _parse_point(a_text, today, a.start.year - 1) or a
        elif b.end < a.start:
            b = _parse_point(b_text, today, a.start.year + 1) or b
    return a, b


_RANGE_SEPARATOR_RE = re.compile(r"\s+(?:to|until|till|through|thru|and)\s+|\s*-\s*")


def _parse_range(s: str, today: date) -> _Span | None:
    """Two ends joined by to/and/until/a dash ("from 1 jan to 31 mar", "between march and may")."""
    body = re.sub(r"^(?:from|between)\s+", "", s)
    for separator in _RANGE_SEPARATOR_RE.finditer(body):
        ends = _align_years(body[: separator.start()], body[separator.end() :], today)
        if ends is None:
            continue
        a, b = ends
        if a.start > b.end:
            raise InvalidInput(
                f"The period “{s}” starts ({format_date(a.start)}) after it ends "
                f"({format_date(b.end)}). Please give the earlier date first."
            )
        return _Span(a.start, b.end, uncapped=b.uncapped)
    return None


def _parse_since(s: str, today: date) -> _Span | None:
    match = re.fullmatch(r"(?:since|from|starting|starting from)\s+(?P<rest>.+)", s)
    if not match:
        return None
    span = _parse_point(match.group("rest"), today)
    if span is None:
        return None
    if span.start > today:
        raise InvalidInput(
            f"“{s}” starts in the future ({format_date(span.start)}), so there is nothing "
            f"to report yet."
        )
    return _Span(span.start, today)


def _finish(span: _Span, today: date) -> Period:
    """Cap periods at today (unless the user named future dates) and write the label."""
    capped = not span.uncapped and span.start <= today < span.end
    start, end = span.start, (today if capped else span.end)
    if span.whole and not capped:
        label = span.name or _range_label(start, end)
    elif span.name:
        label = f"{span.name} ({_range_label(start, end)})"
    else:
        label = _range_label(start, end)
    return Period(start=start, end=end, label=label)


def parse_period(text: str, today: date) -> Period:
    """Read a reporting period relative to `today`: "last month", "Q3", "since january".

    Weeks start on Monday. A period named without a year is its latest one
    that has started ("march" in November 2026 is March 2026; in February it
    is March 2025). Periods stop at today unless the user named future dates
    on purpose (a day such as "30 nov", "next month", or a period that has not
    started, "Q1 2027"). Unknown text raises InvalidInput with examples.
    """
    s = _prepare_period_text(text)
    if not s:
        raise _period_error(text)
    span = _parse_since(s, today) or _parse_point(s, today) or _parse_range(s, today)
    if span is None:
        raise _period_error(text)
    return _finish(span, today)


# --- forecast horizon ---------------------------------------------------------

DEFAULT_HORIZON_WEEKS = 4
MAX_HORIZON_WEEKS = 26
_HORIZON_RE = re.compile(
    r"(?:(?:the\s+)?(?:next|coming|upcoming|following)\s+)?(?:(?P<n>[a-z0-9 -]+?)\s*)?"
    r"(?P<unit>days?|weeks?|fortnights?|months?|quarters?|years?)"
)
_WEEKS_PER_UNIT = {"week": 1.0, "fortnight": 2.0, "month": 52 / 12, "quarter": 13.0, "year": 52.0}


_VAGUE_COUNTS = {"few", "a few", "several", "some", "the"}
_HORIZON_HELP = "Try next 4 weeks, next 6 weeks, next 2 months or next 90 days."


def _horizon_count(n: str | None, unit: str) -> float | None:
    """How many units were asked for; None means a vague plural ("coming weeks")."""
    if n in ("a", "an"):
        return 1
    if n in ("couple of", "a couple of"):
        return 2
    if n is None or n in _VAGUE_COUNTS:
        return None if unit.endswith("s") else 1
    return words_to_int(n)


def parse_horizon(text: str) -> int:
    """How many weeks ahead a cash-flow forecast should look: "next 6 weeks" → 6.

    "next month" is about 4 weeks, days round up to whole weeks, and vague or
    empty text ("coming weeks") means 4. The result stays within 1..26 weeks
    because forecasts further out are guesswork.
    """
    s = re.sub(r"^(?:for|over|in|within|during)\s+", "", _clean(text).strip(" .?!"))
    if s in ("", "soon", "ahead", "upcoming", "coming", "future", "next"):
        return DEFAULT_HORIZON_WEEKS
    match = _HORIZON_RE.fullmatch(s)
    if not match:
        raise InvalidInput(
            f"I couldn't understand “{text.strip()}” as a forecast horizon. {_HORIZON_HELP}"
        )
    unit = match.group("unit")
    singular = unit.removesuffix("s")
    count = _horizon_count(match.group("n"), unit)
    if count is None and match.group("n") not in (None, *_VAGUE_COUNTS):
        raise InvalidInput(
            f"I couldn't understand “{text.strip()}” as a forecast horizon. {_HORIZON_HELP}"
        )
    if count is None:
        weeks = {"month": 13, "quarter": 26, "year": 26}.get(singular, DEFAULT_HORIZON_WEEKS)
    elif singular == "day":
        weeks = math.ceil(count / 7)
    else:
        weeks = round(count * _WEEKS_PER_UNIT[singular])
    return max(1, min(MAX_HORIZON_WEEKS, weeks))


# --- document references ------------------------------------------------------


@dataclass(frozen=True)
class _DocumentType:
    kind: str
    digits: int
    noun: str
    example: str


DOCUMENT_TYPES: dict[str, _DocumentType] = {
    "PO": _DocumentType("purchase_order", 4, "purchase order", "PO-2025-0042"),
    "SO": _DocumentType("sales_order", 5, "sales order", "SO-2025-00123"),
    "INV": _DocumentType("invoice", 5, "invoice", "INV-2025-00456"),
    "BILL": _DocumentType("bill", 5, "supplier bill", "BILL-2025-00087"),
    "RCPT": _DocumentType("receipt", 5, "receipt", "RCPT-2025-00234"),
    "PAY": _DocumentType("payment", 5, "payment", "PAY-2025-00031"),
}


@dataclass(frozen=True)
class DocumentRef:
    """A document number in its one canonical spelling, e.g. PO-2025-0042."""

    prefix: str
    year: int
    sequence: int
    canonical: str

    @property
    def kind(self) -> str:
        """purchase_order, sales_order, invoice, bill, receipt or payment."""
        return DOCUMENT_TYPES[self.prefix].kind

    def __str__(self) -> str:
        return self.canonical


def make_document_ref(prefix: str, year: int, sequence: int) -> DocumentRef:
    """Build the canonical reference: PO numbers have 4 digits, the others 5."""
    prefix = prefix.upper()
    width = DOCUMENT_TYPES[prefix].digits
    return DocumentRef(prefix, year, sequence, f"{prefix}-{year}-{sequence:0{width}d}")


# Spoken and written names of each prefix, longest first in the pattern.
_PREFIX_WORDS: dict[str, str] = {
    "purchase order": "PO",
    "p.o.": "PO",
    "p.o": "PO",
    "po": "PO",
    "sales order": "SO",
    "sale order": "SO",
    "s.o.": "SO",
    "s.o": "SO",
    "so": "SO",
    "customer invoice": "INV",
    "sales invoice": "INV",
    "invoice": "INV",
    "inv.": "INV",
    "inv": "INV",
    "supplier bill": "BILL",
    "vendor bill": "BILL",
    "bill": "BILL",
    "money receipt": "RCPT",
    "customer receipt": "RCPT",
    "receipt": "RCPT",
    "rcpt": "RCPT",
    "rct": "RCPT",
    "supplier payment": "PAY",
    "vendor payment": "PAY",
    "payment": "PAY",
    "pmt": "PAY",
    "pay": "PAY",
}
# English words that are also prefixes: inside a sentence they only count when
# the year and number are joined by a dash, slash or dot ("so 2025-12").
_COMMON_WORD_PREFIXES = frozenset({"so", "pay", "bill", "payment", "receipt", "invoice"})
_PREFIX_ALTERNATIVES = "|".join(
    re.escape(word).replace(r"\ ", r"[\s-]*")
    for word in sorted(_PREFIX_WORDS, key=len, reverse=True)
)


def _prefix_code(word: str) -> str:
    """PO/SO/... for a matched prefix however it was spaced ("purchase-order")."""
    squashed = re.sub(r"[\s-]+", "", word)
    return next(code for name, code in _PREFIX_WORDS.items() if name.replace(" ", "") == squashed)


_REF_RE = re.compile(
    rf"(?<![a-z0-9])(?P<prefix>{_PREFIX_ALTERNATIVES})"
    r"(?:\s*(?:no\.?|number|num|nr\.?|ref\.?)(?![a-z]))?[\s#:\-/.]*"
    r"(?:(?P<joined>20[0-9]{2}[0-9]{3,6})"
    r"|(?P<year>[0-9]{4}|[0-9]{2})(?P<sep>\s*[-/._#]\s*|\s+)(?P<seq>[0-9]{1,7}))"
    r"(?![0-9])"
)
_REF_FORMAT_HELP = (
    "References look like PO-2025-0042 (purchase order), SO-2025-00123 (sales order), "
    "INV-2025-00456 (invoice), BILL-2025-00087 (supplier bill), RCPT-2025-00234 (receipt) "
    "or PAY-2025-00031 (payment)."
)


def _ref_from_match(match: re.Match[str]) -> DocumentRef | None:
    """None when the numbers cannot be a reference (year out of range, number 0)."""
    prefix = _prefix_code(match.group("prefix"))
    if match.group("joined"):
        year, sequence = int(match.group("joined")[:4]), int(match.group("joined")[4:])
    else:
        raw_year = match.group("year")
        year = int(raw_year) + (2000 if len(raw_year) == 2 else 0)
        sequence = int(match.group("seq"))
    if not 2000 <= year <= 2099 or sequence < 1:
        return None
    return make_document_ref(prefix, year, sequence)


def _scan_refs(text: str, strict: bool) -> list[DocumentRef]:
    found: list[DocumentRef] = []
    for match in _REF_RE.finditer(_clean(text)):
        loose_separator = match.group("sep") is not None and not match.group("sep").strip()
        prefix_word = re.sub(r"[\s-]+", " ", match.group("prefix"))
        if strict and loose_separator and prefix_word in _COMMON_WORD_PREFIXES:
            continue
        if strict and loose_separator and len(match.group("year")) == 2:
            continue
        ref = _ref_from_match(match)
        if ref is not None and ref not in found:
            found.append(ref)
    return found


def find_document_refs(text: str) -> list[DocumentRef]:
    """Every document reference in a sentence, in order, without repeats.

    Stricter than `normalise_document_ref`: "so 2025 12" inside a sentence is
    more likely words than a sales order, so common words need a joined
    number ("so 2025-12") to count.
    """
    return _scan_refs(text, strict=True)


def _missing_parts_error(text: str) -> InvalidInput | None:
    """A message naming the document type when the prefix was recognised."""
    cleaned = _clean(text)
    match = re.match(rf"^(?P<prefix>{_PREFIX_ALTERNATIVES})(?![a-z])", cleaned)
    if not match:
        return None
    doc_type = DOCUMENT_TYPES[_prefix_code(match.group("prefix"))]
    return InvalidInput(
        f"I couldn't read “{text.strip()}” as a {doc_type.noun} reference: it needs a year "
        f"and a number, like {doc_type.example}."
    )


def normalise_document_ref(text: str) -> DocumentRef:
    """Read one document reference however it was typed: "po 2025/42" → PO-2025-0042.

    Accepts codes or words for the prefix ("purchase order 2025-42"), any
    separator, 2-digit years (20YY) and missing leading zeros. Unknown prefixes
    or missing parts raise InvalidInput showing the expected format.
    """
    refs = _scan_refs(text, strict=False)
    if len(refs) > 1:
        listed = " and ".join(ref.canonical for ref in refs[:2])
        raise InvalidInput(
            f"I found more than one document reference in “{text.strip()}” ({listed}). "
            f"Please ask about one document at a time."
        )
    if refs:
        return refs[0]
    raise _missing_parts_error(text) or InvalidInput(
        f"I couldn't read “{text.strip()}” as a document reference. {_REF_FORMAT_HELP}"
    )
