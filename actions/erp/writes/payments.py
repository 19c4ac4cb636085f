"""Recording customer receipts and supplier payments against open invoices and bills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from dateutil.relativedelta import relativedelta

from actions.erp.answers import Column, table
from actions.erp.context import Context, Request
from actions.erp.errors import ERPError, InvalidInput
from actions.erp.formatting import format_date
from actions.erp.models import (
    BankAccount,
    Customer,
    CustomerInvoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentDirection,
    Supplier,
    SupplierBill,
)
from actions.erp.parsing.text import clean_text
from actions.erp.writes.allocation import (
    AUTO,
    Share,
    explicit,
    named_documents,
    open_documents_of,
    read_allocation,
    split,
    unplan,
)
from actions.erp.writes.bank_accounts import (
    account_label,
    bank_account,
    bank_account_param,
    bank_accounts,
    named_in_passing,
)
from actions.erp.writes.base import Choice, Done, Draft, FillResult, Plan, WriteCommand
from actions.erp.writes.common import (
    PAYABLES,
    RECEIVABLES,
    ZERO,
    JournalLines,
    company_amount,
    decimal_param,
    describe_day,
    gl_accounts,
    join_and,
    journal_state,
    journal_table,
    journal_text,
    parse_day,
    require,
)
from actions.erp.writes.ledger import next_number, post_journal_entry
from actions.erp.writes.payment_parties import (
    PAYMENT,
    RECEIPT,
    direction_in_words,
    direction_word,
    party_by_name,
    read_party,
)

MAX_AMOUNT = Decimal(10) ** 13
MAX_DOCUMENTS = 50
MAX_OFFERED = 5  # open documents offered as buttons when asking what a payment settles

_FIELD_WORDS = {
    "direction": "direction (a receipt from a customer or a payment to a supplier)",
    "party": "customer or supplier",
    "amount": "amount",
    "bank_account": "bank account",
}


@dataclass(frozen=True)
class _Evaluated:
    direction: str
    party: Customer | Supplier
    amount: Decimal
    account: BankAccount
    day: date
    mode: str  # "auto" or "named"
    shares: list[Share]
    watched: list[CustomerInvoice | SupplierBill]  # documents whose state the plan depends on


class RecordPayment(WriteCommand):
    name: ClassVar[str] = "record_payment"
    permission: ClassVar[str] = "payments.record"
    fields: ClassVar[tuple[str, ...]] = (
        "direction",
        "party",
        "amount",
        "bank_account",
        "payment_date",
        "allocation",
    )
    entity_fields: ClassVar[dict[str, str]] = {
        "customer": "party",
        "supplier": "party",
        "amount": "amount",
        "time_period": "payment_date",
        "document_ref": "allocation",
    }

    def missing(self, draft: Draft) -> list[str]:
        # the date defaults to today and is never asked for; the allocation is
        # filled with "auto" unless what the user said about it was unreadable
        return [name for name in self.fields if name not in draft and name != "payment_date"]

    # --- reading what the user says ---------------------------------------------------

    def fill(
        self, ctx: Context, draft: Draft, request: Request, requested: str | None = None
    ) -> FillResult:
        result = FillResult(dict(draft))
        d = result.draft
        unplan(d)
        text = clean_text(request.text)
        customers, suppliers = request.all("customer"), request.all("supplier")
        given: dict[str, str] = {}
        failed: set[str] = set()
        if customers and suppliers:
            failed.add("party")
            result.problems.append(
                InvalidInput(
                    f"You named a customer ({customers[0]}) and a supplier ({suppliers[0]}). "
                    "Is this a receipt from the customer or a payment to the supplier?"
                )
            )
        elif customers or suppliers:
            # the kind of name says which way the money goes
            _set_direction(d, RECEIPT if customers else PAYMENT)
            given["party"] = (customers or suppliers)[0]
        elif requested == "direction" and text:
            try:
                _set_direction(d, direction_in_words(text) or direction_word(text))
            except ERPError as problem:
                failed.add("direction")
                result.problems.append(problem)
        elif (requested is None or "direction" not in d) and (
            direction := direction_in_words(text)
        ):
            # words only count in a message of its own, not in the answer to another question
            _set_direction(d, direction)
        if amount := request.first("amount"):
            given["amount"] = amount
        if day := request.first("time_period"):
            given["payment_date"] = day
        if refs := request.all("document_ref"):
            given["allocation"] = ", ".join(refs)
        asked = requested not in given and requested not in (None, "direction")
        if asked and request.text.strip():
            given[str(requested)] = request.text.strip()
        for name, value in given.items():
            try:
                d.update(self.read(ctx, name, value, d))
            except ERPError as problem:
                d.pop(name, None)
                failed.add(name)
                result.problems.append(problem)
        # defaults: nothing to ask where the answer is obvious
        if "bank_account" not in d and "bank_account" not in failed:
            accounts = bank_accounts(ctx)
            named = [a for a in accounts if named_in_passing(a, text)]
            if len(accounts) == 1 or len(named) == 1:
                d["bank_account"] = (named or accounts)[0].id
        if "allocation" not in d and "allocation" not in failed:
            d["allocation"] = AUTO
        if "payment_date" not in d and "payment_date" not in failed:
            d["payment_date"] = ctx.today.isoformat()
        return result

    def choices(self, ctx: Context, name: str, draft: Draft) -> list[Choice]:
        if name == "direction":
            return [Choice("customer receipt"), Choice("supplier payment")]
        if name == "bank_account":
            return [Choice(account.name) for account in bank_accounts(ctx)]
        if name == "allocation" and draft.get("direction") in (RECEIPT, PAYMENT):
            try:
                party = party_by_name(ctx, draft["direction"], str(draft.get("party", "")))
            except ERPError:
                return [Choice("oldest first")]
            documents = open_documents_of(ctx, draft["direction"], party)[:MAX_OFFERED]
            return [Choice("oldest first")] + [
                Choice(document.number, "document_ref") for document in documents
            ]
        return []

    def read(self, ctx: Context, name: str, value: str, draft: Draft) -> Draft:
        if name == "direction":
            return {"direction": direction_in_words(clean_text(value)) or direction_word(value)}
        if name == "party":
            return read_party(ctx, value, draft.get("direction"))
        if name == "amount":
            return {"amount": str(_amount(ctx, value))}
        if name == "bank_account":
            return {"bank_account": bank_account(ctx, value).id}
        if name == "payment_date":
            return {"payment_date": _payment_day(ctx, value).isoformat()}
        if name == "allocation":
            return read_allocation(ctx, value, draft)
        raise KeyError(name)

    # --- checking ---------------------------------------------------------------------

    def _evaluate(self, ctx: Context, draft: Draft, *, lock: bool = False) -> _Evaluated:
        require(draft, ("direction", "party", "amount"), _FIELD_WORDS)
        direction = str(draft["direction"])
        if direction not in (RECEIPT, PAYMENT):
            raise InvalidInput(
                "Is this money received from a customer or paid to a supplier?", field="direction"
            )
        party = party_by_name(ctx, direction, str(draft["party"]), field="party")
        amount = decimal_param(draft["amount"], "amount", field="amount")
        if amount <= 0 or amount >= MAX_AMOUNT:
            raise InvalidInput(
                f"The amount must be more than zero and less than {ctx.money(MAX_AMOUNT)}.",
                field="amount",
            )
        account = bank_account_param(ctx, draft.get("bank_account"))
        day = _payment_day(ctx, str(draft.get("payment_date") or ctx.today.isoformat()))
        allocation = draft.get("allocation", AUTO)
        open_documents = open_documents_of(ctx, direction, party, lock=lock)
        if allocation == AUTO or allocation is None:
            shares = split(ctx, direction, party, amount, open_documents, named=False)
            return _Evaluated(direction, party, amount, account, day, AUTO, shares, open_documents)
        if not isinstance(allocation, list) or not allocation:
            raise InvalidInput(
                "I couldn't tell which documents to apply this to.", field="allocation"
            )
        if len(allocation) > MAX_DOCUMENTS:
            raise InvalidInput(
                f"Please name at most {MAX_DOCUMENTS} documents, or say “oldest first”.",
                field="allocation",
            )
        if all(isinstance(item, dict) for item in allocation):
            mode = str(draft.get("allocation_mode") or "named")
            shares = explicit(ctx, direction, party, amount, allocation, lock=lock)
            watched = open_documents if mode == AUTO else [s.document for s in shares]
            return _Evaluated(direction, party, amount, account, day, mode, shares, watched)
        refs = [str(r) for r in allocation]
        documents = named_documents(ctx, direction, party, refs, lock=lock)
        shares = split(ctx, direction, party, amount, documents, named=True)
        watched = [s.document for s in shares]
        return _Evaluated(direction, party, amount, account, day, "named", shares, watched)

    def plan(self, ctx: Context, draft: Draft) -> Plan:
        ev = self._evaluate(ctx, draft)
        codes, lines = _journal(ctx, ev)
        accounts = gl_accounts(ctx, codes)
        noun = "receipt" if ev.direction == RECEIPT else "payment"
        towards = "from" if ev.direction == RECEIPT else "to"
        how = "oldest due first " if ev.mode == AUTO else ""
        shares = "; ".join(
            f"{s.document.number} (due {format_date(s.document.due_date)}): open "
            f"{ctx.money(s.document.open_amount)} → {ctx.money(s.open_after)}"
            + (", paid in full" if s.open_after == 0 else "")
            for s in ev.shares
        )
        summary = (
            f"Please confirm: record a {noun} of {ctx.money(ev.amount)} {towards} "
            f"{ev.party.name} ({ev.party.code}), {_into(ev)} {account_label(ev.account)}, "
            f"dated {describe_day(ev.day, ctx.today)}, by bank transfer. It is applied {how}"
            f"to {shares}. Journal entry: {journal_text(ctx, accounts, lines)}."
        )
        params: Draft = {
            "direction": ev.direction,
            "party": ev.party.code,
            "amount": str(ev.amount),
            "bank_account": ev.account.id,
            "payment_date": ev.day.isoformat(),
            "allocation": [
                {"document": s.document.number, "amount": str(s.amount)} for s in ev.shares
            ],
            "allocation_mode": ev.mode,
        }
        return Plan(
            params=params,
            summary=summary,
            state={
                "party": [ev.party.id, ev.party.is_active],
                "bank": [ev.account.id, ev.account.gl_account_id],
                "documents": [
                    [d.number, str(d.total), str(d.amount_paid), d.status.value, str(d.due_date)]
                    for d in ev.watched
                ],
                "journal": journal_state(lines),
            },
            payloads=[
                _shares_table(ctx, ev, f"How the {noun} is applied"),
                journal_table(ctx, f"Journal entry for the {noun}", accounts, lines),
            ],
        )

    def execute(self, ctx: Context, params: Draft) -> Done:
        ev = self._evaluate(ctx, params, lock=True)
        prefix = "RCPT" if ev.direction == RECEIPT else "PAY"
        number = next_number(ctx.session, ctx.company_id, prefix, ev.day)
        codes, lines = _journal(ctx, ev)
        noun = "Receipt" if ev.direction == RECEIPT else "Payment"
        towards = "from" if ev.direction == RECEIPT else "to"
        entry = post_journal_entry(
            ctx.session,
            ctx.company_id,
            ev.day,
            f"{noun} {number} {towards} {ev.party.name}",
            lines,
            number,
        )
        payment = Payment(
            company_id=ctx.company_id,
            number=number,
            direction=PaymentDirection(ev.direction),
            customer_id=ev.party.id if ev.direction == RECEIPT else None,
            supplier_id=ev.party.id if ev.direction == PAYMENT else None,
            bank_account_id=ev.account.id,
            payment_date=ev.day,
            amount=ev.amount,
            method="bank_transfer",
            reference="",
            journal_entry_id=entry.id,
        )
        before: dict[str, Any] = {}
        after: dict[str, Any] = {"payment": number, "journal_entry": entry.number}
        for share in ev.shares:
            document = share.document
            before[document.number] = _document_state(document)
            payment.allocations.append(
                PaymentAllocation(
                    invoice_id=document.id if ev.direction == RECEIPT else None,
                    bill_id=document.id if ev.direction == PAYMENT else None,
                    amount=share.amount,
                )
            )
            document.amount_paid = document.amount_paid + share.amount
            document.status = (
                InvoiceStatus.PAID
                if document.amount_paid == document.total
                else InvoiceStatus.PARTIALLY_PAID
            )
            after[document.number] = _document_state(document)
        ctx.session.add(payment)
        ctx.session.flush()
        settled = join_and(
            [
                f"{s.document.number} ("
                + (
                    "paid in full"
                    if s.document.status == InvoiceStatus.PAID
                    else f"{ctx.money(s.document.open_amount)} still open"
                )
                + ")"
                for s in ev.shares
            ]
        )
        accounts = gl_accounts(ctx, codes)
        return Done(
            text=(
                f"Done: {noun.lower()} {number} of {ctx.money(ev.amount)} {towards} "
                f"{ev.party.name} is recorded {_into(ev)} {ev.account.name}, dated "
                f"{format_date(ev.day)}, applied to {settled}. Journal entry {entry.number}."
            ),
            entity_type="payment",
            entity_ref=number,
            before=before,
            after=after,
            payloads=[
                journal_table(ctx, f"Journal entry {entry.number}", accounts, lines),
            ],
        )


def _set_direction(draft: Draft, direction: str) -> None:
    """Switching between receipt and payment forgets the party and named documents."""
    if draft.get("direction") == direction:
        return
    if "direction" in draft:
        draft.pop("party", None)
        if isinstance(draft.get("allocation"), list):
            draft["allocation"] = AUTO
    draft["direction"] = direction


def _amount(ctx: Context, text: str) -> Decimal:
    return company_amount(ctx, text, "amount")


def _payment_day(ctx: Context, text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = parse_day(ctx, text, future=False)
    if day > ctx.today:
        raise InvalidInput(
            f"The payment date can't be in the future ({format_date(day)}). Record the payment "
            "on the day the money moves; today is the latest date I can use."
        )
    if day < ctx.today - relativedelta(years=1):
        raise InvalidInput(
            f"{format_date(day)} is more than a year ago. Payments that old have to be entered "
            "in the ERP by your accountant."
        )
    return day


def _into(ev: _Evaluated) -> str:
    return "into" if ev.direction == RECEIPT else "from"


def _journal(ctx: Context, ev: _Evaluated) -> tuple[list[str], JournalLines]:
    bank = ev.account.gl_account.code
    if ev.direction == RECEIPT:
        lines: JournalLines = [(bank, ev.amount, ZERO), (RECEIVABLES, ZERO, ev.amount)]
        return [bank, RECEIVABLES], lines
    return [PAYABLES, bank], [(PAYABLES, ev.amount, ZERO), (bank, ZERO, ev.amount)]


def _document_state(document: Any) -> dict[str, str]:
    return {"amount_paid": str(document.amount_paid), "status": document.status.value}


def _shares_table(ctx: Context, ev: _Evaluated, title: str) -> dict[str, Any]:
    columns = [
        Column("document", "Document"),
        Column("due_date", "Due", "date"),
        Column("open_before", "Open before", "money"),
        Column("applied", "Applied", "money"),
        Column("open_after", "Open after", "money"),
    ]
    rows = [
        {
            "document": s.document.number,
            "due_date": s.document.due_date,
            "open_before": s.document.open_amount,
            "applied": s.amount,
            "open_after": s.open_after,
        }
        for s in ev.shares
    ]
    return table(title, columns, rows, currency=ctx.currency)
