"""Recording customer receipts and supplier payments against open invoices and bills."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from dateutil.relativedelta import relativedelta
from rapidfuzz import fuzz
from sqlalchemy import select

from actions.erp.answers import Column, table
from actions.erp.context import Context, Request
from actions.erp.errors import Ambiguous, ERPError, InvalidInput, NotFound
from actions.erp.formatting import format_date
from actions.erp.models import (
    OPEN_INVOICE_STATUSES,
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
from actions.erp.parsing import find_document_refs, normalise_document_ref
from actions.erp.parsing.text import clean_text
from actions.erp.resolve import normalise_name, resolve_customer, resolve_supplier
from actions.erp.writes.base import Choice, Done, Draft, FillResult, Plan, WriteCommand
from actions.erp.writes.common import (
    PAYABLES,
    RECEIVABLES,
    ZERO,
    JournalLines,
    by_exact_name,
    company_amount,
    decimal_param,
    describe_day,
    gl_accounts,
    join_and,
    join_or,
    journal_state,
    journal_table,
    journal_text,
    parse_day,
    require,
)
from actions.erp.writes.documents import find_document
from actions.erp.writes.ledger import next_number, post_journal_entry

RECEIPT, PAYMENT = PaymentDirection.RECEIPT.value, PaymentDirection.PAYMENT.value
AUTO = "auto"
MAX_AMOUNT = Decimal(10) ** 13
MAX_DOCUMENTS = 50
BANK_ACCEPT_SCORE = 80.0
BANK_MARGIN = 6.0
BANK_PLAUSIBLE_SCORE = 60.0

_FIELD_WORDS = {
    "direction": "direction (a receipt from a customer or a payment to a supplier)",
    "party": "customer or supplier",
    "amount": "amount",
    "bank_account": "bank account",
}
_RECEIPT_WORDS_RE = re.compile(
    r"\b(?:receiv\w*|receipts?|rcpt|collect\w*|incoming|money in|in ?flow|paid us|pays us|"
    r"sent us|deposit\w*|payments? from|from (?:a |the )?customer|customer (?:receipt|payment)|"
    r"they paid)\b"
)
_PAYMENT_WORDS_RE = re.compile(
    r"\b(?:paid|pay|paying|payments? to|payment we made|outgoing|money out|out ?flow|"
    r"to (?:a |the )?supplier|supplier payment|vendor payment|disburs\w*|remit\w*|settle\w*)\b"
)
_AUTO_RE = re.compile(
    r"\b(?:auto\w*|oldest|fifo|split|spread|whatever|default|any|due first|open invoices|"
    r"open bills|earliest)\b"
)
_UNALLOCATED_RE = re.compile(r"\b(?:unallocated|on account|advance|not allocate\w*|leave it)\b")
_BANK_NOISE = frozenset(
    {"bank", "account", "acct", "ac", "a", "c", "the", "our", "my", "from", "into", "in", "to"}
    | {"pay", "paid", "it", "went", "via", "through", "deposited", "use", "using", "was", "main"}
)


# open documents offered as buttons when asking what a payment settles
MAX_OFFERED = 5


@dataclass(frozen=True)
class _Share:
    document: CustomerInvoice | SupplierBill
    amount: Decimal

    @property
    def open_after(self) -> Decimal:
        return self.document.open_amount - self.amount


@dataclass(frozen=True)
class _Evaluated:
    direction: str
    party: Customer | Supplier
    amount: Decimal
    account: BankAccount
    day: date
    mode: str  # "auto" or "named"
    shares: list[_Share]
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
        _unplan(d)
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
                _set_direction(d, _direction_in_words(text) or _direction_word(text))
            except ERPError as problem:
                failed.add("direction")
                result.problems.append(problem)
        elif (requested is None or "direction" not in d) and (
            direction := _direction_in_words(text)
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
            accounts = _accounts(ctx)
            named = [a for a in accounts if _named_in_passing(a, text)]
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
            return [Choice(account.name) for account in _accounts(ctx)]
        if name == "allocation" and draft.get("direction") in (RECEIPT, PAYMENT):
            try:
                party = _party(ctx, draft["direction"], str(draft.get("party", "")))
            except ERPError:
                return [Choice("oldest first")]
            documents = _open_documents(ctx, draft["direction"], party)[:MAX_OFFERED]
            return [Choice("oldest first")] + [
                Choice(document.number, "document_ref") for document in documents
            ]
        return []

    def read(self, ctx: Context, name: str, value: str, draft: Draft) -> Draft:
        if name == "direction":
            return {"direction": _direction_in_words(clean_text(value)) or _direction_word(value)}
        if name == "party":
            return _read_party(ctx, value, draft.get("direction"))
        if name == "amount":
            return {"amount": str(_amount(ctx, value))}
        if name == "bank_account":
            return {"bank_account": _bank_account(ctx, value).id}
        if name == "payment_date":
            return {"payment_date": _payment_day(ctx, value).isoformat()}
        if name == "allocation":
            return _read_allocation(ctx, value, draft)
        raise KeyError(name)

    # --- checking ---------------------------------------------------------------------

    def _evaluate(self, ctx: Context, draft: Draft, *, lock: bool = False) -> _Evaluated:
        require(draft, ("direction", "party", "amount"), _FIELD_WORDS)
        direction = str(draft["direction"])
        if direction not in (RECEIPT, PAYMENT):
            raise InvalidInput(
                "Is this money received from a customer or paid to a supplier?", field="direction"
            )
        party = _party(ctx, direction, str(draft["party"]), field="party")
        amount = decimal_param(draft["amount"], "amount", field="amount")
        if amount <= 0 or amount >= MAX_AMOUNT:
            raise InvalidInput(
                f"The amount must be more than zero and less than {ctx.money(MAX_AMOUNT)}.",
                field="amount",
            )
        account = _bank_account_param(ctx, draft.get("bank_account"))
        day = _payment_day(ctx, str(draft.get("payment_date") or ctx.today.isoformat()))
        allocation = draft.get("allocation", AUTO)
        open_documents = _open_documents(ctx, direction, party, lock=lock)
        if allocation == AUTO or allocation is None:
            shares = _split(ctx, direction, party, amount, open_documents, named=False)
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
            shares = _explicit(ctx, direction, party, amount, allocation, lock=lock)
            watched = open_documents if mode == AUTO else [s.document for s in shares]
            return _Evaluated(direction, party, amount, account, day, mode, shares, watched)
        refs = [str(r) for r in allocation]
        documents = _named_documents(ctx, direction, party, refs, lock=lock)
        shares = _split(ctx, direction, party, amount, documents, named=True)
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
            f"{ev.party.name} ({ev.party.code}), {_into(ev)} {_account_label(ev.account)}, "
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


# --- direction and party ------------------------------------------------------------------


def _direction_in_words(text: str) -> str | None:
    if _RECEIPT_WORDS_RE.search(text):
        return RECEIPT
    if _PAYMENT_WORDS_RE.search(text):
        return PAYMENT
    return None


def _direction_word(value: str) -> str:
    word = clean_text(value).strip(" .!")
    if word in ("in", "receipt", "a receipt", "customer", "from a customer", "money received"):
        return RECEIPT
    if word in ("out", "payment", "a payment", "supplier", "to a supplier", "money paid"):
        return PAYMENT
    raise InvalidInput(
        "Is this money received from a customer (a receipt) or paid to a supplier (a payment)?"
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


def _party_model(direction: str) -> type[Customer] | type[Supplier]:
    return Customer if direction == RECEIPT else Supplier


def _party(
    ctx: Context, direction: str, text: str, *, field: str | None = None
) -> Customer | Supplier:
    model = _party_model(direction)
    exact = by_exact_name(ctx, model, text)
    if exact is not None:
        return exact
    try:
        if direction == RECEIPT:
            return resolve_customer(ctx.session, ctx.company_id, text)
        return resolve_supplier(ctx.session, ctx.company_id, text)
    except ERPError as error:
        error.field = field
        raise


def _read_party(ctx: Context, text: str, direction: str | None) -> Draft:
    if direction in (RECEIPT, PAYMENT):
        return {"party": _party(ctx, direction, text).code}
    # no direction yet: the name says which, if it is only one of the two
    found: dict[str, Customer | Supplier] = {}
    problems: list[ERPError] = []
    for kind in (RECEIPT, PAYMENT):
        try:
            found[kind] = _party(ctx, kind, text)
        except ERPError as problem:
            problems.append(problem)
    if len(found) == 1:
        kind, party = next(iter(found.items()))
        return {"direction": kind, "party": party.code}
    if len(found) == 2:
        raise Ambiguous(
            f"{found[RECEIPT].name} is a customer and {found[PAYMENT].name} a supplier. "
            "Is this a receipt from the customer or a payment to the supplier?",
            [found[RECEIPT].name, found[PAYMENT].name],
        )
    ambiguous = next((p for p in problems if isinstance(p, Ambiguous)), None)
    if ambiguous is not None:
        raise ambiguous
    raise NotFound(
        f"I couldn't find a customer or a supplier called “{text.strip()}” in "
        f"{ctx.actor.company_name}. Please check the name."
    )


# --- amount, bank account, date ---------------------------------------------------------


def _amount(ctx: Context, text: str) -> Decimal:
    return company_amount(ctx, text, "amount")


def _accounts(ctx: Context) -> list[BankAccount]:
    return list(
        ctx.session.scalars(
            select(BankAccount)
            .where(BankAccount.company_id == ctx.company_id)
            .order_by(BankAccount.id)
        )
    )


def _account_label(account: BankAccount) -> str:
    return f"{account.name} ({account.bank_name} {account.account_number_masked})"


def _bank_words(text: str) -> str:
    words = normalise_name(text).split()
    return " ".join(w for w in words if w not in _BANK_NOISE)


def _bank_account(ctx: Context, text: str, *, field: str | None = None) -> BankAccount:
    """The company's bank account by name, bank or the last digits of its number."""
    accounts = _accounts(ctx)
    if not accounts:
        raise ERPError(f"{ctx.actor.company_name} has no bank accounts set up.", field=field)
    labels = [_account_label(a) for a in accounts]
    wanted = " ".join(text.split()).lower()
    for account, label in zip(accounts, labels, strict=True):
        if wanted in (label.lower(), account.name.lower()):
            return account
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3:
        by_digits = [a for a in accounts if a.account_number_masked.endswith(digits[-4:])]
        if len(by_digits) == 1:
            return by_digits[0]
    query = _bank_words(text)
    scored = sorted(
        ((_bank_score(query, account), account) for account in accounts),
        key=lambda pair: -pair[0],
    )
    best, runner_up = scored[0][0], scored[1][0] if len(scored) > 1 else 0.0
    if best >= BANK_ACCEPT_SCORE and best - runner_up >= BANK_MARGIN:
        return scored[0][1]
    plausible = [_account_label(a) for s, a in scored if s >= BANK_PLAUSIBLE_SCORE]
    if len(plausible) > 1:
        raise Ambiguous(
            f"“{text.strip()}” could be {join_or(plausible)}. Which account?",
            plausible,
            field=field,
        )
    raise Ambiguous(
        f"I couldn't find a bank account matching “{text.strip()}”. "
        f"{ctx.actor.company_name}'s accounts are {join_or(labels)}. Which one?",
        labels,
        field=field,
    )


