"""Document numbers and journal entries, shared by every write that posts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.erp.models import (
    CustomerInvoice,
    DocumentSequence,
    GLAccount,
    JournalEntry,
    JournalLine,
    Payment,
    PurchaseOrder,
    SalesOrder,
    SupplierBill,
)

ZERO = Decimal("0.00")

# prefix → (table whose numbers use it, digits after the year)
_NUMBERED = {
    "SO": (SalesOrder, 5),
    "INV": (CustomerInvoice, 5),
    "BILL": (SupplierBill, 5),
    "RCPT": (Payment, 5),
    "PAY": (Payment, 5),
    "JE": (JournalEntry, 6),
    "PO": (PurchaseOrder, 4),
}


def next_number(session: Session, company_id: int, prefix: str, day: date) -> str:
    """The next free number such as SO-2026-00042, unique per company.

    The sequence row is locked until the transaction ends; a missing row is
    started from the highest number already used (seeded data has none).
    """
    model, width = _NUMBERED[prefix]
    key = {"company_id": company_id, "prefix": prefix, "year": day.year}
    sequence = _locked_sequence(session, key)
    if sequence is None:
        sequence = _start_sequence(session, key, model)
    sequence.last_value += 1
    session.flush()
    return f"{prefix}-{day.year}-{sequence.last_value:0{width}d}"


def _locked_sequence(session: Session, key: dict) -> DocumentSequence | None:
    query = select(DocumentSequence).filter_by(**key).with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def _start_sequence(session: Session, key: dict, model: type) -> DocumentSequence:
    pattern = f"{key['prefix']}-{key['year']}-"
    numbers = session.scalars(
        select(model.number).where(
            model.company_id == key["company_id"], model.number.like(pattern + "%")
        )
    )
    used = [int(m.group(1)) for n in numbers if (m := re.search(r"-(\d+)$", n))]
    try:
        with session.begin_nested():
            session.add(DocumentSequence(**key, last_value=max(used, default=0)))
    except IntegrityError:
        pass  # another writer started it first; take its row
    sequence = _locked_sequence(session, key)
    assert sequence is not None
    return sequence


def post_journal_entry(
    session: Session,
    company_id: int,
    day: date,
    description: str,
    lines: Sequence[tuple[str, Decimal, Decimal]],
    source_ref: str,
) -> JournalEntry:
    """A balanced entry from (account code, debit, credit) lines; zero lines are dropped."""
    lines = [(code, dr, cr) for code, dr, cr in lines if dr or cr]
    debit = sum((dr for _, dr, _ in lines), ZERO)
    credit = sum((cr for _, _, cr in lines), ZERO)
    if not lines or debit != credit:
        raise ValueError(f"unbalanced journal entry for {source_ref}: {debit} != {credit}")
    codes = {code for code, _, _ in lines}
    accounts = {
        account.code: account
        for account in session.scalars(
            select(GLAccount).where(GLAccount.company_id == company_id, GLAccount.code.in_(codes))
        )
    }
    if missing := codes - accounts.keys():
        raise ValueError(f"accounts {sorted(missing)} do not exist in company {company_id}")
    entry = JournalEntry(
        company_id=company_id,
        number=next_number(session, company_id, "JE", day),
        entry_date=day,
        description=description[:300],
        source_ref=source_ref,
        lines=[
            JournalLine(account_id=accounts[code].id, debit=dr, credit=cr) for code, dr, cr in lines
        ],
    )
    session.add(entry)
    session.flush()
    return entry


def entry_balance(session: Session, entry_id: int) -> Decimal:
    """Debits minus credits of one entry: zero for every entry the assistant posts."""
    total = session.scalar(
        select(func.sum(JournalLine.debit - JournalLine.credit)).where(
            JournalLine.entry_id == entry_id
        )
    )
    return total if total is not None else ZERO
