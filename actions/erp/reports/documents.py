"""The status of any document by its reference."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from actions.erp.answers import Answer, Column, table
from actions.erp.context import Context, Request
from actions.erp.errors import InvalidInput, NotFound
from actions.erp.formatting import format_date
from actions.erp.models import (
    CustomerInvoice,
    Payment,
    PaymentDirection,
    PurchaseOrder,
    SalesOrder,
    SupplierBill,
)
from actions.erp.parsing import DocumentRef, find_document_refs, normalise_document_ref

# document kind → (model, permission needed to see it, words for it)
KINDS: dict[str, tuple[Any, str, str]] = {
    "purchase_order": (PurchaseOrder, "purchasing.read", "Purchase order"),
    "sales_order": (SalesOrder, "sales.read", "Sales order"),
    "invoice": (CustomerInvoice, "receivables.read", "Invoice"),
    "bill": (SupplierBill, "payables.read", "Supplier bill"),
    "receipt": (Payment, "receivables.read", "Receipt"),
    "payment": (Payment, "payables.read", "Payment"),
}


def _reference(request: Request) -> DocumentRef:
    text = request.first("document_ref")
    if text:
        return normalise_document_ref(text)
    found = find_document_refs(request.text)
    if found:
        return found[0]
    raise InvalidInput(
        "Which document? Give me its reference, for example PO-2025-0042, SO-2025-00123, "
        "INV-2025-00456 or RCPT-2025-00234."
    )


def document_status(ctx: Context, request: Request) -> Answer:
    ref = _reference(request)
    model, permission, label = KINDS[ref.kind]
    ctx.actor.require(permission)
    query = select(model).where(model.company_id == ctx.company_id, model.number == ref.canonical)
    if model is Payment:
        direction = PaymentDirection.RECEIPT if ref.kind == "receipt" else PaymentDirection.PAYMENT
        query = query.where(Payment.direction == direction)
    document = ctx.session.scalar(query)
    if document is None:
        raise NotFound(
            f"I couldn't find {label.lower()} {ref.canonical} in {ctx.actor.company_name}."
        )
    describe = {
        "purchase_order": _purchase_order,
        "sales_order": _sales_order,
        "invoice": _invoice,
        "bill": _invoice,
        "receipt": _payment,
        "payment": _payment,
    }[ref.kind]
    return describe(ctx, label, document)


def _status(document: Any) -> str:
    return document.status.value.replace("_", " ")


def _purchase_order(ctx: Context, label: str, po: PurchaseOrder) -> Answer:
    text = (
        f"{label} {po.number} from {po.supplier.name} is {_status(po)}: "
        f"{ctx.money(po.total)}, ordered {format_date(po.order_date)}, "
        f"expected {format_date(po.expected_date)}."
    )
    if po.status.value == "pending_approval" and po.approver_role:
        text += f" It is waiting for a {po.approver_role.name.lower()} to approve it."
    if po.history:
        last = po.history[-1]
        text += f" Last step: {last.action} on {format_date(last.at.date())}."
        if last.comment:
            text += f" Comment: {last.comment}"
    return Answer(text, [_lines_table(ctx, po.number, po.lines, "unit_cost")])


def _sales_order(ctx: Context, label: str, so: SalesOrder) -> Answer:
    text = (
        f"{label} {so.number} for {so.customer.name} is {_status(so)}: "
        f"{ctx.money(so.total)} including tax, ordered {format_date(so.order_date)}, "
        f"requested for {format_date(so.requested_date)}."
    )
    return Answer(text, [_lines_table(ctx, so.number, so.lines, "unit_price")])


def _invoice(ctx: Context, label: str, doc: CustomerInvoice | SupplierBill) -> Answer:
    party = doc.customer.name if isinstance(doc, CustomerInvoice) else doc.supplier.name
    preposition = "to" if isinstance(doc, CustomerInvoice) else "from"
    text = (
        f"{label} {doc.number} {preposition} {party} is {_status(doc)}: total "
        f"{ctx.money(doc.total)}, paid {ctx.money(doc.amount_paid)}, open "
        f"{ctx.money(doc.open_amount)}, due {format_date(doc.due_date)}"
    )
    overdue = (ctx.today - doc.due_date).days
    if doc.open_amount > 0 and overdue > 0 and doc.status.value != "draft":
        text += f" ({overdue} days overdue)"
    return Answer(text + ".")


def _payment(ctx: Context, label: str, payment: Payment) -> Answer:
    incoming = payment.customer is not None
    party = payment.customer.name if incoming else payment.supplier.name
    text = (
        f"{label} {payment.number} {'from' if incoming else 'to'} {party}: "
        f"{ctx.money(payment.amount)} on {format_date(payment.payment_date)} "
        f"{'into' if incoming else 'out of'} {payment.bank_account.name}"
    )
    if payment.allocations:
        text += ", allocated to " + ", ".join(_allocation_numbers(ctx, payment))
    return Answer(text + ".")


def _allocation_numbers(ctx: Context, payment: Payment) -> list[str]:
    result = []
    for allocation in payment.allocations:
        if allocation.invoice_id:
            number = ctx.session.get(CustomerInvoice, allocation.invoice_id).number
        else:
            number = ctx.session.get(SupplierBill, allocation.bill_id).number
        result.append(f"{number} ({ctx.money(allocation.amount)})")
    return result


def _lines_table(ctx: Context, title: str, lines: list[Any], price_field: str) -> dict:
    return table(
        f"Lines of {title}",
        [
            Column("product", "Product"),
            Column("quantity", "Quantity", "number"),
            Column("price", "Unit price", "money"),
            Column("total", "Line total", "money"),
        ],
        [
            {
                "product": line.product.name,
                "quantity": line.quantity,
                "price": getattr(line, price_field),
                "total": line.line_total,
            }
            for line in lines
        ],
        currency=ctx.currency,
    )
