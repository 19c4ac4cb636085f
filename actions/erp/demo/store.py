"""Rows waiting to be inserted, with primary keys handed out in advance.

Money columns hold integer minor units (cents, paisa) while the simulation
runs; `seed` turns them into `Decimal` when it inserts, so that the `Money`
column type stores exactly what was computed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

GLOBAL = "*"  # the "company" of rows shared by every company (roles, permissions)


class RowStore:
    def __init__(self, first_ids: Mapping[str, int]) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._next_id = dict(first_ids)

    def next_id(self, table: str) -> int:
        value = self._next_id.get(table, 1)
        self._next_id[table] = value + 1
        return value

    def add(self, table: str, company: str, row: dict[str, Any]) -> dict[str, Any]:
        self.rows[table].append(row)
        self.counts[table][company] += 1
        return row

    def total(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


ProgressCallback = Callable[[str, int, int], None]


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def nice(value: float, minimum: int = 1) -> int:
    """Round to a number a person would pick: 1, 2, 2.5 or 5 times a power of ten."""
    if value <= minimum:
        return minimum
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * magnitude
        if value <= candidate * 1.25:
            return max(minimum, round(candidate))
    return max(minimum, 10 * magnitude)


def nice_up(value: float) -> int:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `value`."""
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return math.ceil(step * magnitude)
    return 10 * magnitude


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, days_in_month(year, month)))


def days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - timedelta(days=1)).day


def at_time(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)
