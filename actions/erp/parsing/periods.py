"""Periods ("last month", "Q3", "since january") and forecast horizons ("next 6 weeks")."""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from actions.erp.errors import InvalidInput
from actions.erp.formatting import format_date
from actions.erp.parsing.text import clean_text, words_to_int

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
    s = clean_text(text).strip(" .?!,")
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
    s = re.sub(r"^(?:for|over|in|within|during)\s+", "", clean_text(text).strip(" .?!"))
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
