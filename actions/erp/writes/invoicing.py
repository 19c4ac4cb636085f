"""Posting draft customer invoices to the general ledger."""

from __future__ import annotations

from typing import Any, ClassVar

from actions.erp.context import Context
from actions.erp.errors import ERPError, InvalidInput
from actions.erp.formatting import format_date
from actions.erp.models import CustomerInvoice, InvoiceStatus, SalesOrder, SalesOrderStatus
from actions.erp.parsing import DOCUMENT_TYPES, normalise_document_ref
from actions.erp.writes.base import Done, Draft, Plan, WriteCommand
from actions.erp.writes.common import (
    RECEIVABLES,
    SALES_REVENUE,
    TAX_PAYABLE,
    ZERO,
    JournalLines,
    gl_accounts,
    journal_state,
    journal_table,
    journal_text,
    require,
)
from actions.erp.writes.documents import find_document
from actions.erp.writes.ledger import post_journal_entry

_STATUS_WORDS = {
    InvoiceStatus.POSTED: "already posted",
    InvoiceStatus.PARTIALLY_PAID: "already posted and partly paid",
    InvoiceStatus.PAID: "already posted and paid",
    InvoiceStatus.CANCELLED: "cancelled",
}
# a sales order whose invoice is posted is invoiced, as in the rest of the ERP
_BILLABLE_ORDERS = (SalesOrderStatus.CONFIRMED, SalesOrderStatus.DELIVERED)


class PostInvoice(WriteCommand):
    name: ClassVar[str] = "post_invoice"
    permission: ClassVar[str] = "invoices.post"
    fields: ClassVar[tuple[str, ...]] = ("document",)
    entity_fields: ClassVar[dict[str, str]] = {"document_ref": "document"}

    def read(self, ctx: Context, name: str, value: str, draft: Draft) -> Draft:
        if name == "document":
            return {"document": _draft_invoice(ctx, value).number}
        raise KeyError(name)

    def plan(self, ctx: Context, draft: Draft) -> Plan:
        require(draft, self.fields, {"document": "invoice number"})
        invoice = _draft_invoice(ctx, str(draft["document"]), field="document")
        accounts = gl_accounts(ctx, [RECEIVABLES, SALES_REVENUE, TAX_PAYABLE])
        lines = _journal(invoice)
        order = _invoice_order(invoice, ctx)
        order_note = (
            f" Its sales order {order.number} becomes invoiced." if order is not None else ""
        )
        summary = (
            f"Please confirm: post invoice {invoice.number} to {invoice.customer.name} for "
            f"{ctx.money(invoice.total)} (net {ctx.money(invoice.subtotal)}, tax "
            f"{ctx.money(invoice.tax_total)}), invoice date {format_date(invoice.invoice_date)}, "
            f"due {format_date(invoice.due_date)}. The journal entry is dated today, "
            f"{format_date(ctx.today)}, the posting date: {journal_text(ctx, accounts, lines)}. "
            f"The invoice goes from draft to posted and counts as owed from then on.{order_note}"
        )
        return Plan(
            params={"document": invoice.number},
            summary=summary,
            state={
                "status": invoice.status.value,
                "customer": invoice.customer_id,
                "totals": [str(invoice.subtotal), str(invoice.tax_total), str(invoice.total)],
                "amount_paid": str(invoice.amount_paid),
                "journal_entry": invoice.journal_entry_id,
                "order": None if order is None else [order.id, order.status.value],
                "journal": journal_state(lines),
            },
            payloads=[journal_table(ctx, f"Journal entry for {invoice.number}", accounts, lines)],
        )

    def execute(self, ctx: Context, params: Draft) -> Done:
        invoice = _draft_invoice(ctx, str(params["document"]), lock=True)
        lines = _journal(invoice)
        entry = post_journal_entry(
            ctx.session,
            ctx.company_id,
            ctx.today,
            f"Invoice {invoice.number} to {invoice.customer.name}",
            lines,
            invoice.number,
        )
        invoice.journal_entry_id = entry.id
        invoice.status = InvoiceStatus.POSTED
        before: dict[str, Any] = {"status": InvoiceStatus.DRAFT.value, "journal_entry": None}
        after: dict[str, Any] = {
            "status": InvoiceStatus.POSTED.value,
            "journal_entry": entry.number,
        }
        order = _invoice_order(invoice, ctx)
        if order is not None:
            before["sales_order"] = {"number": order.number, "status": order.status.value}
            order.status = SalesOrderStatus.INVOICED
            after["sales_order"] = {"number": order.number, "status": order.status.value}
        ctx.session.flush()
        accounts = gl_accounts(ctx, [RECEIVABLES, SALES_REVENUE, TAX_PAYABLE])
        return Done(
            text=(
                f"Done: invoice {invoice.number} to {invoice.customer.name} for "
                f"{ctx.money(invoice.total)} is posted, as journal entry {entry.number} dated "
                f"{format_date(ctx.today)}. It is due on {format_date(invoice.due_date)}."
            ),
            entity_type="customer_invoice",
            entity_ref=invoice.number,
            before=before,
            after=after,
            payloads=[journal_table(ctx, f"Journal entry {entry.number}", accounts, lines)],
        )


def _invoice_order(invoice: CustomerInvoice, ctx: Context) -> SalesOrder | None:
    """The invoice's sales order when posting the invoice bills it, else None."""
    if invoice.sales_order_id is None:
        return None
    order = ctx.session.get(SalesOrder, invoice.sales_order_id)
    if order is None or order.company_id != ctx.company_id:
        return None
    return order if order.status in _BILLABLE_ORDERS else None


def _journal(invoice: CustomerInvoice) -> JournalLines:
    return [
        (RECEIVABLES, invoice.total, ZERO),
        (SALES_REVENUE, ZERO, invoice.subtotal),
        (TAX_PAYABLE, ZERO, invoice.tax_total),
    ]


def _draft_invoice(
    ctx: Context, text: str, *, field: str | None = None, lock: bool = False
) -> CustomerInvoice:
    """A draft customer invoice of the company, or a message saying why not."""
    try:
        ref = normalise_document_ref(text)
    except InvalidInput as error:
        raise InvalidInput(str(error), field=field) from None
    if ref.prefix == "BILL":
        raise InvalidInput(
            f"{ref.canonical} is a supplier bill. Only customer invoices (INV-…) can be posted "
            "here; supplier bills are posted when they are entered.",
            field=field,
        )
    if ref.prefix != "INV":
        raise InvalidInput(
            f"{ref.canonical} is a {DOCUMENT_TYPES[ref.prefix].noun}, not an invoice. Please give "
            "the number of a draft customer invoice, such as INV-2026-00412.",
            field=field,
        )
    try:
        invoice = find_document(ctx, CustomerInvoice, "INV", ref.canonical, lock=lock)
    except ERPError as error:
        error.field = field
        raise
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvalidInput(
            f"{invoice.number} to {invoice.customer.name} is {_STATUS_WORDS[invoice.status]}, "
            "so there is nothing to post. Only draft invoices can be posted.",
            field=field,
        )
    if invoice.total <= 0 or invoice.total != invoice.subtotal + invoice.tax_total:
        raise InvalidInput(
            f"{invoice.number}'s amounts don't add up (net {ctx.money(invoice.subtotal)} + tax "
            f"{ctx.money(invoice.tax_total)} ≠ total {ctx.money(invoice.total)}), so I won't "
            "post it. Please have it corrected in the ERP first."
        )
    return invoice
