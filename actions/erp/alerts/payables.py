"""Supplier bills due within N days (default 14), against the cash in the bank.

Bills are taken in due-date order (overdue ones first) and their open amounts
added up; a bill is critical when the running total is more than the company's
bank cash (cash does not cover it), else a warning. One alert per bill
(`ap_due:<number>`), for the finance manager.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from actions.erp.alerts.base import Candidate, DetectorSettings
from actions.erp.context import Context
from actions.erp.formatting import format_date
from actions.erp.models import AlertSeverity
from actions.erp.reports.aging import AP, open_items
from actions.erp.reports.cash import total_cash


def detect_bills_due(ctx: Context, settings: DetectorSettings) -> list[Candidate]:
    horizon = ctx.today + timedelta(days=settings.bills_due_days)
    bills = [i for i in open_items(ctx, AP).items if i.due_date <= horizon]
    if not bills:
        return []
    cash = total_cash(ctx)
    running = Decimal("0.00")
    found = []
    for bill in bills:
        running += bill.open_amount
        covered = running <= cash
        when = (
            f"was due {format_date(bill.due_date)}"
            if bill.due_date < ctx.today
            else f"is due {format_date(bill.due_date)}"
        )
        cover = (
            f"cash of {ctx.money(cash)} covers it"
            if covered
            else f"cash of {ctx.money(cash)} does not cover it "
            f"(bills due up to it total {ctx.money(running)})"
        )
        found.append(
            Candidate(
                alert_type="bill_due",
                severity=AlertSeverity.WARNING if covered else AlertSeverity.CRITICAL,
                module="payables",
                record_ref=bill.number,
                message=(
                    f"Bill {bill.number} from {bill.party} for {ctx.money(bill.open_amount)} "
                    f"{when}; {cover}."
                ),
                suggested_action=(
                    f"Schedule the payment of {bill.number} to {bill.party}."
                    if covered
                    else f"Arrange funds or agree a later date with {bill.party} for {bill.number}."
                ),
                target_role="finance_manager",
                dedup_key=f"ap_due:{bill.number}",
            )
        )
    return found
