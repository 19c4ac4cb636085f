"""Receivables (AR) and payables (AP) aging.

AR and AP are the same question asked of different tables, so one module
answers both through a small `Ledger` description of each side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from actions.erp.answers import Answer, Column, chart, table
from actions.erp.context import Context, Request
from actions.erp.formatting import format_date
from actions.erp.models import OPEN_INVOICE_STATUSES, CustomerInvoice, SupplierBill
from actions.erp.resolve import resolve_customer, resolve_supplier

ZERO = Decimal("0.00")
BUCKETS = ("0-30", "31-60", "61-90", "90+")
TOP_PARTIES = 5


@dataclass(frozen=True)
class Ledger:
    """One side of the books: customer invoices (AR) or supplier bills (AP)."""

    document: Any  # CustomerInvoice or SupplierBill
    party_key: str  # attribute holding the party relationship
    party_label: str
    resolve: Callable[..., Any]
    title: str
    documents: str  # "invoices" / "bills"


AR = Ledger(CustomerInvoice, "customer", "Customer", resolve_customer, "Receivables", "invoices")
AP = Ledger(SupplierBill, "supplier", "Supplier", resolve_supplier, "Payables", "bills")


def bucket_for(days_overdue: int) -> str:
    """Aging bucket by days past due; documents not yet due fall in 0-30."""
    if days_overdue <= 30:
        return "0-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"


@dataclass
class OpenItem:
    number: str
    party: str
    doc_date: date
    due_date: date
    total: Decimal
    open_amount: Decimal
    days_overdue: int


@dataclass
class Aging:
    as_of: date
    items: list[OpenItem]
    buckets: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((i.open_amount for i in self.items), ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((i.open_amount for i in self.items if i.days_overdue > 0), ZERO)

    @property
    def not_yet_due(self) -> Decimal:
        return self.total - self.overdue

    def by_party(self) -> list[tuple[str, Decimal, Decimal, int]]:
        """(party, open, overdue, documents) per party, largest balance first."""
        totals: dict[str, list[Any]] = {}
        for item in self.items:
            entry = totals.setdefault(item.party, [ZERO, ZERO, 0])
            entry[0] += item.open_amount
            entry[1] += item.open_amount if item.days_overdue > 0 else ZERO
            entry[2] += 1
        ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [(party, v[0], v[1], v[2]) for party, v in ranked]


def open_items(ctx: Context, ledger: Ledger, party_id: int | None = None) -> Aging:
    doc = ledger.document
    doc_date = doc.invoice_date if doc is CustomerInvoice else doc.bill_date
    party_column = doc.customer_id if doc is CustomerInvoice else doc.supplier_id
    query = (
        select(doc)
        .where(doc.company_id == ctx.company_id)
        .where(doc.status.in_(OPEN_INVOICE_STATUSES))
        .where(doc.total > doc.amount_paid)
        .order_by(doc.due_date, doc.number)
    )
    if party_id is not None:
        query = query.where(party_column == party_id)
    items = [
        OpenItem(
            number=d.number,
            party=getattr(d, ledger.party_key).name,
            doc_date=getattr(d, doc_date.key),
            due_date=d.due_date,
            total=d.total,
            open_amount=d.open_amount,
            days_overdue=max(0, (ctx.today - d.due_date).days),
        )
        for d in ctx.session.scalars(query)
    ]
    aging = Aging(ctx.today, items, {b: ZERO for b in BUCKETS})
    for item in items:
        aging.buckets[bucket_for(item.days_overdue)] += item.open_amount
    return aging


def receivables(ctx: Context, request: Request) -> Answer:
    return _aging_answer(ctx, request, AR, request.first("customer"))


def payables(ctx: Context, request: Request) -> Answer:
    return _aging_answer(ctx, request, AP, request.first("supplier"))


def _aging_answer(ctx: Context, request: Request, ledger: Ledger, party_text: str | None) -> Answer:
    if party_text:
        party = ledger.resolve(ctx.session, ctx.company_id, party_text)
        return _party_answer(ctx, ledger, party, open_items(ctx, ledger, party.id))
    aging = open_items(ctx, ledger)
    as_of = format_date(ctx.today)
    if not aging.items:
        side = "No customer owes us anything" if ledger is AR else "We owe no supplier anything"
        return Answer(f"{side} as of {as_of}: there are no open items.", outcome="empty")
    parties = aging.by_party()
    top = parties[:TOP_PARTIES]
    if ledger is AR:
        subject = f"{len(parties)} customers owe us {ctx.money(aging.total)}"
    else:
        subject = f"we owe {len(parties)} suppliers {ctx.money(aging.total)}"
    bucket_text = ", ".join(f"{b} days {ctx.money(aging.buckets[b])}" for b in BUCKETS)
    top_text = "; ".join(f"{p} {ctx.money(amount)}" for p, amount, _, _ in top[:3])
    text = (
        f"As of {as_of}, {subject} on {len(aging.items)} open {ledger.documents}; "
        f"{ctx.money(aging.overdue)} is overdue. Aging by days past due: {bucket_text}. "
        f"Largest: {top_text}."
    )
    bucket_chart = chart(
        f"{ledger.title} aging",
        "bar",
        [f"{b} days" for b in BUCKETS],
        {"Open amount": [aging.buckets[b] for b in BUCKETS]},
        currency=ctx.currency,
    )
    label = "debtors" if ledger is AR else "creditors"
    top_table = table(
        f"Top {label}",
        [
            Column("party", ledger.party_label),
            Column("open", "Open", "money"),
            Column("overdue", "Overdue", "money"),
            Column("documents", "Documents", "number"),
        ],
        [
            {"party": p, "open": amount, "overdue": overdue, "documents": n}
            for p, amount, overdue, n in top
        ],
        currency=ctx.currency,
    )
    return Answer(text, [bucket_chart, top_table])


def _party_answer(ctx: Context, ledger: Ledger, party: Any, aging: Aging) -> Answer:
    as_of = format_date(ctx.today)
    if not aging.items:
        who = f"{party.name} owes us nothing" if ledger is AR else f"We owe {party.name} nothing"
        return Answer(f"{who} as of {as_of}: no open items.", outcome="empty")
    oldest = max(aging.items, key=lambda i: i.days_overdue)
    if ledger is AR:
        lead = f"{party.name} owes us {ctx.money(aging.total)}"
    else:
        lead = f"We owe {party.name} {ctx.money(aging.total)}"
    text = (
        f"As of {as_of}, {lead} on {len(aging.items)} open "
        f"{'invoice' if ledger is AR else 'bill'}{'s' if len(aging.items) != 1 else ''}"
        f"; {ctx.money(aging.overdue)} is overdue"
    )
    if oldest.days_overdue > 0:
        text += f" (oldest {oldest.number}, {oldest.days_overdue} days past due)"
    text += "."
    if ledger is AR:
        available = party.credit_limit - aging.total
        text += (
            f" Credit limit {ctx.money(party.credit_limit)}, "
            f"{'available' if available >= 0 else 'over by'} {ctx.money(abs(available))}."
        )
    rows = [
        {
            "number": i.number,
            "date": i.doc_date,
            "due": i.due_date,
            "days_overdue": i.days_overdue,
            "total": i.total,
            "open": i.open_amount,
        }
        for i in aging.items
    ]
    columns = [
        Column("number", "Document"),
        Column("date", "Date", "date"),
        Column("due", "Due", "date"),
        Column("days_overdue", "Days overdue", "number"),
        Column("total", "Total", "money"),
        Column("open", "Open", "money"),
    ]
    title = f"Open items: {party.name}"
    return Answer(text, [table(title, columns, rows, currency=ctx.currency)])
