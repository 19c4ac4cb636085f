"""Approving and rejecting purchase orders, within the approval workflow."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import select

from actions.erp.alerts import state as alert_state
from actions.erp.answers import Column, table
from actions.erp.context import Context, Request
from actions.erp.errors import InvalidInput, PermissionDenied
from actions.erp.formatting import format_date
from actions.erp.models import (
    ApprovalRule,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderStatus,
    Role,
)
from actions.erp.parsing import find_document_refs
from actions.erp.writes.base import Done, Draft, FillResult, Plan, WriteCommand
from actions.erp.writes.documents import find_document

_STATUS_WORDS = {
    PurchaseOrderStatus.DRAFT: "still a draft that has not been submitted for approval",
    PurchaseOrderStatus.APPROVED: "already approved",
    PurchaseOrderStatus.REJECTED: "already rejected",
    PurchaseOrderStatus.RECEIVED: "already received",
}
# "reject PO-2025-0043 because the price is too high" → "the price is too high"
_REASON_AFTER_REF = re.compile(r"^\s*(?:[:,;.\-–—]\s*|\b(?:because|as|since|reason:?|due to)\b\s*)")


def approving_role(ctx: Context, order: PurchaseOrder) -> Role | None:
    """The role the company's approval rules give this order's amount to."""
    return approving_role_for(ctx, order.total)


def approving_role_for(ctx: Context, total: Decimal) -> Role | None:
    """The role that approves a purchase order of this total (None: an administrator)."""
    rule = ctx.session.scalar(
        select(ApprovalRule).where(
            ApprovalRule.company_id == ctx.company_id,
            ApprovalRule.document_type == "purchase_order",
            ApprovalRule.min_amount <= total,
            (ApprovalRule.max_amount.is_(None)) | (ApprovalRule.max_amount > total),
        )
    )
    return rule.role if rule else None


def check_may_decide(ctx: Context, order: PurchaseOrder, verb: str) -> None:
    """Only a pending order, only by the role its amount needs, never by its author."""
    if order.status != PurchaseOrderStatus.PENDING_APPROVAL:
        raise InvalidInput(
            f"{order.number} is {_STATUS_WORDS[order.status]}, so there is nothing to {verb}."
        )
    if order.created_by == ctx.actor.user_id:
        raise PermissionDenied(
            f"You raised {order.number} yourself, so someone else has to {verb} it."
        )
    if "administrator" in ctx.actor.roles:
        return
    role = approving_role(ctx, order)
    if role is None or role.code not in ctx.actor.roles:
        who = f"a {role.name.lower()}" if role else "an administrator"
        raise PermissionDenied(
            f"{order.number} is for {ctx.money(order.total)}; at that amount it has to be "
            f"approved or rejected by {who}, and your role cannot."
        )


class _DecidePurchaseOrder(WriteCommand):
    permission: ClassVar[str] = "purchasing.approve"
    entity_fields: ClassVar[dict[str, str]] = {"document_ref": "document"}
    verb: ClassVar[str]
    new_status: ClassVar[PurchaseOrderStatus]

    def read(self, ctx: Context, name: str, value: str, draft: Draft) -> Draft:
        if name == "document":
            order = find_document(ctx, PurchaseOrder, "PO", value)
            check_may_decide(ctx, order, self.verb)
            return {"document": order.number}
        raise KeyError(name)

    def _order(self, ctx: Context, params: Draft, *, lock: bool = False) -> PurchaseOrder:
        order = find_document(ctx, PurchaseOrder, "PO", params["document"], lock=lock)
        check_may_decide(ctx, order, self.verb)
        return order

    def _state(self, order: PurchaseOrder) -> dict[str, Any]:
        return {
            "status": order.status.value,
            "total": order.total,
            "supplier": order.supplier_id,
            "lines": [(ln.product_id, ln.quantity, ln.unit_cost) for ln in order.lines],
        }

    def _lines_table(self, ctx: Context, order: PurchaseOrder) -> dict[str, Any]:
        columns = [
            Column("product", "Product"),
            Column("quantity", "Quantity", "number"),
            Column("unit_cost", "Unit cost", "money"),
            Column("line_total", "Line total", "money"),
        ]
        rows = [
            {
                "product": ln.product.name,
                "quantity": ln.quantity,
                "unit_cost": ln.unit_cost,
                "line_total": ln.line_total,
            }
            for ln in order.lines
        ]
        return table(
            f"{order.number} from {order.supplier.name}", columns, rows, currency=ctx.currency
        )

    def _describe(self, ctx: Context, order: PurchaseOrder) -> str:
        lines = len(order.lines)
        expected = format_date(order.expected_date)
        return (
            f"{order.number} from {order.supplier.name} for {ctx.money(order.total)} "
            f"({lines} line{'s' if lines != 1 else ''}, expected {expected})"
        )

    def execute(self, ctx: Context, params: Draft) -> Done:
        order = self._order(ctx, params, lock=True)
        before = order.status
        order.status = self.new_status
        ctx.session.add(
            PurchaseOrderEvent(
                order_id=order.id,
                action=self.new_status.value,
                from_status=before.value,
                to_status=self.new_status.value,
                actor_user_id=ctx.actor.user_id,
                comment=params.get("reason", ""),
                at=ctx.now,
            )
        )
        ctx.session.flush()
        alert_state.settle(ctx, "po_approval_waiting", record_ref=order.number)
        after: dict[str, Any] = {"status": self.new_status.value}
        if "reason" in params:
            after["reason"] = params["reason"]
        return Done(
            text=self._done_text(ctx, order, params),
            entity_type="purchase_order",
            entity_ref=order.number,
            before={"status": before.value},
            after=after,
        )

    def _done_text(self, ctx: Context, order: PurchaseOrder, params: Draft) -> str:
        raise NotImplementedError


class ApprovePurchaseOrder(_DecidePurchaseOrder):
    name: ClassVar[str] = "approve_purchase_order"
    fields: ClassVar[tuple[str, ...]] = ("document",)
    verb = "approve"
    new_status = PurchaseOrderStatus.APPROVED

    def plan(self, ctx: Context, draft: Draft) -> Plan:
        order = self._order(ctx, draft)
        return Plan(
            params={"document": order.number},
            summary=(
                f"Please confirm: approve {self._describe(ctx, order)}. "
                "Its status goes from pending approval to approved, and the approval is "
                f"recorded in its history under your name ({ctx.actor.full_name})."
            ),
            state=self._state(order),
            payloads=[self._lines_table(ctx, order)],
        )

    def _done_text(self, ctx: Context, order: PurchaseOrder, params: Draft) -> str:
        return (
            f"Done: {order.number} from {order.supplier.name} for {ctx.money(order.total)} "
            "is approved, and the approval is recorded in its history."
        )


class RejectPurchaseOrder(_DecidePurchaseOrder):
    name: ClassVar[str] = "reject_purchase_order"
    fields: ClassVar[tuple[str, ...]] = ("document", "reason")
    verb = "reject"
    new_status = PurchaseOrderStatus.REJECTED

    def fill(
        self, ctx: Context, draft: Draft, request: Request, requested: str | None = None
    ) -> FillResult:
        result = super().fill(ctx, draft, request, requested)
        if "reason" not in result.draft and requested != "reason":
            reason = _reason_after_reference(request.text)
            if reason:
                result.draft["reason"] = reason
        return result

    def read(self, ctx: Context, name: str, value: str, draft: Draft) -> Draft:
        if name == "reason":
            return {"reason": _check_reason(value)}
        return super().read(ctx, name, value, draft)

    def plan(self, ctx: Context, draft: Draft) -> Plan:
        order = self._order(ctx, draft)
        reason = _check_reason(draft["reason"])
        return Plan(
            params={"document": order.number, "reason": reason},
            summary=(
                f"Please confirm: reject {self._describe(ctx, order)}, "
                f"with the reason “{reason}”. Its status goes from pending approval to "
                f"rejected, and the rejection is recorded in its history under your name "
                f"({ctx.actor.full_name})."
            ),
            state=self._state(order),
            payloads=[self._lines_table(ctx, order)],
        )

    def _done_text(self, ctx: Context, order: PurchaseOrder, params: Draft) -> str:
        return (
            f"Done: {order.number} from {order.supplier.name} is rejected "
            f"(“{params['reason']}”), and the rejection is recorded in its history."
        )


def _check_reason(text: str) -> str:
    reason = " ".join(text.split()).strip(" .")
    if len(reason) < 3 or not re.search(r"[^\W\d_]{2}", reason):
        raise InvalidInput(
            "Please give a short reason for the rejection, such as “price above the last quote”."
        )
    if len(reason) > 300:
        raise InvalidInput("Please keep the reason under 300 characters.")
    return reason


def _reason_after_reference(text: str) -> str | None:
    refs = find_document_refs(text)
    if not refs:
        return None
    # the reason is whatever follows the reference, after a joining word
    lowered = text
    match = None
    for candidate in re.finditer(
        r"(?i)\b(?:po|purchase order)\b[\s#:\-/]*\d{2,4}[\s\-/]*\d+", lowered
    ):
        match = candidate
    if match is None:
        return None
    rest = text[match.end() :]
    joined = _REASON_AFTER_REF.match(rest)
    if not joined:
        return None
    try:
        return _check_reason(rest[joined.end() :])
    except InvalidInput:
        return None