def _named_in_passing(account: BankAccount, text: str) -> bool:
    """ "… into the BRAC account", "… from ****4821": an account named inside a sentence."""
    digits = re.sub(r"\D", "", account.account_number_masked)
    if digits and re.search(rf"(?<!\d){digits}(?!\d)", text):
        return True
    words = f" {normalise_name(text)} "
    bank = _bank_words(account.bank_name)
    if bank and f" {bank} " in words:
        return True
    # "operating" or "payroll" only as the name of an account
    name = _bank_words(account.name)
    return bool(name) and re.search(rf" {re.escape(name)} (?:bank )?(?:account|acct|ac) ", words)


def _bank_score(query: str, account: BankAccount) -> float:
    if not query:
        return 0.0
    keys = [account.name, account.bank_name, f"{account.bank_name} {account.name}"]
    return max(
        max(fuzz.token_set_ratio(query, key), fuzz.WRatio(query, key))
        for key in (_bank_words(k) for k in keys)
        if key
    )


def _bank_account_param(ctx: Context, value: Any) -> BankAccount:
    if value in (None, ""):
        accounts = _accounts(ctx)
        if len(accounts) == 1:
            return accounts[0]
        raise InvalidInput(
            f"Which bank account? {join_or([_account_label(a) for a in accounts])}.",
            field="bank_account",
        )
    if isinstance(value, int) or str(value).isdigit():
        account = ctx.session.get(BankAccount, int(value))
        if account is not None and account.company_id == ctx.company_id:
            return account
        raise InvalidInput("That bank account is not one of this company's.", field="bank_account")
    return _bank_account(ctx, str(value), field="bank_account")


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


