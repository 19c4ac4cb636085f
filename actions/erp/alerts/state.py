"""Alert state changes on behalf of a user: read, dismiss, act.

Every change loads the alert by id within the user's own company and only if it
is addressed to them (to them, one of their roles, or everyone), exactly the
alerts `visible_alerts` lists; anything else is "not found", so another
company's alert ids reveal nothing and change nothing.

Acting on an alert returns what to do next. For a purchase order waiting for
approval it is the start of the confirmed write `approve_purchase_order`; for a
low-stock line that still needs a top-up it is the start of the confirmed write
`create_purchase_order`, pre-filled with the product, the warehouse and the
suggested quantity (the user still names the supplier). The service starts the
write and the user confirms or cancels it as any typed write; nothing is
written before that, and the confirmed write itself marks the alert acted on
(`settle`). Other alerts return their suggested action as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import or_, select

from actions.erp.context import Context
from actions.erp.errors import NotFound
from actions.erp.models import Alert, AlertStatus, Role, Warehouse
from actions.erp.reports.inventory import below_reorder_level

Outcome = Literal["done", "refused", "failed"]


@dataclass
class AlertReply:
    text: str
    outcome: Outcome
    alert_id: int | None = None
    status: str | None = None
    # for act: the confirmed write to start, and its draft in the command's field names
    command: str | None = None
    draft: dict[str, Any] = field(default_factory=dict)
    write: Any = None  # the WriteReply of the started write, when one was started


def find_alert(ctx: Context, alert_id: int, *, lock: bool = False) -> Alert:
    ctx.actor.require("alerts.read")
    role_ids = select(Role.id).where(Role.code.in_(sorted(ctx.actor.roles)))
    query = (
        select(Alert)
        .where(Alert.id == alert_id)
        .where(Alert.company_id == ctx.company_id)
        .where(
            or_(
                Alert.target_user_id == ctx.actor.user_id,
                Alert.target_role_id.in_(role_ids),
                (Alert.target_user_id.is_(None)) & (Alert.target_role_id.is_(None)),
            )
        )
    )
    if lock:
        query = query.with_for_update()
    alert = ctx.session.scalar(query)
    if alert is None:
        raise NotFound(f"I can't find alert #{alert_id} among your alerts.")
    return alert


def set_status(ctx: Context, alert_id: int, status: AlertStatus) -> AlertReply:
    alert = find_alert(ctx, alert_id, lock=True)
    if status is AlertStatus.READ and alert.status is not AlertStatus.UNREAD:
        # reading never reopens a dismissed or acted-on alert
        return AlertReply(
            f"Alert #{alert.id} is already {alert.status.value}.",
            "done",
            alert.id,
            alert.status.value,
        )
    alert.status = status
    ctx.session.flush()
    verb = {
        AlertStatus.READ: "marked as read",
        AlertStatus.DISMISSED: "dismissed",
        AlertStatus.ACTED: "marked as acted on",
    }[status]
    return AlertReply(f"Alert #{alert.id} is {verb}.", "done", alert.id, status.value)


def plan_action(ctx: Context, alert_id: int) -> AlertReply:
    """What acting on an alert starts; changes nothing (the service then marks it acted)."""
    alert = find_alert(ctx, alert_id)
    if alert.alert_type == "po_approval_waiting":
        return AlertReply(
            f"Alert #{alert.id}: approving {alert.record_ref}.",
            "done",
            alert.id,
            command="approve_purchase_order",
            draft={"document": alert.record_ref},
        )
    if alert.alert_type == "low_stock":
        code = alert.dedup_key.rsplit(":", 1)[-1]
        warehouse = ctx.session.scalar(
            select(Warehouse.id).where(
                Warehouse.company_id == ctx.company_id, Warehouse.code == code
            )
        )
        items = below_reorder_level(ctx, warehouse) if warehouse is not None else []
        item = next((i for i in items if i["sku"] == alert.record_ref), None)
        if item is None or not item["suggested"]:
            return AlertReply(
                f"{alert.record_ref} no longer needs a new purchase order: "
                "it is back at its reorder level or covered by open orders.",
                "done",
                alert.id,
            )
        return AlertReply(
            f"Alert #{alert.id}: raising a purchase order for {item['suggested']} × "
            f"{item['product']} ({item['sku']}) for {item['warehouse']}.",
            "done",
            alert.id,
            command="create_purchase_order",
            draft={
                "product": item["sku"],
                "warehouse": item["warehouse"],
                "quantity": item["suggested"],
            },
        )
    return AlertReply(alert.suggested_action or alert.message, "done", alert.id)


def settle(
    ctx: Context, alert_type: str, *, record_ref: str | None = None, dedup_key: str | None = None
) -> int:
    """Mark the company's open alerts about a record acted on; how many.

    Called by the writes that do what an alert asks (approving or rejecting
    its purchase order, raising the purchase order a low stock needs) inside
    their own transaction, so the alert counts as acted on when the work is
    confirmed, whether it was started from the alert or typed.
    """
    query = (
        select(Alert)
        .where(Alert.company_id == ctx.company_id, Alert.alert_type == alert_type)
        .where(Alert.status.in_((AlertStatus.UNREAD, AlertStatus.READ)))
    )
    if record_ref is not None:
        query = query.where(Alert.record_ref == record_ref)
    if dedup_key is not None:
        query = query.where(Alert.dedup_key == dedup_key)
    settled = list(ctx.session.scalars(query.with_for_update()))
    for alert in settled:
        alert.status = AlertStatus.ACTED
    ctx.session.flush()
    return len(settled)
