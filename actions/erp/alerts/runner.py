"""Run every detector for each company and store the alerts that are new.

One transaction per company. The same condition never raises twice: a
candidate whose `dedup_key` is already stored for the company is counted as
existing, and the insert of a new one runs in a savepoint, so when two runs
race the second one's insert hits the unique constraint (company, dedup_key),
is rolled back alone and counted as existing.

Alerts are never deleted. The detectors of a current state (stock, overdue
invoices, bills due, approvals) also say which conditions have cleared: an
alert whose key they no longer report is retired, its key suffixed with its
id so the condition can alert again when it returns, and, if nobody had
dismissed or acted on it, marked resolved (it leaves the lists and the
badge). Sales anomalies are events: they stay as they are.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.erp.alerts.approvals import detect_stale_approvals
from actions.erp.alerts.base import Candidate, DetectorSettings, companies, system_context
from actions.erp.alerts.payables import detect_bills_due
from actions.erp.alerts.receivables import detect_overdue_invoices
from actions.erp.alerts.sales import detect_sales_anomalies
from actions.erp.alerts.stock import detect_low_stock
from actions.erp.context import Context
from actions.erp.db import read_session, write_session
from actions.erp.models import Alert, AlertStatus, Company, Role

logger = logging.getLogger(__name__)

Detector = Callable[[Context, DetectorSettings], list[Candidate]]

# alert types whose detector reports every condition that holds now
STATE_ALERT_TYPES = frozenset({"low_stock", "invoice_overdue", "bill_due", "po_approval_waiting"})
RETIRED = "#"  # dedup_key suffix of a retired alert: "low_stock:A4:DHK#17"

DETECTORS: dict[str, Detector] = {
    "low_stock": detect_low_stock,
    "invoice_overdue": detect_overdue_invoices,
    "bill_due": detect_bills_due,
    "po_approval_waiting": detect_stale_approvals,
    "sales_anomaly": detect_sales_anomalies,
}


@dataclass
class CompanyRun:
    company: str
    new: dict[str, int] = field(default_factory=dict)  # alert type → alerts created
    existing: dict[str, int] = field(default_factory=dict)  # alert type → already stored
    resolved: dict[str, int] = field(default_factory=dict)  # alert type → conditions cleared
    seconds: float = 0.0

    @property
    def new_total(self) -> int:
        return sum(self.new.values())

    @property
    def existing_total(self) -> int:
        return sum(self.existing.values())

    @property
    def resolved_total(self) -> int:
        return sum(self.resolved.values())


@dataclass
class RunReport:
    as_of: date
    companies: list[CompanyRun] = field(default_factory=list)

    @property
    def new_total(self) -> int:
        return sum(c.new_total for c in self.companies)

    @property
    def existing_total(self) -> int:
        return sum(c.existing_total for c in self.companies)

    def describe(self) -> str:
        """A per-company table of new and existing alerts by type."""
        types = list(DETECTORS)
        width = max(len(t) for t in types) + 2
        lines = [f"Alerts as of {self.as_of}:"]
        for run in self.companies:
            lines.append(
                f"  {run.company}: {run.new_total} new, {run.existing_total} existing, "
                f"{run.resolved_total} cleared ({run.seconds:.2f} s)"
            )
            lines.append(f"    {'type':<{width}}{'new':>6}{'existing':>10}{'cleared':>9}")
            for t in types:
                lines.append(
                    f"    {t:<{width}}{run.new.get(t, 0):>6}{run.existing.get(t, 0):>10}"
                    f"{run.resolved.get(t, 0):>9}"
                )
        return "\n".join(lines)


Progress = Callable[[str, int, int], None]  # company code, index (1-based), company count


def run_detectors(
    database_url: str,
    as_of: date | None = None,
    company: str | None = None,
    *,
    settings: DetectorSettings | None = None,
    now: Callable[[], datetime] = datetime.now,
    progress: Progress | None = None,
) -> RunReport:
    """Run the detectors for every company (or one) and store new alerts."""
    as_of = as_of or date.today()
    settings = settings or DetectorSettings()
    with read_session(database_url) as session:
        codes = [c.code for c in companies(session, company)]
    if company is not None and not codes:
        raise ValueError(f"There is no company with the code {company!r}.")
    report = RunReport(as_of)
    for index, code in enumerate(codes, start=1):
        if progress is not None:
            progress(code, index, len(codes))
        started = time.perf_counter()
        with write_session(database_url) as session:
            run = _run_company(session, code, as_of, settings, now())
        run.seconds = time.perf_counter() - started
        report.companies.append(run)
        logger.info("alerts for %s: %d new, %d existing", code, run.new_total, run.existing_total)
    return report


def _run_company(
    session: Session, code: str, as_of: date, settings: DetectorSettings, created_at: datetime
) -> CompanyRun:
    company = session.scalars(select(Company).where(Company.code == code)).one()
    ctx = system_context(session, company, as_of)
    roles = dict(session.execute(select(Role.code, Role.id)).all())
    stored = set(session.scalars(select(Alert.dedup_key).where(Alert.company_id == company.id)))
    run = CompanyRun(code)
    current: set[str] = set()
    for name, detect in DETECTORS.items():
        for candidate in detect(ctx, settings):
            current.add(candidate.dedup_key)
            if candidate.dedup_key in stored or not _insert(
                session, company.id, candidate, roles, created_at
            ):
                run.existing[name] = run.existing.get(name, 0) + 1
                continue
            stored.add(candidate.dedup_key)
            run.new[name] = run.new.get(name, 0) + 1
    _retire_cleared(session, company.id, current, run)
    return run


def _retire_cleared(session: Session, company_id: int, current: set[str], run: CompanyRun) -> None:
    cleared = session.scalars(
        select(Alert)
        .where(Alert.company_id == company_id)
        .where(Alert.alert_type.in_(sorted(STATE_ALERT_TYPES)))
        .where(Alert.dedup_key.not_like(f"%{RETIRED}%"))
        .with_for_update()
    )
    for alert in cleared:
        if alert.dedup_key in current:
            continue
        alert.dedup_key = f"{alert.dedup_key[:180]}{RETIRED}{alert.id}"
        if alert.status in (AlertStatus.UNREAD, AlertStatus.READ):
            alert.status = AlertStatus.RESOLVED
        run.resolved[alert.alert_type] = run.resolved.get(alert.alert_type, 0) + 1
    session.flush()


def _insert(
    session: Session,
    company_id: int,
    candidate: Candidate,
    roles: dict[str, int],
    created_at: datetime,
) -> bool:
    """Store one alert; False when another run stored the same condition first."""
    alert = Alert(
        company_id=company_id,
        alert_type=candidate.alert_type,
        severity=candidate.severity,
        module=candidate.module,
        record_ref=candidate.record_ref[:64],
        message=candidate.message,
        suggested_action=candidate.suggested_action,
        target_role_id=roles.get(candidate.target_role) if candidate.target_role else None,
        target_user_id=None,
        status=AlertStatus.UNREAD,
        dedup_key=candidate.dedup_key[:200],
        created_at=created_at,
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return False
    return True
