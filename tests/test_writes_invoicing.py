"""Posting draft customer invoices through the confirmed-write protocol."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from actions.erp.formatting import format_money
from actions.erp.models import (
    CustomerInvoice,
    InvoiceStatus,
    JournalEntry,
    SalesOrder,
    SalesOrderStatus,
)
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
COMMAND = "post_invoice"
IN_PADMA = "company_id = (SELECT id FROM companies WHERE code = 'padma')"
USER = "padma.finance"


def invoice_number(url: str, company: str, status: str) -> str:
    return str(
        sql(
            url,
            "SELECT i.number FROM customer_invoices i JOIN companies c ON c.id = i.company_id "
            "WHERE c.code = :company AND i.status = :status ORDER BY i.id",
            company=company,
            status=status,
        )
    )


def account_balance(url: str, company: str, code: str) -> Decimal:
    cents = sql(
        url,
        "SELECT COALESCE(SUM(l.debit - l.credit), 0) FROM journal_lines l "
        "JOIN gl_accounts a ON a.id = l.account_id JOIN companies c ON c.id = a.company_id "
        "WHERE c.code = :company AND a.code = :code",
        company=company,
        code=code,
    )
    return Decimal(int(cents)) / 100


def test_draft_invoice_is_posted_with_a_balanced_entry(
    writer: ERPService, writable_url: str
) -> None:
    number = invoice_number(writable_url, "padma", "draft")
    with session(writable_url) as s:
        invoice = s.scalar(
            select(CustomerInvoice).where(
                CustomerInvoice.number == number,
                CustomerInvoice.company_id == company_id(writable_url, "padma"),
            )
        )
        assert invoice is not None and invoice.journal_entry_id is None
        total, net, tax = invoice.total, invoice.subtotal, invoice.tax_total
        order_id = invoice.sales_order_id
    receivables = account_balance(writable_url, "padma", "1100")
    revenue = account_balance(writable_url, "padma", "4000")

    dialogue = Dialogue(writer, COMMAND, USER)
    reply = dialogue.start(f"post invoice {number.lower()}", document_ref=number.lower())
    assert reply.missing == [] and dialogue.draft == {"document": number}
    proposal = dialogue.propose()
    assert proposal.outcome == "confirm", proposal.text
    for fragment in (
        number,
        format_money(total, "BDT"),
        "dated today, 22 Nov 2026",
        "debit 1100 Accounts receivable",
        "credit 4000 Sales revenue",
        "credit 2100 VAT payable",
    ):
        assert fragment in proposal.text, fragment
    assert [row["account"] for row in proposal.payloads[0]["rows"]] == [
        "1100 Accounts receivable",
        "4000 Sales revenue",
        "2100 VAT payable",
    ]
    done = dialogue.confirm()
    assert done.outcome == "done", done.text

    with session(writable_url) as s:
        invoice = s.scalar(
            select(CustomerInvoice).where(
                CustomerInvoice.number == number,
                CustomerInvoice.company_id == company_id(writable_url, "padma"),
            )
        )
        assert invoice is not None and invoice.status == InvoiceStatus.POSTED
        assert invoice.amount_paid == 0 and invoice.journal_entry_id is not None
        entry = s.get(JournalEntry, invoice.journal_entry_id)
        assert entry is not None
        assert (entry.entry_date, entry.source_ref) == (AS_OF, number)
        lines = sorted((ln.account_id, ln.debit, ln.credit) for ln in entry.lines)
        assert len(lines) == 3 and sum(d for _, d, _ in lines) == total
        entry_id = entry.id
        order = s.get(SalesOrder, order_id) if order_id else None
        if order is not None:
            assert order.status == SalesOrderStatus.INVOICED
    assert balance(writable_url, entry_id) == 0
    assert account_balance(writable_url, "padma", "1100") == receivables + total
    assert account_balance(writable_url, "padma", "4000") == revenue - net
    assert net + tax == total
    [audit] = audits(writable_url, COMMAND)
    assert (audit.source, audit.entity_type, audit.entity_ref) == (
        "assistant",
        "customer_invoice",
        number,
    )
    assert audit.details["before"]["status"] == "draft"
    assert audit.details["after"]["status"] == "posted"

    # posting it again is refused with its status, and changes nothing
    before = snapshot(writable_url)
    again = Dialogue(writer, COMMAND, USER).start("post it", document_ref=number)
    assert "already posted" in again.text and again.missing == ["document"]
    assert snapshot(writable_url) == before


def test_a_changed_invoice_fails_at_confirmation(writer: ERPService, writable_url: str) -> None:
    number = invoice_number(writable_url, "padma", "draft")
    dialogue = Dialogue(writer, COMMAND, USER)
    dialogue.start("post", document_ref=number)
    assert dialogue.propose().outcome == "confirm"
    execute(
        writable_url,
        "UPDATE customer_invoices SET tax_total = tax_total + 100, total = total + 100 "
        f"WHERE number = :n AND {IN_PADMA}",
        n=number,
    )
    before = snapshot(writable_url)
    failed = dialogue.confirm()
    assert failed.outcome == "failed" and "changed" in failed.text
    assert snapshot(writable_url) == before
    status = f"SELECT status FROM customer_invoices WHERE number = :n AND {IN_PADMA}"
    assert sql(writable_url, status, n=number) == "draft"


def test_other_statuses_bills_malformed_and_other_companies_are_refused(sqlite_url: str) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)
    cases = [
        (invoice_number(sqlite_url, "padma", "posted"), "is already posted"),
        (invoice_number(sqlite_url, "padma", "paid"), "is already posted and paid"),
        (invoice_number(sqlite_url, "padma", "partially_paid"), "already posted and partly paid"),
        ("BILL-2026-00115", "Only customer invoices (INV-…) can be posted here"),
        ("PO-2026-0012", "is a purchase order, not an invoice"),
        ("INV-2026-99999", "can't find invoice INV-2026-99999"),
        ("invoice 12", "needs a year and a number"),
        ("banana", "couldn't read"),
    ]
    for ref, message in cases:
        reply = Dialogue(service, COMMAND, USER).start(f"post {ref}", document_ref=ref)
        assert reply.outcome == "collect" and reply.missing == ["document"]
        assert message in reply.text, (ref, reply.text)
    # a Northwind user naming Padma's draft invoice is told it does not exist
    padma_draft = invoice_number(sqlite_url, "padma", "draft")
    used = "SELECT COUNT(*) FROM customer_invoices WHERE number = :n"
    assert sql(sqlite_url, used, n=padma_draft) == 1  # numbers repeat across companies
    reply = Dialogue(service, COMMAND, "northwind.finance").start("post", document_ref=padma_draft)
    assert f"can't find invoice {padma_draft} in Northwind" in reply.text


@SQLITE_ONLY
def test_other_company_and_wrong_roles_change_nothing(
    writer: ERPService, writable_url: str
) -> None:
    number = invoice_number(writable_url, "padma", "draft")
    before = snapshot(writable_url)
    stranger = Dialogue(writer, COMMAND, "northwind.finance")
    stranger.draft = {"document": number}  # even a forged draft
    assert stranger.propose().outcome == "collect"
    for user in ("padma.sales", "padma.warehouse", "padma.approver"):
        reply = Dialogue(writer, COMMAND, user).start("post", document_ref=number)
        assert reply.outcome == "refused" and "post invoices" in reply.text
        forged = Dialogue(writer, COMMAND, user)
        forged.draft = {"document": number}
        assert forged.propose().outcome == "refused"
    assert snapshot(writable_url) == before
    assert sql(writable_url, "SELECT COUNT(*) FROM confirmations") == 0
