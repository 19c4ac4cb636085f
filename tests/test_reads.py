"""Read capabilities against the seeded demo data, on SQLite and on PostgreSQL.

Expected figures come from plain SQL written here, independent of the report
code; money is stored in minor units, so SQL sums are exact integers.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, text

from actions.erp.context import Request
from actions.erp.db import get_engine
from actions.erp.formatting import format_money
from actions.erp.service import CAPABILITIES, ERPService
from tests.conftest import AS_OF


def sql_money(url: str, sql: str, **params: object) -> Decimal:
    with get_engine(url).connect() as connection:
        cents = connection.execute(text(sql), params).scalar() or 0
    return Decimal(int(cents)) / 100


def sql_value(url: str, sql: str, **params: object) -> object:
    with get_engine(url).connect() as connection:
        return connection.execute(text(sql), params).scalar()


def ask(service: ERPService, user: str, capability: str, message: str = "", **entities: str):
    company = user.split(".")[0]
    request = Request(message, {k: [v] for k, v in entities.items()})
    return service.ask(capability, user, company, request)


def money_in(answer_text: str, amount: Decimal, currency: str = "BDT") -> bool:
    return format_money(amount, currency) in answer_text


# --- cash ---------------------------------------------------------------------

CASH_SQL = """
    SELECT COALESCE(SUM(jl.debit - jl.credit), 0) FROM journal_lines jl
    JOIN journal_entries je ON je.id = jl.entry_id
    JOIN bank_accounts ba ON ba.gl_account_id = jl.account_id
    JOIN companies c ON c.id = je.company_id
    WHERE c.code = :company AND je.entry_date <= :today
"""


@pytest.mark.parametrize(
    ("user", "currency"), [("padma.finance", "BDT"), ("northwind.finance", "USD")]
)
def test_cash_balance_is_the_ledger_balance_of_the_bank_accounts(
    service: ERPService, database_url: str, user: str, currency: str
) -> None:
    expected = sql_money(database_url, CASH_SQL, company=user.split(".")[0], today=AS_OF)
    answer = ask(service, user, "cash_balance")
    assert answer.outcome == "ok"
    assert money_in(answer.text, expected, currency)
    assert "22 Nov 2026" in answer.text
    total_row = answer.payloads[0]["rows"][-1]
    assert Decimal(total_row["balance"]) == expected


def test_every_journal_entry_balances(database_url: str) -> None:
    unbalanced = sql_value(
        database_url,
        """SELECT COUNT(*) FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id
           HAVING SUM(debit) <> SUM(credit)) x""",
    )
    assert unbalanced == 0


# --- receivables and payables ------------------------------------------------------

AR_SQL = """
    SELECT COALESCE(SUM(ci.total - ci.amount_paid), 0) FROM customer_invoices ci
    JOIN companies c ON c.id = ci.company_id
    WHERE c.code = :company AND ci.status IN ('posted', 'partially_paid')
