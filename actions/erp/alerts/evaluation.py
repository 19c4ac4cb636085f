"""How well the sales-anomaly detector finds planted anomalies, and that it stays quiet.

`plant_anomalies` rewrites the sales orders of chosen days of a demo database
so that the day's net sales become `factor` × the weekday's usual level (the
median of the same weekday over the previous weeks): 0.2 for a collapse, 4.0
for a spike. `evaluate` then runs the detector over a window and scores its
alerts against the planted days. `seasonal_series` is pure weekly seasonality
(the demo companies' weekday profiles, trend and ±15% noise) with nothing to find.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, Numeric, cast, func, literal, select, type_coerce, update

from actions.erp.alerts.base import DetectorSettings, companies, system_context
from actions.erp.alerts.sales import daily_sales, find_anomalies, sales_anomalies
from actions.erp.db import read_session, write_session
from actions.erp.models import Company, SalesOrder
from actions.erp.reports.sales import COUNTED

DROP, SPIKE = 0.2, 4.0


@dataclass(frozen=True)
class Plant:
    company: str
    day: date
    factor: float


@dataclass
class EvalReport:
    window: tuple[date, date]
    planted: list[Plant]
    fired: list[tuple[str, date]]
    true_positives: int = 0
    false_positives: list[tuple[str, date]] = field(default_factory=list)
    missed: list[Plant] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_positives / len(self.fired) if self.fired else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / len(self.planted) if self.planted else 1.0

    def as_dict(self) -> dict:
        return {
            "window": [self.window[0].isoformat(), self.window[1].isoformat()],
            "planted": len(self.planted),
            "fired": len(self.fired),
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "false_positives": [f"{c} {d}" for c, d in self.false_positives],
            "missed": [f"{p.company} {p.day} x{p.factor}" for p in self.missed],
        }


def choose_plants(
    database_url: str,
    as_of: date,
    window_days: int = 28,
    per_company: int = 6,
    weeks: int = 8,
    seed: int = 7,
) -> list[Plant]:
    """Days to plant, half drops and half spikes, on weekdays with sales every week."""
    rng = random.Random(seed)
    plants = []
    with read_session(database_url) as session:
        for company in companies(session):
            ctx = system_context(session, company, as_of)
            end = as_of - timedelta(days=1)
            start = end - timedelta(days=window_days - 1)
            series = daily_sales(ctx, start - timedelta(weeks=weeks), end)
            eligible = [
                start + timedelta(days=i)
                for i in range(window_days)
                if all(
                    series.get(start + timedelta(days=i) - timedelta(weeks=k), 0) > 0
                    for k in range(0, weeks + 1)
                )
            ]
            # one day per weekday at most: a planted day is never in another's baseline
            by_weekday: dict[int, list[date]] = {}
            for day in eligible:
                by_weekday.setdefault(day.weekday(), []).append(day)
            days = [rng.choice(by_weekday[w]) for w in sorted(by_weekday)]
            picked = sorted(rng.sample(days, min(per_company, len(days))))
            for n, day in enumerate(picked):
                plants.append(Plant(company.code, day, DROP if n % 2 == 0 else SPIKE))
    return plants


def plant_anomalies(database_url: str, plants: list[Plant], weeks: int = 8) -> None:
    """Scale each planted day's counted sales orders to `factor` × the weekday median."""
    targets = []
    with read_session(database_url) as session:
        for plant in plants:
            company = session.scalars(select(Company).where(Company.code == plant.company)).one()
            ctx = system_context(session, company, plant.day)
            series = daily_sales(ctx, plant.day - timedelta(weeks=weeks), plant.day)
            usual = sorted(series[plant.day - timedelta(weeks=k)] for k in range(1, weeks + 1))
            median = (usual[len(usual) // 2 - 1] + usual[len(usual) // 2]) / 2
            targets.append((plant.company, plant.day, plant.factor * median))
    for code, day, total in targets:
        set_day_total(database_url, code, day, total)


def set_day_total(database_url: str, company: str, day: date, total: float) -> None:
    """Scale one day's counted sales orders so that its net sales come to `total`."""
    with write_session(database_url) as session:
        company_row = session.scalars(select(Company).where(Company.code == company)).one()
        actual = daily_sales(system_context(session, company_row, day), day, day)[day]
        if actual <= 0 or total <= 0:
            raise ValueError(f"{company} has no sales to scale on {day}")
        ratio = Decimal(str(round(total / actual, 6)))
        session.execute(
            update(SalesOrder)
            .where(SalesOrder.company_id == company_row.id)
            .where(SalesOrder.order_date == day)
            .where(SalesOrder.status.in_(COUNTED))
            .values(subtotal=_scaled(SalesOrder.subtotal, ratio))
            .values(discount_total=_scaled(SalesOrder.discount_total, ratio))
            .execution_options(synchronize_session=False)
        )


def _scaled(column, ratio: Decimal):
    """column × ratio in the stored minor units (a Money bind would be in minor units too)."""
    raw = type_coerce(column, BigInteger) * literal(ratio, Numeric(18, 6))
    return cast(func.round(raw), BigInteger)


def evaluate(
    database_url: str,
    as_of: date,
    plants: list[Plant],
    window_days: int = 28,
    settings: DetectorSettings | None = None,
) -> EvalReport:
    """Score the detector's anomalies in the window before `as_of` against `plants`."""
    settings = settings or DetectorSettings()
    fired: list[tuple[str, date]] = []
    with read_session(database_url) as session:
        for company in companies(session):
            ctx = system_context(session, company, as_of)
            fired += [(company.code, a.day) for a in sales_anomalies(ctx, settings, window_days)]
    end = as_of - timedelta(days=1)
    report = EvalReport((end - timedelta(days=window_days - 1), end), plants, fired)
    planted = {(p.company, p.day) for p in plants}
    report.true_positives = sum(1 for f in fired if f in planted)
    report.false_positives = [f for f in fired if f not in planted]
    report.missed = [p for p in plants if (p.company, p.day) not in set(fired)]
    return report


def seasonal_series(
    weekday_factor: tuple[float, ...],
    start: date,
    days: int,
    level: float = 100_000.0,
    noise: float = 0.15,
    seed: int = 3,
) -> dict[date, float]:
    """Pure weekly seasonality with a gentle trend and uniform ±`noise` around it."""
    rng = random.Random(seed)
    series = {}
    for i in range(days):
        day = start + timedelta(days=i)
        trend = 1 + 0.2 * i / max(1, days - 1)
        wobble = 1 + rng.uniform(-noise, noise)
        series[day] = level * weekday_factor[day.weekday()] * trend * wobble
    return series


def alerts_on_seasonality(weekday_factor: tuple[float, ...], weeks: int = 26) -> int:
    """How many anomalies the detector finds in pure seasonality (it should be none)."""
    start = date(2026, 1, 5)
    series = seasonal_series(weekday_factor, start, weeks * 7)
    checked = [start + timedelta(days=i) for i in range(8 * 7, weeks * 7)]
    return len(find_anomalies(series, checked))
