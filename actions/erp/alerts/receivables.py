"""Customer invoices overdue, by aging bucket.

One alert per open invoice and bucket (`ar_overdue:<number>:<bucket>`), for the
finance manager: 31-60 days past due is info, 61-90 a warning, 90+ critical.
An invoice that ages into the next bucket raises a new alert; one paid off
keeps its old alerts (history is never deleted).
"""

from __future__ import annotations

from actions.erp.alerts.base import Candidate, DetectorSettings
from actions.erp.context import Context
from actions.erp.formatting import format_date
from actions.erp.models import AlertSeverity
from actions.erp.reports.aging import AR, bucket_for, open_items

SEVERITY = {
    "31-60": AlertSeverity.INFO,
    "61-90": AlertSeverity.WARNING,
    "90+": AlertSeverity.CRITICAL,
}


def detect_overdue_invoices(ctx: Context, settings: DetectorSettings) -> list[Candidate]:
    found = []
    for item in open_items(ctx, AR).items:
        bucket = bucket_for(item.days_overdue)
        if bucket not in SEVERITY:
            continue
        found.append(
            Candidate(
                alert_type="invoice_overdue",
                severity=SEVERITY[bucket],
                module="receivables",
                record_ref=item.number,
                message=(
                    f"Invoice {item.number} to {item.party} is {item.days_overdue} days overdue "
                    f"({bucket} days bucket): {ctx.money(item.open_amount)} open, "
                    f"due {format_date(item.due_date)}."
                ),
                suggested_action=(
                    f"Contact {item.party} to collect {ctx.money(item.open_amount)} on "
                    f"{item.number}, or record the receipt if it has been paid."
                ),
                target_role="finance_manager",
                dedup_key=f"ar_overdue:{item.number}:{bucket}",
            )
        )
    return found