"""
AR_OVERDUE_SQL = AR_SQL + " AND ci.due_date < :today"
AR_90_SQL = AR_SQL + " AND ci.due_date < :cutoff"


def test_receivables_total_overdue_and_90_plus_bucket(
    service: ERPService, database_url: str
) -> None:
    total = sql_money(database_url, AR_SQL, company="padma")
    overdue = sql_money(database_url, AR_OVERDUE_SQL, company="padma", today=AS_OF)
    over_90 = sql_money(database_url, AR_90_SQL, company="padma", cutoff=AS_OF - timedelta(days=90))
    answer = ask(service, "padma.finance", "receivables", "which customers owe us money?")
    assert money_in(answer.text, total)
    assert money_in(answer.text, overdue)
    aging_chart = next(p for p in answer.payloads if p["type"] == "chart")
    buckets = dict(zip(aging_chart["labels"], aging_chart["series"][0]["values"], strict=True))
    assert Decimal(buckets["90+ days"]) == over_90
    assert sum(Decimal(v) for v in buckets.values()) == total


def test_receivables_of_one_customer(service: ERPService, database_url: str) -> None:
    name = sql_value(
        database_url,
        """SELECT cu.name FROM customer_invoices ci JOIN customers cu ON cu.id = ci.customer_id
           JOIN companies c ON c.id = ci.company_id
           WHERE c.code = 'padma' AND ci.status IN ('posted', 'partially_paid')
           GROUP BY cu.name ORDER BY SUM(ci.total - ci.amount_paid) DESC, cu.name LIMIT 1""",
    )
    owed = sql_money(
        database_url,
        AR_SQL + " AND ci.customer_id IN (SELECT id FROM customers WHERE name = :name)",
        company="padma",
        name=name,
    )
    answer = ask(service, "padma.finance", "receivables", customer=name)
    assert answer.text.startswith(f"As of 22 Nov 2026, {name} owes us")
    assert money_in(answer.text, owed)


def test_payables_total(service: ERPService, database_url: str) -> None:
    total = sql_money(
        database_url,
        """SELECT COALESCE(SUM(b.total - b.amount_paid), 0) FROM supplier_bills b
           JOIN companies c ON c.id = b.company_id
           WHERE c.code = 'northwind' AND b.status IN ('posted', 'partially_paid')""",
    )
    answer = ask(service, "northwind.finance", "payables", "what do we owe suppliers")
    assert money_in(answer.text, total, "USD")


def test_cash_flow_projection_adds_up(service: ERPService, database_url: str) -> None:
    answer = ask(service, "padma.finance", "cash_flow", "cash flow for the next 6 weeks")
    weeks = next(p for p in answer.payloads if p["type"] == "table")["rows"]
    assert len(weeks) == 6
    opening = sql_money(database_url, CASH_SQL, company="padma", today=AS_OF)
    balance = opening
    for week in weeks:
        balance += Decimal(week["inflow"]) - Decimal(week["outflow"])
        assert Decimal(week["closing"]) == balance
    assert money_in(answer.text, opening)


# --- purchasing ---------------------------------------------------------------------


def test_purchase_orders_filtered_by_status_and_amount(
    service: ERPService, database_url: str
) -> None:
    count = sql_value(
        database_url,
        """SELECT COUNT(*) FROM purchase_orders po JOIN companies c ON c.id = po.company_id
           WHERE c.code = 'padma' AND po.status = 'pending_approval' AND po.total >= 1000000""",
    )
    answer = ask(
        service,
        "padma.approver",
        "purchase_orders",
        "purchase orders pending approval over 10k",
        status="pending approval",
        amount="10k",
    )
    assert answer.text.startswith(f"{count} purchase order")
    assert "at least BDT 10,000.00" in answer.text


def test_pending_approvals_are_those_routed_to_my_role(
    service: ERPService, database_url: str
) -> None:
    sql = """SELECT COUNT(*) FROM purchase_orders po JOIN companies c ON c.id = po.company_id
             JOIN roles r ON r.id = po.approver_role_id
             WHERE c.code = 'padma' AND po.status = 'pending_approval' AND r.code = :role"""
    approver = sql_value(database_url, sql, role="purchasing_approver")
    finance = sql_value(database_url, sql, role="finance_manager")
    assert approver and finance, "the demo data routes approvals to both roles"
    assert ask(service, "padma.approver", "pending_approvals").text.startswith(
        f"{approver} purchase"
    )
    assert ask(service, "padma.finance", "pending_approvals").text.startswith(f"{finance} purchase")


# --- inventory ----------------------------------------------------------------------


def test_stock_valuation(service: ERPService, database_url: str) -> None:
    value = sql_money(
        database_url,
        """SELECT COALESCE(SUM(s.quantity * p.standard_cost), 0) FROM stock_levels s
           JOIN products p ON p.id = s.product_id JOIN companies c ON c.id = s.company_id
           WHERE c.code = 'padma'""",
    )
    answer = ask(service, "padma.warehouse", "stock", "stock valuation")
    assert money_in(answer.text, value)


def test_low_stock_lists_every_line_below_reorder_level(
    service: ERPService, database_url: str
) -> None:
    count = sql_value(
        database_url,
        """SELECT COUNT(*) FROM stock_levels s JOIN products p ON p.id = s.product_id
           JOIN companies c ON c.id = s.company_id
           WHERE c.code = 'padma' AND p.is_active AND s.quantity < p.reorder_level""",
    )
    answer = ask(service, "padma.warehouse", "low_stock")
    assert count > 0
    assert len(answer.payloads[0]["rows"]) == count
    assert all(row["suggested"] >= 0 for row in answer.payloads[0]["rows"])


# --- sales, customers, documents, dashboard -----------------------------------------------


def test_sales_last_month_and_trend(service: ERPService, database_url: str) -> None:
    sql = """SELECT COALESCE(SUM(so.subtotal - so.discount_total), 0) FROM sales_orders so
             JOIN companies c ON c.id = so.company_id
             WHERE c.code = 'padma' AND so.status IN ('confirmed', 'delivered', 'invoiced')
             AND so.order_date BETWEEN :start AND :end"""
    october = sql_money(database_url, sql, start=date(2026, 10, 1), end=date(2026, 10, 31))
    answer = ask(service, "padma.sales", "sales", "sales last month", time_period="last month")
    assert answer.text.startswith("Sales for October 2026: " + format_money(october, "BDT"))
    previous = sql_money(database_url, sql, start=date(2026, 8, 31), end=date(2026, 9, 30))
    assert money_in(answer.text, previous)


def test_customer_count_and_details(service: ERPService, database_url: str) -> None:
    active = sql_value(
        database_url,
        """SELECT COUNT(*) FROM customers cu JOIN companies c ON c.id = cu.company_id
           WHERE c.code = 'padma' AND cu.is_active""",
    )
    assert f"has {active} active customers" in ask(service, "padma.sales", "customer").text
    name, limit = next(
        iter(
            get_engine(database_url)
            .connect()
            .execute(
                text(
                    """SELECT cu.name, cu.credit_limit FROM customers cu
                       JOIN companies c ON c.id = cu.company_id
                       WHERE c.code = 'padma' ORDER BY cu.id LIMIT 1"""
                )
            )
        )
    )
    details = ask(service, "padma.sales", "customer", customer=name)
    assert details.text.startswith(name)
    assert money_in(details.text, Decimal(int(limit)) / 100)


def test_document_status_in_any_spelling(service: ERPService) -> None:
    canonical = ask(service, "padma.finance", "document_status", document_ref="PO-2025-0042")
    sloppy = ask(service, "padma.finance", "document_status", document_ref="po 2025-42")
    assert canonical.outcome == "ok"
    assert canonical.text == sloppy.text
    assert canonical.text.startswith("Purchase order PO-2025-0042")


def test_dashboard_shows_only_permitted_sections(service: ERPService) -> None:
    finance = ask(service, "padma.finance", "dashboard").text
    admin = ask(service, "padma.admin", "dashboard").text
    assert "cash" in finance and "receivables" in finance
    assert "below reorder level" in admin
    assert ask(service, "padma.trainer", "dashboard").outcome == "refused"


# --- permissions, identity and isolation ---------------------------------------------------


@pytest.mark.parametrize("capability", sorted(set(CAPABILITIES) - {"document_status"}))
def test_trainer_may_read_nothing(service: ERPService, capability: str) -> None:
    answer = ask(service, "padma.trainer", capability)
    assert answer.outcome == "refused"
    assert "does not allow you" in answer.text


def test_refusal_happens_before_any_business_data_is_read(
    service: ERPService, database_url: str
) -> None:
    engine = get_engine(database_url)
    statements: list[str] = []

    def record(conn, cursor, statement, params, context, executemany) -> None:
        statements.append(statement.lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = ask(service, "padma.warehouse", "cash_balance")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert answer.outcome == "refused"
    assert statements, "the actor is loaded from the database"
    for statement in statements:
        for table in ("journal", "bank_accounts", "customer_invoices", "supplier_bills"):
            assert table not in statement


def test_document_permission_depends_on_the_document_kind(service: ERPService) -> None:
    assert (
        ask(service, "padma.warehouse", "document_status", document_ref="PO-2025-0042").outcome
        == "ok"
    )
    refused = ask(service, "padma.warehouse", "document_status", document_ref="INV-2025-00456")
    assert refused.outcome == "refused"


def test_a_company_never_sees_another_companys_rows(service: ERPService, database_url: str) -> None:
    northwind_customer = sql_value(
        database_url,
        """SELECT cu.name FROM customers cu JOIN companies c ON c.id = cu.company_id
           WHERE c.code = 'northwind' ORDER BY cu.id LIMIT 1""",
    )
    answer = ask(service, "padma.finance", "receivables", customer=northwind_customer)
    assert answer.outcome == "clarify"
    assert northwind_customer not in answer.candidates
    padma_only = sql_value(
        database_url,
        """SELECT po.number FROM purchase_orders po JOIN companies c ON c.id = po.company_id
           WHERE c.code = 'padma' AND po.number NOT IN (SELECT p.number FROM purchase_orders p
           JOIN companies c2 ON c2.id = p.company_id WHERE c2.code = 'northwind')
           ORDER BY po.number LIMIT 1""",
    )
    assert padma_only, "padma has more purchase orders than northwind"
    missing = ask(service, "northwind.finance", "document_status", document_ref=padma_only)
    assert missing.outcome == "clarify"
    assert f"couldn't find purchase order {padma_only} in Northwind Supply Inc" in missing.text


def test_shared_document_numbers_resolve_within_the_company(service: ERPService) -> None:
    padma = ask(service, "padma.finance", "document_status", document_ref="PO-2025-0042").text
    northwind = ask(
        service, "northwind.finance", "document_status", document_ref="PO-2025-0042"
    ).text
    assert "BDT" in padma and "BDT" not in northwind


@pytest.mark.parametrize(
    ("user", "company"),
    [("nobody", "padma"), ("padma.finance", "northwind"), (None, None), ("padma.finance", None)],
)
def test_unknown_or_mismatched_identity_is_refused(service: ERPService, user, company) -> None:
    answer = service.ask("cash_balance", user, company, Request("cash"))
    assert answer.outcome == "refused"
    assert "sign in" in answer.text


def test_ambiguous_and_unknown_names_ask_back(service: ERPService) -> None:
    ambiguous = ask(service, "padma.finance", "receivables", customer="rahman")
    assert ambiguous.outcome == "clarify"
    assert len(ambiguous.candidates) >= 2
    unknown = ask(service, "padma.finance", "receivables", customer="Zzyzx Quantum Holdings")
    assert unknown.outcome == "clarify"
    assert "couldn't find" in unknown.text


@pytest.mark.parametrize(
    ("capability", "entities"),
    [
        ("purchase_orders", {"amount": "minus five"}),
        ("sales", {"time_period": "the twelfth of never"}),
        ("document_status", {"document_ref": "XYZ-2025-1"}),
    ],
)
def test_bad_entities_get_a_clear_message(
    service: ERPService, capability: str, entities: dict
) -> None:
    answer = ask(service, "padma.admin", capability, **entities)
    assert answer.outcome == "clarify"
    assert answer.text.endswith((".", "?"))
