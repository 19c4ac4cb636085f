"""Recording receipts and payments through the confirmed-write protocol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from actions.erp.db import get_engine
from actions.erp.formatting import format_money
from actions.erp.models import JournalEntry, Payment, PaymentDirection
from actions.erp.service import ERPService
from tests.conftest import AS_OF
from tests.writes_support import (
    Dialogue,
    audits,
    balance,
    company_id,
    execute,
    session,
    snapshot,
    sql,
)

SQLITE_ONLY = pytest.mark.parametrize("writable_url", ["sqlite"], indirect=True)
COMMAND = "record_payment"
USER = "padma.finance"


@dataclass(frozen=True)
class Document:
    number: str
    party_code: str
    party_name: str
    total: Decimal
    paid: Decimal
    status: str

    @property
    def open(self) -> Decimal:
        return self.total - self.paid


def open_documents(url: str, kind: str, company: str = "padma") -> dict[str, list[Document]]:
    """Open invoices ("receipt") or bills ("payment") per party code, oldest due first."""
    table, party = (
        ("customer_invoices", "customers") if kind == "receipt" else ("supplier_bills", "suppliers")
    )
    column = "customer_id" if kind == "receipt" else "supplier_id"
    statement = f"""
        SELECT d.number, p.code, p.name, d.total, d.amount_paid, d.status
        FROM {table} d JOIN {party} p ON p.id = d.{column}
        JOIN companies c ON c.id = d.company_id
        WHERE c.code = :company AND d.status IN ('posted', 'partially_paid')
        ORDER BY d.due_date, d.id
    """
    grouped: dict[str, list[Document]] = {}
    with get_engine(url).connect() as connection:
        for number, code, name, total, paid, status in connection.execute(
            text(statement), {"company": company}
        ):
            grouped.setdefault(code, []).append(
                Document(number, code, name, Decimal(total) / 100, Decimal(paid) / 100, status)
            )
    return grouped


IN_COMPANY = "company_id = (SELECT id FROM companies WHERE code = :company)"


def document_row(url: str, kind: str, number: str, company: str = "padma") -> tuple[Decimal, str]:
    table = "customer_invoices" if kind == "receipt" else "supplier_bills"
    with get_engine(url).connect() as connection:
        paid, status = connection.execute(
            text(f"SELECT amount_paid, status FROM {table} WHERE number = :n AND {IN_COMPANY}"),
            {"n": number, "company": company},
        ).one()
    return Decimal(paid) / 100, status


def test_receipt_is_applied_oldest_first_and_posted(writer: ERPService, writable_url: str) -> None:
    docs = max(open_documents(writable_url, "receipt").values(), key=len)
    first, second = docs[0], docs[1]
    amount = first.open + (second.open / 2).quantize(Decimal("0.01"))
    dialogue = Dialogue(writer, COMMAND, USER)
    reply = dialogue.start(
        f"received {amount} from {first.party_name}",
        customer=first.party_name,
        amount=str(amount),
    )
    assert reply.text == "" and reply.missing == ["bank_account"]
    assert dialogue.draft["direction"] == "receipt"
    assert dialogue.draft["payment_date"] == AS_OF.isoformat()
    assert dialogue.draft["allocation"] == "auto"
    assert dialogue.say("the Dutch-Bangla account", "bank_account").missing == []

    proposal = dialogue.propose()
    assert proposal.outcome == "confirm", proposal.text
    for fragment in (
        f"receipt of {format_money(amount, 'BDT')} from {first.party_name}",
        "Operating account (Dutch-Bangla Bank ****4821)",
        "dated today, 22 Nov 2026",
        f"{first.number} (due",
        f"open {format_money(first.open, 'BDT')} → BDT 0.00, paid in full",
        f"open {format_money(second.open, 'BDT')} → "
        f"{format_money(second.open - (amount - first.open), 'BDT')}",
        "debit 1010 Bank - Dutch-Bangla Bank operating",
        "credit 1100 Accounts receivable",
    ):
        assert fragment in proposal.text, fragment
    assert proposal.draft["allocation"] == [
        {"document": first.number, "amount": str(first.open)},
        {"document": second.number, "amount": str(amount - first.open)},
    ]
    before = snapshot(writable_url)
    done = dialogue.confirm()
    assert done.outcome == "done", done.text

    [audit] = audits(writable_url, COMMAND)
    assert audit.source == "assistant" and audit.entity_ref.startswith("RCPT-2026-")
    assert Decimal(audit.details["before"][first.number]["amount_paid"]) == first.paid
    assert audit.details["after"][first.number]["status"] == "paid"
    with session(writable_url) as s:
        payment = s.scalar(
            select(Payment).where(
                Payment.number == audit.entity_ref,
                Payment.company_id == company_id(writable_url, "padma"),
            )
        )
        assert payment is not None
        assert payment.direction == PaymentDirection.RECEIPT
        assert payment.customer is not None and payment.customer.code == first.party_code
        assert (payment.amount, payment.payment_date, payment.method) == (
            amount,
            AS_OF,
            "bank_transfer",
        )
        assert payment.bank_account.account_number_masked == "****4821"
        assert sorted(a.amount for a in payment.allocations) == sorted(
            [first.open, amount - first.open]
        )
        entry = s.get(JournalEntry, payment.journal_entry_id)
        assert entry is not None and entry.entry_date == AS_OF
        assert entry.source_ref == payment.number
        sides = {(ln.debit, ln.credit) for ln in entry.lines}
        entry_id = entry.id
    assert sides == {(amount, Decimal("0.00")), (Decimal("0.00"), amount)}
    assert balance(writable_url, entry_id) == 0
    assert document_row(writable_url, "receipt", first.number) == (first.total, "paid")
    assert document_row(writable_url, "receipt", second.number) == (
        second.paid + amount - first.open,
        "partially_paid",
    )
    after = snapshot(writable_url)
    assert after["payments"] == before["payments"] + 1
    assert after["payment_allocations"] == before["payment_allocations"] + 2
    assert after["journal_entries"] == before["journal_entries"] + 1


def test_supplier_payment_to_named_bills(writer: ERPService, writable_url: str) -> None:
    user = "northwind.finance"
    bills = max(open_documents(writable_url, "payment", "northwind").values(), key=len)
    named = bills[-1]  # not the oldest: naming it overrides oldest-first
    amount = named.open
    dialogue = Dialogue(writer, COMMAND, user)
    reply = dialogue.start(
        f"we paid {named.party_name} {amount} for {named.number} from the payroll account",
        supplier=named.party_name,
        amount=f"${amount}",
        document_ref=named.number,
    )
    assert reply.text == "" and dialogue.draft["direction"] == "payment"
    assert dialogue.draft["allocation"] == [named.number]
    dialogue.say("payroll account", "bank_account")
    dialogue.say("it was yesterday", time_period="yesterday")
    proposal = dialogue.propose()
    assert proposal.outcome == "confirm", proposal.text
    assert "debit 2000 Accounts payable" in proposal.text
    assert "credit 1020 Bank - Lone Star Commerce Bank payroll" in proposal.text
    assert "dated yesterday, 21 Nov 2026" in proposal.text
    done = dialogue.confirm()
    assert done.outcome == "done", done.text
    [audit] = audits(writable_url, COMMAND)
    assert audit.entity_ref.startswith("PAY-2026-")
    with session(writable_url) as s:
        payment = s.scalar(
            select(Payment).where(
                Payment.number == audit.entity_ref,
                Payment.company_id == company_id(writable_url, "northwind"),
            )
        )
        assert payment is not None and payment.direction == PaymentDirection.PAYMENT
        assert payment.supplier is not None and payment.supplier.code == named.party_code
        assert payment.customer_id is None and payment.payment_date == date(2026, 11, 21)
        [allocation] = payment.allocations
        assert allocation.bill_id is not None and allocation.amount == amount
        entry_id = payment.journal_entry_id
    assert entry_id is not None and balance(writable_url, entry_id) == 0
    assert document_row(writable_url, "payment", named.number, "northwind") == (
        named.total,
        "paid",
    )
    for other in bills[:-1]:
        assert document_row(writable_url, "payment", other.number, "northwind") == (
            other.paid,
            other.status,
        )


def test_over_allocation_and_a_stale_summary_change_nothing(
    writer: ERPService, writable_url: str
) -> None:
    docs = max(open_documents(writable_url, "receipt").values(), key=len)
    total_open = sum((d.open for d in docs), Decimal("0"))
    dialogue = Dialogue(writer, COMMAND, USER)
    dialogue.start(
        "receipt",
        customer=docs[0].party_code,
        amount=str(total_open + 1),
        document_ref=[],
    )
    dialogue.say("4821", "bank_account")
    before = snapshot(writable_url)
    over = dialogue.propose()
    assert over.outcome == "collect" and over.missing == ["amount"]
    assert f"still open on {docs[0].party_name}'s {len(docs)} open invoices" in over.text
    assert f"up to {format_money(total_open, 'BDT')}" in over.text
    # naming one invoice: only its open amount counts
    dialogue.say(f"against {docs[0].number}", "allocation", document_ref=docs[0].number)
    dialogue.say(str(docs[0].open + 1), "amount", amount=str(docs[0].open + 1))
    named = dialogue.propose()
    assert named.outcome == "collect" and named.missing == ["amount"]
    assert f"still open on {docs[0].number}" in named.text
    assert snapshot(writable_url) == before

    dialogue.say(str(docs[0].open), "amount", amount=str(docs[0].open))
    assert dialogue.propose().outcome == "confirm"
    # the invoice is partly paid elsewhere before the user confirms
    execute(
        writable_url,
        f"UPDATE customer_invoices SET amount_paid = amount_paid + 100 "
        f"WHERE number = :n AND {IN_COMPANY}",
        n=docs[0].number,
        company="padma",
    )
    before = snapshot(writable_url)
    failed = dialogue.confirm()
    assert failed.outcome == "failed" and "changed" in failed.text
    assert snapshot(writable_url) == before
    assert audits(writable_url, COMMAND) == []


# --- reading the fields (SQLite is enough) ------------------------------------------------


def test_direction_party_and_documents_are_understood(sqlite_url: str) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)
    receipts = open_documents(sqlite_url, "receipt")
    invoice = next(iter(receipts.values()))[0]
    cases = [
        ("they paid us 12,500", {"amount": "12,500"}, "receipt"),
        ("we paid them", {}, "payment"),
        ("money received today", {}, "receipt"),
        ("record a payment to a supplier", {}, "payment"),
        ("record a payment", {}, None),
        ("Rahman Traders paid 12,500", {"customer": "Rahman Traders"}, "receipt"),
        ("pay Tongi Packaging", {"supplier": "Tongi Packaging"}, "payment"),
    ]
    for message, entities, direction in cases:
        dialogue = Dialogue(service, COMMAND, USER)
        dialogue.start(message, **entities)
        assert dialogue.draft.get("direction") == direction, message
    # a bank account named inside the sentence is taken, a vague one is not
    dialogue = Dialogue(service, COMMAND, USER)
    dialogue.start("received 50k from Rahman Traders into the BRAC account", amount="50k")
    assert dialogue.reply and "bank_account" not in dialogue.reply.missing
    vague = Dialogue(service, COMMAND, USER).start("pay the payroll")
    assert "bank_account" in vague.missing
    # asked for the direction, a plain answer
    dialogue = Dialogue(service, COMMAND, USER)
    dialogue.start("record a payment of 5000", amount="5000")
    assert dialogue.reply and dialogue.reply.missing[0] == "direction"
    assert dialogue.say("supplier payment", "direction").missing[0] == "party"
    reply = dialogue.say("sideways", "direction")
    assert "received from a customer" in reply.text
    # an invoice number alone says who paid
    dialogue = Dialogue(service, COMMAND, USER)
    dialogue.start(f"received 100 against {invoice.number}", document_ref=invoice.number)
    assert dialogue.draft["direction"] == "receipt"
    assert dialogue.draft["party"] == invoice.party_code
    assert dialogue.draft["allocation"] == [invoice.number]
    # the party for a direction asked as text; another customer's invoice is refused
    other = next(docs for code, docs in receipts.items() if code != invoice.party_code)[0]
    dialogue = Dialogue(service, COMMAND, USER)
    dialogue.start("receipt", customer=invoice.party_code)
    reply = dialogue.say(other.number, "allocation")
    assert f"belongs to {other.party_name}, not to {invoice.party_name}" in reply.text
    assert "allocation" in reply.missing
    reply = dialogue.say("BILL-2026-00115", "allocation")
    assert "a receipt is applied to customer invoices" in reply.text
    reply = dialogue.say("leave it unallocated", "allocation")
    assert "on-account" in reply.text and "allocation" in reply.missing
    assert dialogue.say("oldest first", "allocation").missing == ["amount", "bank_account"]
    assert dialogue.draft["allocation"] == "auto"
    paid = sql(
        sqlite_url,
        "SELECT number FROM customer_invoices WHERE status = 'paid' AND customer_id = "
        "(SELECT id FROM customers WHERE code = :c AND company_id = "
        "(SELECT id FROM companies WHERE code = 'padma'))",
        c=invoice.party_code,
    )
    if paid:
        assert "already paid in full" in dialogue.say(paid, "allocation").text
    # a Northwind user naming a Padma invoice or customer finds nothing (numbers
    # repeat across companies, so take one Northwind has not reached)
    used = "SELECT COUNT(*) FROM customer_invoices WHERE number = :n"
    padma_only = next(
        d for docs in receipts.values() for d in docs if sql(sqlite_url, used, n=d.number) == 1
    )
    stranger = Dialogue(service, COMMAND, "northwind.finance")
    reply = stranger.start("received", document_ref=padma_only.number)
    assert f"can't find invoice {padma_only.number} in Northwind" in reply.text
    reply = stranger.say("receipt", customer=invoice.party_name)
    assert "couldn't find a customer" in reply.text
    assert invoice.party_name not in reply.candidates


def test_amount_bank_account_and_date_are_checked(sqlite_url: str) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)

    def field(field: str, typed: str, user: str = USER, **entities: str) -> tuple[object, str]:
        dialogue = Dialogue(service, COMMAND, user)
        dialogue.draft = {"direction": "receipt"}
        reply = dialogue.say(typed, field, **entities)
        return dialogue.draft.get(field), reply.text

    assert field("amount", "2 lakh") == ("200000.00", "")
    for typed, message in (
        ("0", "more than zero"),
        ("-500", "negative"),
        ("$500", "has to be in BDT"),
        ("a lot", "couldn't read"),
        ("100000000000000", "far larger"),
    ):
        value, reply = field("amount", typed)
        assert value is None and message in reply, (typed, reply)
    assert field("amount", "Tk 500", "northwind.finance")[1].startswith("Northwind")

    accounts = dict(
        get_engine(sqlite_url)
        .connect()
        .execute(
            text(
                "SELECT account_number_masked, b.id FROM bank_accounts b "
                "JOIN companies c ON c.id = b.company_id WHERE c.code = 'padma'"
            )
        )
        .all()
    )
    for typed, masked in (
        ("4821", "****4821"),
        ("Dutch-Bangla", "****4821"),
        ("main operating account", "****4821"),
        ("BRAC Bank", "****7305"),
        ("the payroll account", "****7305"),
        ("Operating account (Dutch-Bangla Bank ****4821)", "****4821"),
    ):
        assert field("bank_account", typed) == (accounts[masked], ""), typed
    value, reply = field("bank_account", "the City Bank current account")
    assert value is None and "Operating account (Dutch-Bangla Bank ****4821)" in reply

    assert field("payment_date", "yesterday", time_period="yesterday")[0] == "2026-11-21"
    assert field("payment_date", "20 nov", time_period="20 nov")[0] == "2026-11-20"
    for typed, message in (
        ("tomorrow", "can't be in the future"),
        ("1 nov 2025", "more than a year ago"),
        ("last week", "not a day"),
        ("the 45th", "couldn't understand"),
    ):
        value, reply = field("payment_date", typed, time_period=typed)
        assert value is None and message in reply, (typed, reply)


@SQLITE_ONLY
def test_a_single_bank_account_is_not_asked_for(writer: ERPService, writable_url: str) -> None:
    # give Northwind's payroll account to Padma, leaving Northwind one account
    execute(
        writable_url,
        "UPDATE bank_accounts SET company_id = (SELECT id FROM companies WHERE code = 'padma') "
        "WHERE account_number_masked = '****9046'",
    )
    docs = max(open_documents(writable_url, "receipt", "northwind").values(), key=len)
    dialogue = Dialogue(writer, COMMAND, "northwind.finance")
    reply = dialogue.start("receipt", customer=docs[0].party_name, amount=f"${docs[0].open}")
    assert reply.missing == [] and "bank_account" in dialogue.draft
    proposal = dialogue.propose()
    assert proposal.outcome == "confirm" and "First Garden State Bank ****2317" in proposal.text
    # a correction after the summary starts from the user's own choices again
    dialogue.draft = proposal.draft
    corrected = dialogue.say("make it $10", amount="$10")
    assert corrected.text == "" and dialogue.draft["allocation"] == "auto"
    assert "allocation_mode" not in dialogue.draft
    assert dialogue.propose().outcome == "confirm"
    done = dialogue.confirm()
    assert done.outcome == "done", done.text
    paid, _ = document_row(writable_url, "receipt", docs[0].number, "northwind")
    assert paid == docs[0].paid + Decimal(10)


@pytest.mark.parametrize("user", ["padma.sales", "padma.warehouse", "padma.approver"])
def test_roles_without_payments_record_are_refused(sqlite_url: str, user: str) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)
    reply = Dialogue(service, COMMAND, user).start("received 5000", amount="5000")
    assert reply.outcome == "refused" and "record payments" in reply.text
