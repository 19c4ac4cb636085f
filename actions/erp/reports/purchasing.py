"""Purchase orders: filtered lists and the approvals waiting for the user."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import Select, func, select

from actions.erp.answers import Answer, Column, table
from actions.erp.context import Context, Request
from actions.erp.formatting import format_date
from actions.erp.models import PurchaseOrder, PurchaseOrderStatus, Role
from actions.erp.parsing import parse_amount, parse_period
from actions.erp.resolve import resolve_supplier

ZERO = Decimal("0.00")
LIST_LIMIT = 20

# phrases a user types → workflow status, checked in this order so that
# "not approved" is read as pending before "approved" is seen
STATUS_PHRASES: list[tuple[str, PurchaseOrderStatus]] = [
    (
        r"not approved|unapproved|pending|awaiting|waiting|approval",
        PurchaseOrderStatus.PENDING_APPROVAL,
    ),
    (r"approved", PurchaseOrderStatus.APPROVED),
    (r"rejected|declined", PurchaseOrderStatus.REJECTED),
    (r"drafts?", PurchaseOrderStatus.DRAFT),
    (r"received|delivered", PurchaseOrderStatus.RECEIVED),
]
OVERDUE_WORDS = ("overdue", "late", "delayed", "past due", "not received", "not delivered")
BELOW_WORDS = ("under", "below", "less than", "smaller than", "up to", "at most", "<")


def _status_filter(request: Request) -> PurchaseOrderStatus | None:
    text = " ".join(request.all("status")) or request.text
    for pattern, status in STATUS_PHRASES:
        if re.search(rf"\b(?:{pattern})\b", text, re.IGNORECASE):
            return status
    return None


def purchase_orders(ctx: Context, request: Request) -> Answer:
    query: Select = select(PurchaseOrder).where(PurchaseOrder.company_id == ctx.company_id)
    filters: list[str] = []
    overdue = request.mentions(*OVERDUE_WORDS) or any(
        "overdue" in s.lower() for s in request.all("status")
    )
    if overdue:
        query = query.where(
            PurchaseOrder.status == PurchaseOrderStatus.APPROVED,
            PurchaseOrder.expected_date < ctx.today,
        )
        filters.append("delivery overdue")
    else:
        status = _status_filter(request)
        if status is not None:
            query = query.where(PurchaseOrder.status == status)
            filters.append(status.value.replace("_", " "))
    supplier_text = request.first("supplier")
    if supplier_text:
        supplier = resolve_supplier(ctx.session, ctx.company_id, supplier_text)
        query = query.where(PurchaseOrder.supplier_id == supplier.id)
        filters.append(f"supplier {supplier.name}")
    amount_text = request.first("amount")
    if amount_text:
        threshold = parse_amount(amount_text, ctx.currency).amount
        if request.mentions(*BELOW_WORDS):
            query = query.where(PurchaseOrder.total <= threshold)
            filters.append(f"up to {ctx.money(threshold)}")
        else:
            query = query.where(PurchaseOrder.total >= threshold)
            filters.append(f"at least {ctx.money(threshold)}")
    period_text = request.first("time_period")
    if period_text:
        period = parse_period(period_text, ctx.today)
        query = query.where(PurchaseOrder.order_date.between(period.start, period.end))
        filters.append(f"ordered {period.label}")
    orders = list(
        ctx.session.scalars(query.order_by(PurchaseOrder.order_date.desc(), PurchaseOrder.number))
    )
    if not period_text:
        filters.append(f"all order dates up to {format_date(ctx.today)}")
    described = f" ({'; '.join(filters)})"
    if not orders:
        return Answer(f"No purchase orders match{described}.", outcome="empty")
    total = sum((o.total for o in orders), ZERO)
    largest = max(orders, key=lambda o: o.total)
    text = (
        f"{len(orders)} purchase order{'s' if len(orders) != 1 else ''} match{described}, "
        f"worth {ctx.money(total)} in total. Largest: {largest.number} from "
        f"{largest.supplier.name} for {ctx.money(largest.total)} ({_status_label(largest)})."
    )
    if len(orders) > LIST_LIMIT:
        text += f" Showing the {LIST_LIMIT} most recent."
    return Answer(text, [_po_table(ctx, "Purchase orders", orders[:LIST_LIMIT])])


def _waiting_for(ctx: Context, query: Select) -> Select:
    """Pending purchase orders routed to one of the user's roles (all, for administrators)."""
    query = query.where(PurchaseOrder.company_id == ctx.company_id).where(
        PurchaseOrder.status == PurchaseOrderStatus.PENDING_APPROVAL
    )
    if "administrator" not in ctx.actor.roles:
        query = query.join(Role, Role.id == PurchaseOrder.approver_role_id).where(
            Role.code.in_(sorted(ctx.actor.roles))
        )
    return query


def pending_approvals(ctx: Context, request: Request) -> Answer:
    query = _waiting_for(ctx, select(PurchaseOrder))
    orders = list(
        ctx.session.scalars(query.order_by(PurchaseOrder.submitted_at, PurchaseOrder.number))
    )
    if not orders:
        return Answer(
            f"Nothing is waiting for your approval as of {format_date(ctx.today)}.",
            outcome="empty",
        )
    total = sum((o.total for o in orders), ZERO)
    oldest = orders[0]
    waited = (ctx.today - oldest.submitted_at.date()).days if oldest.submitted_at else 0
    text = (
        f"{len(orders)} purchase order{'s' if len(orders) != 1 else ''} "
        f"{'are' if len(orders) != 1 else 'is'} waiting for your approval as of "
        f"{format_date(ctx.today)}, worth "
        f"{ctx.money(total)}. The oldest is {oldest.number} from {oldest.supplier.name} "
        f"for {ctx.money(oldest.total)}, waiting {waited} day{'s' if waited != 1 else ''}."
    )
    return Answer(text, [_po_table(ctx, "Waiting for your approval", orders, with_age=True)])


def count_pending_for(ctx: Context) -> int:
    query = _waiting_for(ctx, select(func.count()).select_from(PurchaseOrder))
    return int(ctx.session.scalar(query) or 0)


def _status_label(order: PurchaseOrder) -> str:
    return order.status.value.replace("_", " ")


def _po_table(
    ctx: Context, title: str, orders: list[PurchaseOrder], with_age: bool = False
) -> dict:
    columns = [
        Column("number", "PO"),
        Column("supplier", "Supplier"),
        Column("ordered", "Ordered", "date"),
        Column("expected", "Expected", "date"),
        Column("status", "Status"),
        Column("total", "Total", "money"),
    ]
    if with_age:
        columns.append(Column("waiting_days", "Waiting (days)", "number"))
        columns.append(Column("approver", "Approver role"))
    rows = [
        {
            "number": o.number,
            "supplier": o.supplier.name,
            "ordered": o.order_date,
            "expected": o.expected_date,
            "status": _status_label(o),
            "total": o.total,
            "waiting_days": (ctx.today - o.submitted_at.date()).days if o.submitted_at else None,
            "approver": o.approver_role.name if o.approver_role else "",
        }
        for o in orders
    ]
    return table(title, columns, rows, currency=ctx.currency)
