"""Purchase orders waiting for approval longer than a threshold.

Pending for more than `approval_wait_days` (default 3) days since submission is a
warning, from `approval_critical_days` (default 14) critical. One alert per
order (`po_approval:<number>`), addressed to the role the approval rules routed
it to (purchasing approver or finance manager).
"""

from __future__ import annotations

from sqlalchemy import select

from actions.erp.alerts.base import Candidate, DetectorSettings
from actions.erp.context import Context
from actions.erp.models import AlertSeverity, PurchaseOrder, PurchaseOrderStatus


def detect_stale_approvals(ctx: Context, settings: DetectorSettings) -> list[Candidate]:
    orders = ctx.session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.company_id == ctx.company_id)
        .where(PurchaseOrder.status == PurchaseOrderStatus.PENDING_APPROVAL)
        .where(PurchaseOrder.submitted_at.is_not(None))
        .order_by(PurchaseOrder.submitted_at, PurchaseOrder.number)
    )
    found = []
    for order in orders:
        assert order.submitted_at is not None
        waited = (ctx.today - order.submitted_at.date()).days
        if waited <= settings.approval_wait_days:
            continue
        critical = waited >= settings.approval_critical_days
        role = order.approver_role
        found.append(
            Candidate(
                alert_type="po_approval_waiting",
                severity=AlertSeverity.CRITICAL if critical else AlertSeverity.WARNING,
                module="purchasing",
                record_ref=order.number,
                message=(
                    f"{order.number} from {order.supplier.name} for {ctx.money(order.total)} "
                    f"has waited {waited} days for approval"
                    + (f" by a {role.name.lower()}." if role else ".")
                ),
                suggested_action=f"approve {order.number}",
                target_role=role.code if role else None,
                dedup_key=f"po_approval:{order.number}",
            )
        )
    return found
