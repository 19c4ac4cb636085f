"""What every detector shares: the candidate it returns, its settings and a system context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.erp.access import PERMISSIONS, Actor
from actions.erp.context import Context
from actions.erp.models import AlertSeverity, Company


@dataclass(frozen=True)
class Candidate:
    """An alert a detector would raise; the runner turns new ones into `Alert` rows."""

    alert_type: str
    severity: AlertSeverity
    module: str
    record_ref: str
    message: str
    suggested_action: str
    target_role: str | None  # role code, e.g. "warehouse_clerk"; None: everyone
    dedup_key: str  # stable for one condition: the same condition never raises twice


@dataclass(frozen=True)
class DetectorSettings:
    """Thresholds of the detectors (defaults documented in each detector module)."""

    bills_due_days: int = 14  # supplier bills due within this many days are checked
    approval_wait_days: int = 3  # a PO pending approval longer than this raises an alert
    approval_critical_days: int = 14  # ... and is critical from this many days
    sales_weeks: int = 8  # weeks of same-weekday history behind the sales baseline
    sales_window_days: int = 7  # complete days (before as_of) checked for sales anomalies
    sales_threshold: float = 2.5  # robust z-score (on log sales) that counts as anomalous


def system_context(session: Session, company: Company, as_of: date) -> Context:
    """A context that sees the whole company: detectors read every module's data."""
    actor = Actor(
        user_id=0,
        username="alert-detectors",
        full_name="Alert detectors",
        company_id=company.id,
        company_code=company.code,
        company_name=company.name,
        currency=company.currency,
        roles=frozenset({"administrator"}),
        permissions=frozenset(PERMISSIONS),
    )
    return Context(session, actor, as_of)


def companies(session: Session, code: str | None = None) -> list[Company]:
    query = select(Company).order_by(Company.code)
    if code is not None:
        query = query.where(Company.code == code)
    return list(session.scalars(query))