# --- documents and allocation --------------------------------------------------------------


def _document_model(direction: str) -> tuple[Any, str, str]:
    if direction == RECEIPT:
        return CustomerInvoice, "INV", "customer_id"
    return SupplierBill, "BILL", "supplier_id"


def _open_documents(
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


def _named_documents(
    ctx: Context, direction: str, party: Customer | Supplier, refs: list[str], *, lock: bool
) -> list[Any]:
    documents: list[Any] = []
    for ref in refs:
        document = _checked_document(ctx, direction, party, ref, lock=lock)
        if all(d.id != document.id for d in documents):
            documents.append(document)
    return documents


def _split(
    ctx: Context,
    direction: str,
    party: Customer | Supplier,
    amount: Decimal,
    documents: list[Any],
    *,
    named: bool,
) -> list[_Share]:
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
            shares.append(_Share(document, part))
            left -= part
    return shares


def _explicit(
    ctx: Context,
    direction: str,
    party: Customer | Supplier,
    amount: Decimal,
    allocation: list[dict[str, Any]],
    *,
    lock: bool,
) -> list[_Share]:
    """Allocations planned earlier, checked again against the documents as they are now."""
    shares: list[_Share] = []
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
        shares.append(_Share(document, part))
    if sum((s.amount for s in shares), ZERO) != amount:
        raise InvalidInput(
            "The amounts applied to the documents don't add up to the payment.",
            field="allocation",
        )
    return shares


def _read_allocation(ctx: Context, text: str, draft: Draft) -> Draft:
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
        party = _party(ctx, direction, str(draft["party"]))
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


def _unplan(draft: Draft) -> None:
    """A draft that comes back from a plan gets its allocation back as the user gave it."""
    allocation = draft.get("allocation")
    mode = draft.pop("allocation_mode", None)
    if isinstance(allocation, list) and allocation and isinstance(allocation[0], dict):
        draft["allocation"] = (
            AUTO if mode == AUTO else [str(item.get("document")) for item in allocation]
        )


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
