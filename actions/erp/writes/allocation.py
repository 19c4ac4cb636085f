"""Which open invoices or bills a payment settles: the documents named, or oldest due
first, never more than they still owe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from actions.erp.context import Context
from actions.erp.errors import ERPError, InvalidInput
from actions.erp.models import (
    OPEN_INVOICE_STATUSES,
    Customer,
    CustomerInvoice,
    InvoiceStatus,
    Supplier,
    SupplierBill,
)
from actions.erp.parsing import find_document_refs, normalise_document_ref
from actions.erp.parsing.text import clean_text
from actions.erp.writes.base import Draft
from actions.erp.writes.common import ZERO, decimal_param, join_and
from actions.erp.writes.documents import find_document
from actions.erp.writes.payment_parties import PAYMENT, RECEIPT, party_by_name

AUTO = "auto"

_AUTO_RE = re.compile(
    r"\b(?:auto\w*|oldest|fifo|split|spread|whatever|default|any|due first|open invoices|"
    r"open bills|earliest)\b"
)
_UNALLOCATED_RE = re.compile(r"\b(?:unallocated|on account|advance|not allocate\w*|leave it)\b")


@dataclass(frozen=True)
class Share:
    document: CustomerInvoice | SupplierBill
    amount: Decimal

    @property
    def open_after(self) -> Decimal:
        return self.document.open_amount - self.amount


def _document_model(direction: str) -> tuple[Any, str, str]:
    if direction == RECEIPT:
        return CustomerInvoice, "INV", "customer_id"
    return SupplierBill, "BILL", "supplier_id"


def open_documents_of(
    ctx: Context, direction: str, party: Customer | Supplier, *, lock: bool = False
) -> list[Any]:
    model, _, party_column = _document_model(direction)
    query: Any = (
        select(model)
        .where(
            model.company_id == ctx.company_id,
            getattr(model, party_column) == party.id,
            model.status.in_(OPEN_INVOICE_STATUSES),
        )
        .order_by(model.due_date, model.id)
    )
    if lock:
        query = query.with_for_update(of=model).execution_options(populate_existing=True)
    return list(ctx.session.scalars(query))


def _document_words(direction: str) -> tuple[str, str]:
    return ("invoice", "invoices") if direction == RECEIPT else ("bill", "bills")


def _checked_document(
    ctx: Context, direction: str, party: Customer | Supplier | None, ref: str, *, lock: bool
) -> Any:
    """An open invoice (receipt) or bill (payment) of the company and, if known, the party."""
    model, prefix, party_column = _document_model(direction)
    canonical = normalise_document_ref(ref)
    if canonical.prefix != prefix:
        noun = "customer invoices (INV-…)" if direction == RECEIPT else "supplier bills (BILL-…)"
        kind = "receipt" if direction == RECEIPT else "payment"
        raise InvalidInput(
            f"{canonical.canonical} can't take a {kind}: a {kind} is applied to {noun}.",
            field="allocation",
        )
    try:
        document = find_document(ctx, model, prefix, canonical.canonical, lock=lock)
    except ERPError as error:
        error.field = "allocation"
        raise
    holder = document.customer if direction == RECEIPT else document.supplier
    if party is not None and getattr(document, party_column) != party.id:
        raise InvalidInput(
            f"{document.number} belongs to {holder.name}, not to {party.name}.",
            field="allocation",
        )
    if document.status not in OPEN_INVOICE_STATUSES:
        state = {
            InvoiceStatus.DRAFT: "still a draft that has not been posted",
            InvoiceStatus.PAID: "already paid in full",
            InvoiceStatus.CANCELLED: "cancelled",
        }[document.status]
        raise InvalidInput(
            f"{document.number} ({holder.name}) is {state}, so nothing can be applied to it.",
            field="allocation",
        )
    return document


def named_documents(
    ctx: Context, direction: str, party: Customer | Supplier, refs: list[str], *, lock: bool
) -> list[Any]:
    documents: list[Any] = []
    for ref in refs:
        document = _checked_document(ctx, direction, party, ref, lock=lock)
        if all(d.id != document.id for d in documents):
            documents.append(document)
    return documents


def split(
    ctx: Context,
    direction: str,
    party: Customer | Supplier,
    amount: Decimal,
    documents: list[Any],
    *,
    named: bool,
) -> list[Share]:
    """Apply the amount to the documents in order; more than they owe is refused."""
    singular, plural = _document_words(direction)
    if not documents:
        raise InvalidInput(
            f"{party.name} has no open {plural}, so there is nothing to apply "
            f"{ctx.money(amount)} to. I can only record it against open {plural}."
        )
    open_total = sum((d.open_amount for d in documents), ZERO)
    if amount > open_total:
        count = len(documents)
        which = (
            join_and([d.number for d in documents])
            if named
            else f"{party.name}'s {count} open {singular if count == 1 else plural}"
        )
        raise InvalidInput(
            f"{ctx.money(amount)} is more than the {ctx.money(open_total)} still open on "
            f"{which}, and I can't record an overpayment. Please give an amount up to "
            f"{ctx.money(open_total)}.",
            field="amount",
        )
    shares, left = [], amount
    for document in documents:
        if left <= 0:
            break
        part = min(left, document.open_amount)
        if part > 0:
            shares.append(Share(document, part))
            left -= part
    return shares


def explicit(
    ctx: Context,
    direction: str,
    party: Customer | Supplier,
    amount: Decimal,
    allocation: list[dict[str, Any]],
    *,
    lock: bool,
) -> list[Share]:
    """Allocations planned earlier, checked again against the documents as they are now."""
    shares: list[Share] = []
    for item in allocation:
        document = _checked_document(ctx, direction, party, str(item.get("document")), lock=lock)
        part = decimal_param(item.get("amount"), "allocated amount", field="allocation")
        if part <= 0 or part > document.open_amount:
            raise InvalidInput(
                f"{ctx.money(part)} can't be applied to {document.number}, which has "
                f"{ctx.money(document.open_amount)} open.",
                field="allocation",
            )
        if any(s.document.id == document.id for s in shares):
            raise InvalidInput(f"{document.number} is named twice.", field="allocation")
        shares.append(Share(document, part))
    if sum((s.amount for s in shares), ZERO) != amount:
        raise InvalidInput(
            "The amounts applied to the documents don't add up to the payment.",
            field="allocation",
        )
    return shares


def read_allocation(ctx: Context, text: str, draft: Draft) -> Draft:
    cleaned = clean_text(text)
    refs = [ref.canonical for ref in find_document_refs(text)]
    if not refs:
        try:
            refs = [normalise_document_ref(text).canonical]
        except InvalidInput:
            refs = []
    if not refs:
        if _UNALLOCATED_RE.search(cleaned):
            raise InvalidInput(
                "I can only record money against open invoices or bills; an unallocated "
                "(on-account) amount has to be entered in the ERP. Say “oldest first” or name "
                "the documents.",
                field="allocation",
            )
        if _AUTO_RE.search(cleaned) or cleaned.strip(" .") in ("auto", "yes", "ok"):
            return {"allocation": AUTO}
        raise InvalidInput(
            f"I couldn't tell which documents “{text.strip()}” means. Say “oldest first”, or "
            "name them, such as INV-2026-00412 and INV-2026-00415.",
            field="allocation",
        )
    prefixes = {normalise_document_ref(r).prefix for r in refs}
    direction = draft.get("direction")
    if direction is None and prefixes <= {"INV", "BILL"} and len(prefixes) == 1:
        direction = RECEIPT if prefixes == {"INV"} else PAYMENT
    if direction not in (RECEIPT, PAYMENT):
        raise InvalidInput(
            "Invoices (INV-…) take receipts from customers and bills (BILL-…) take payments "
            "to suppliers. Which is this?",
            field="allocation",
        )
    party = None
    if draft.get("party") and draft.get("direction") == direction:
        party = party_by_name(ctx, direction, str(draft["party"]))
    documents = [_checked_document(ctx, direction, party, ref, lock=False) for ref in refs]
    entries: Draft = {"allocation": list(dict.fromkeys(d.number for d in documents))}
    if party is None:
        holders = {(d.customer if direction == RECEIPT else d.supplier).code: d for d in documents}
        if len(holders) > 1:
            raise InvalidInput(
                f"{join_and([d.number for d in documents])} belong to different "
                f"{'customers' if direction == RECEIPT else 'suppliers'}; one payment can "
                "only settle one party's documents.",
                field="allocation",
            )
        entries["party"] = next(iter(holders))
        entries["direction"] = direction
    return entries


def unplan(draft: Draft) -> None:
    """A draft that comes back from a plan gets its allocation back as the user gave it."""
    allocation = draft.get("allocation")
    mode = draft.pop("allocation_mode", None)
    if isinstance(allocation, list) and allocation and isinstance(allocation[0], dict):
        draft["allocation"] = (
            AUTO if mode == AUTO else [str(item.get("document")) for item in allocation]
        )
