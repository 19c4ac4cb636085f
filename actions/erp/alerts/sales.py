"""Anomalous daily sales: a robust per-weekday baseline.

Why this method and not an isolation forest: daily sales of a trading company
are dominated by the day of the week (weekends, the Friday lull), so a day can
only be judged against the same weekday. With that, each check is a
one-dimensional question on 8 numbers, where a median and the median absolute
deviation (MAD) are robust (one earlier anomaly or holiday in the history moves
neither), need no training, are deterministic, and explain themselves ("expected
X to Y"). An isolation forest on a few hundred points would need weekday
features to learn the same seasonality, gives a score with no range to explain,
and varies with its random seed.

The test: for each complete day in the window (the `sales_window_days` days
before `as_of`; today is still being booked), take net sales (sales orders that
count, net of discounts, before tax) on the same weekday in the previous
`sales_weeks` weeks. On log(1 + sales), since order values are skewed and a drop
to 20% should weigh like a rise to 5x, compute the median and MAD; the day is
anomalous when |log value - median| > `sales_threshold` × max(1.4826 × MAD, 0.15)
and the value is also below a third or above three times the weekday median. A weekday
whose history has a day without any sales is too sparse to judge and skipped, so
ordinary weekly seasonality (closed days included) never fires. One alert per
company and day (`sales_anomaly:<date>`), for the finance manager; critical when
the deviation is twice the threshold.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from actions.erp.alerts.base import Candidate, DetectorSettings
from actions.erp.context import Context
from actions.erp.formatting import format_date
from actions.erp.models import AlertSeverity, SalesOrder
from actions.erp.reports.sales import COUNTED, NET_VALUE

MIN_HISTORY = 4  # same-weekday days needed before a day is judged
SCALE_FLOOR = 0.15  # in log units: no weekday gets a band narrower than this
RATIO = 3.0  # and the day must be below a third or above three times the weekday median


@dataclass(frozen=True)
class Anomaly:
    day: date
    value: float
    expected: float  # the weekday median
    low: float  # the range a normal day falls in, in currency units
    high: float
    score: float  # robust z on log sales; negative: a drop

    @property
    def kind(self) -> str:
        return "drop" if self.score < 0 else "spike"


def find_anomalies(
    series: Mapping[date, float],
    days: Iterable[date],
    *,
    weeks: int = 8,
    threshold: float = 2.5,
) -> list[Anomaly]:
    """The anomalous days among `days`; `series` holds daily sales, missing days are 0."""
    found = []
    for day in days:
        history = [series.get(day - timedelta(weeks=k), 0.0) for k in range(1, weeks + 1)]
        first = min(series, default=day)
        history = [v for k, v in enumerate(history, start=1) if day - timedelta(weeks=k) >= first]
        if len(history) < MIN_HISTORY or min(history) <= 0:
            continue
        logs = [math.log1p(v) for v in history]
        centre = statistics.median(logs)
        scale = max(1.4826 * statistics.median(abs(x - centre) for x in logs), SCALE_FLOOR)
        value = float(series.get(day, 0.0))
        score = (math.log1p(value) - centre) / scale
        expected = statistics.median(history)
        if abs(score) <= threshold or expected / RATIO <= value <= expected * RATIO:
            continue
        # normal: inside the z band or inside the ratio band, so the range is their union
        low = min(math.expm1(max(centre - threshold * scale, 0.0)), expected / RATIO)
        high = max(math.expm1(centre + threshold * scale), expected * RATIO)
        found.append(Anomaly(day, value, expected, low, high, score))
    return found


def daily_sales(ctx: Context, start: date, end: date) -> dict[date, float]:
    rows = ctx.session.execute(
        select(SalesOrder.order_date, func.sum(NET_VALUE))
        .where(SalesOrder.company_id == ctx.company_id)
        .where(SalesOrder.status.in_(COUNTED))
        .where(SalesOrder.order_date.between(start, end))
        .group_by(SalesOrder.order_date)
    ).all()
    series = {start + timedelta(days=i): 0.0 for i in range((end - start).days + 1)}
    series.update({day: float(total or 0) for day, total in rows})
    return series


def sales_anomalies(ctx: Context, settings: DetectorSettings, window_days: int) -> list[Anomaly]:
    end = ctx.today - timedelta(days=1)
    start = end - timedelta(days=window_days - 1)
    series = daily_sales(ctx, start - timedelta(weeks=settings.sales_weeks), end)
    days = [start + timedelta(days=i) for i in range(window_days)]
    return find_anomalies(
        series, days, weeks=settings.sales_weeks, threshold=settings.sales_threshold
    )


def detect_sales_anomalies(ctx: Context, settings: DetectorSettings) -> list[Candidate]:
    found = []
    for a in sales_anomalies(ctx, settings, settings.sales_window_days):
        weekday = a.day.strftime("%A")
        money = lambda v: ctx.money(Decimal(str(round(v, 2))))  # noqa: E731
        ratio = a.value / a.expected if a.expected else 0.0
        found.append(
            Candidate(
                alert_type="sales_anomaly",
                severity=(
                    AlertSeverity.CRITICAL
                    if abs(a.score) >= 2 * settings.sales_threshold
                    else AlertSeverity.WARNING
                ),
                module="sales",
                record_ref=a.day.isoformat(),
                message=(
                    f"Sales on {weekday} {format_date(a.day)} were {money(a.value)}, "
                    f"{ratio:.0%} of a usual {weekday} ({money(a.expected)}); "
                    f"the expected range from the last {settings.sales_weeks} {weekday}s is "
                    f"{money(a.low)} to {money(a.high)}."
                ),
                suggested_action=(
                    "Check whether orders were missed or held (system, staff, a big customer)."
                    if a.kind == "drop"
                    else "Check the large orders of the day: a bulk buy, a price error or a "
                    "duplicate entry."
                ),
                target_role="finance_manager",
                dedup_key=f"sales_anomaly:{a.day.isoformat()}",
            )
        )
    return found
