"""The demo-data generator: invariants, determinism, both database backends.

Most tests run against one seeding per backend (scale 0.2, shared by the
session): SQLite in a temporary file, PostgreSQL in a scratch database that
is created for the run and dropped afterwards (at ERP_TEST_PG_ADMIN_URL,
default postgresql://postgres@127.0.0.1:5432/postgres).
One SQLite seeding at scale 1.0 checks the sizes the demo promises.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from actions.erp.access import PERMISSIONS, ROLES
from actions.erp.db import get_engine
from actions.erp.models import Base, Company, Customer
from actions.erp.seed import DEFAULT_SEED, SeedError, SeedSummary, demo_users, seed
from bot.auth import verify_password

AS_OF = date(2026, 11, 22)
SCALE = 0.2
PG_ADMIN_URL = os.environ.get(
    "ERP_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
EXCLUDED_FROM_DIGEST = {("users", "password_hash")}  # salted on purpose


@dataclass
class Seeded:
    backend: str
    engine: Engine
    summary: SeedSummary

    def rows(self, sql: str, **params: object) -> list[tuple]:
        with self.engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(sql), params)]

    def scalar(self, sql: str, **params: object) -> object:
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def company_ids(self) -> dict[str, int]:
        return dict(self.rows("SELECT code, id FROM companies"))


def _sqlite(path: os.PathLike[str]) -> Engine:
    # the project's engine factory: foreign keys enforced, as in production
    return get_engine(f"sqlite:///{path}")


def _new_database(engine: Engine) -> Engine:
    Base.metadata.create_all(engine)
    return engine


@pytest.fixture(scope="session")
def postgres_database():
    """A scratch PostgreSQL database for this test run, dropped at the end."""
    admin_url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg2")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"erp_seed_test_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(admin_url.set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory) -> Seeded:
    engine = _new_database(_sqlite(tmp_path_factory.mktemp("seed") / "erp.db"))
    return Seeded("sqlite", engine, seed(engine, as_of=AS_OF, scale=SCALE))


@pytest.fixture(scope="session")
def seeded_postgres(postgres_database) -> Seeded:
    engine = _new_database(postgres_database)
    return Seeded("postgresql", engine, seed(engine, as_of=AS_OF, scale=SCALE))


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def seeded(request) -> Seeded:
    """The demo data at scale 0.2 on each backend; tests only read it."""
    return request.getfixturevalue(f"seeded_{request.param}")


@pytest.fixture(scope="session")
def full_scale(tmp_path_factory) -> Seeded:
    engine = _new_database(_sqlite(tmp_path_factory.mktemp("full") / "erp.db"))
    summary = seed(engine, as_of=AS_OF, scale=1.0)
    return Seeded("sqlite", engine, summary)


def digest(engine: Engine) -> str:
    """A hash of every row of every table, in primary-key order."""
    sha = hashlib.sha256()
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in EXCLUDED_FROM_DIGEST]
            order = list(table.primary_key.columns)
            sha.update(table.name.encode())
            for row in connection.execute(select(*columns).order_by(*order)):
                sha.update(json.dumps([_plain(v) for v in row], sort_keys=True).encode())
    return sha.hexdigest()


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    if hasattr(value, "value") and not isinstance(value, (int, str, bool)):
        return value.value  # enum member
    return value


# --- the books balance ---------------------------------------------------------


def test_every_journal_entry_balances(seeded: Seeded) -> None:
    unbalanced = seeded.rows(
        "SELECT e.number, SUM(l.debit), SUM(l.credit) FROM journal_entries e "
        "JOIN journal_lines l ON l.entry_id = e.id GROUP BY e.id, e.number "
        "HAVING SUM(l.debit) <> SUM(l.credit) OR COUNT(*) < 2"
    )
    assert unbalanced == []
    assert (
        seeded.scalar(
            "SELECT COUNT(*) FROM journal_entries e WHERE NOT EXISTS "
            "(SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id)"
        )
        == 0
    )
    assert seeded.scalar("SELECT COUNT(*) FROM journal_lines WHERE debit < 0 OR credit < 0") == 0


def _gl_balance(seeded: Seeded, company_id: int, code: str) -> int:
    return seeded.scalar(
        "SELECT COALESCE(SUM(l.debit - l.credit), 0) FROM journal_lines l "
        "JOIN gl_accounts a ON a.id = l.account_id WHERE a.company_id = :c AND a.code = :code",
        c=company_id,
        code=code,
    )


def test_ledger_agrees_with_subledgers(seeded: Seeded) -> None:
    """Receivables, payables and inventory in the GL equal the documents behind them."""
    for code, company_id in seeded.company_ids().items():
        open_ar = seeded.scalar(
            "SELECT COALESCE(SUM(total - amount_paid), 0) FROM customer_invoices "
            "WHERE company_id = :c AND status <> 'draft'",
            c=company_id,
        )
        open_ap = seeded.scalar(
            "SELECT COALESCE(SUM(total - amount_paid), 0) FROM supplier_bills "
            "WHERE company_id = :c AND status <> 'draft'",
            c=company_id,
        )
        stock_value = seeded.scalar(
            "SELECT COALESCE(SUM(quantity * unit_cost), 0) FROM stock_movements "
            "WHERE company_id = :c",
            c=company_id,
        )
        assert _gl_balance(seeded, company_id, "1100") == open_ar, code
        assert -_gl_balance(seeded, company_id, "2000") == open_ap, code
        assert _gl_balance(seeded, company_id, "1200") == stock_value, code


def test_bank_balances_never_go_negative(seeded: Seeded) -> None:
    rows = seeded.rows(
        "SELECT b.id, e.entry_date, e.id, l.debit - l.credit FROM bank_accounts b "
        "JOIN journal_lines l ON l.account_id = b.gl_account_id "
        "JOIN journal_entries e ON e.id = l.entry_id ORDER BY b.id, e.entry_date, e.id"
    )
    running: dict[int, int] = defaultdict(int)
    for bank_id, _day, _entry, amount in rows:
        running[bank_id] += amount
        assert running[bank_id] >= 0
    assert len(running) == 4 and all(balance > 0 for balance in running.values())


def test_draft_documents_have_no_journal_entry(seeded: Seeded) -> None:
    assert (
        seeded.scalar(
            "SELECT COUNT(*) FROM customer_invoices WHERE status = 'draft' "
            "AND (journal_entry_id IS NOT NULL OR amount_paid <> 0)"
        )
        == 0
    )
    assert seeded.scalar("SELECT COUNT(*) FROM customer_invoices WHERE status = 'draft'") > 0
    for table in ("customer_invoices", "supplier_bills"):
        # every posted document has its own entry, with the receivable or payable in it
        missing = seeded.rows(
            f"SELECT d.number FROM {table} d LEFT JOIN journal_entries e "
            "ON e.id = d.journal_entry_id "
            "WHERE d.status <> 'draft' AND (e.id IS NULL OR e.source_ref <> d.number "
            "OR e.company_id <> d.company_id)"
        )
        assert missing == [], table
    assert (
        seeded.scalar(
            "SELECT COUNT(*) FROM payments p "
            "LEFT JOIN journal_entries e ON e.id = p.journal_entry_id "
            "WHERE e.id IS NULL OR e.source_ref <> p.number"
        )
        == 0
    )


# --- stock ----------------------------------------------------------------------


def test_stock_levels_equal_movements_and_never_go_negative(seeded: Seeded) -> None:
    levels = {
        (p, w): q
        for p, w, q in seeded.rows("SELECT product_id, warehouse_id, quantity FROM stock_levels")
    }
    sums = {
        (p, w): q
        for p, w, q in seeded.rows(
            "SELECT product_id, warehouse_id, SUM(quantity) FROM stock_movements "
            "GROUP BY product_id, warehouse_id"
        )
    }
    assert levels == sums
    assert min(levels.values()) >= 0
    running = seeded.scalar(
        "SELECT MIN(level) FROM (SELECT SUM(quantity) OVER (PARTITION BY product_id, "
        "warehouse_id ORDER BY moved_at, id) AS level FROM stock_movements) AS history"
    )
    assert running >= 0
    kinds = {k for (k,) in seeded.rows("SELECT DISTINCT movement_type FROM stock_movements")}
    assert {"receipt", "issue", "adjustment"} <= kinds


def test_some_products_are_below_reorder_level(seeded: Seeded) -> None:
    for code, company_id in seeded.company_ids().items():
        low = seeded.rows(
            "SELECT DISTINCT p.id FROM stock_levels s JOIN products p ON p.id = s.product_id "
            "WHERE p.company_id = :c AND s.quantity < p.reorder_level",
            c=company_id,
        )
        assert low, code


def test_issues_match_delivered_orders(seeded: Seeded) -> None:
    """Goods leave only for delivered or invoiced orders, exactly as ordered."""
    issued = seeded.rows(
        "SELECT m.company_id, m.reference, -SUM(m.quantity) FROM stock_movements m "
        "WHERE m.movement_type = 'issue' GROUP BY m.company_id, m.reference"
    )
    by_company = defaultdict(dict)
    for company_id, reference, quantity in issued:
        by_company[company_id][reference] = quantity
    expected = defaultdict(dict)
    for company_id, number, quantity in seeded.rows(
        "SELECT o.company_id, o.number, SUM(l.quantity) FROM sales_orders o "
        "JOIN sales_order_lines l ON l.order_id = o.id "
        "WHERE o.status IN ('delivered', 'invoiced') GROUP BY o.company_id, o.number"
    ):
        expected[company_id][number] = quantity
    assert len(expected) == 2  # both companies delivered
    assert dict(by_company) == dict(expected)


# --- receivables and payables --------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column"), [("customer_invoices", "invoice_id"), ("supplier_bills", "bill_id")]
)
def test_amount_paid_matches_allocations_and_status(
    seeded: Seeded, table: str, column: str
) -> None:
    rows = seeded.rows(
        f"SELECT d.number, d.status, d.total, d.amount_paid, "
        f"(SELECT COALESCE(SUM(a.amount), 0) FROM payment_allocations a WHERE a.{column} = d.id) "
        f"FROM {table} d"
    )
    assert rows
    statuses = set()
    for number, status, total, paid, allocated in rows:
        statuses.add(status)
        assert paid == allocated, number
        assert 0 <= paid <= total, number
        if status == "draft":
            assert paid == 0
        else:
            expected = "posted" if paid == 0 else "paid" if paid == total else "partially_paid"
            assert status == expected, number
    assert {"posted", "paid"} <= statuses
    if table == "customer_invoices":
        assert "partially_paid" in statuses


def test_payments_cover_their_allocations_and_parties_match(seeded: Seeded) -> None:
    over = seeded.rows(
        "SELECT p.number FROM payments p JOIN payment_allocations a ON a.payment_id = p.id "
        "GROUP BY p.id, p.number, p.amount HAVING SUM(a.amount) > p.amount"
    )
    assert over == []
    wrong_party = seeded.scalar(
        "SELECT COUNT(*) FROM payment_allocations a JOIN payments p ON p.id = a.payment_id "
        "LEFT JOIN customer_invoices i ON i.id = a.invoice_id "
        "LEFT JOIN supplier_bills b ON b.id = a.bill_id "
        "WHERE (p.direction = 'receipt' AND (i.id IS NULL OR i.customer_id <> p.customer_id)) "
        "OR (p.direction = 'payment' AND (b.id IS NULL OR b.supplier_id <> p.supplier_id))"
    )
    assert wrong_party == 0
    early = seeded.scalar(
        "SELECT COUNT(*) FROM payment_allocations a JOIN payments p ON p.id = a.payment_id "
        "LEFT JOIN customer_invoices i ON i.id = a.invoice_id "
        "LEFT JOIN supplier_bills b ON b.id = a.bill_id "
        "WHERE p.payment_date < COALESCE(i.invoice_date, b.bill_date) OR p.payment_date > :d",
        d=AS_OF,
    )
    assert early == 0


def test_some_invoices_are_overdue_more_than_90_days(seeded: Seeded) -> None:
    for code, company_id in seeded.company_ids().items():
        overdue = seeded.scalar(
            "SELECT COUNT(*) FROM customer_invoices WHERE company_id = :c "
            "AND status IN ('posted', 'partially_paid') AND due_date < :d",
            c=company_id,
            d=AS_OF - timedelta(days=90),
        )
        assert overdue > 0, code


def test_invoices_follow_their_orders(seeded: Seeded) -> None:
    mismatched = seeded.rows(
        "SELECT i.number FROM customer_invoices i JOIN sales_orders o ON o.id = i.sales_order_id "
        "JOIN customers c ON c.id = i.customer_id "
        "WHERE i.total <> o.total OR i.subtotal <> o.subtotal - o.discount_total "
        "OR i.customer_id <> o.customer_id OR i.invoice_date < o.order_date "
        "OR i.due_date <> i.invoice_date + c.payment_terms_days * INTERVAL_DAY".replace(
            "i.invoice_date + c.payment_terms_days * INTERVAL_DAY",
            "i.invoice_date + c.payment_terms_days"
            if seeded.backend == "postgresql"
            else "date(i.invoice_date, '+' || c.payment_terms_days || ' days')",
        )
    )
    assert mismatched == []
    lines = seeded.rows(
        "SELECT o.number FROM sales_orders o JOIN sales_order_lines l ON l.order_id = o.id "
        "GROUP BY o.id, o.number, o.subtotal, o.discount_total "
        "HAVING SUM(l.quantity * l.unit_price) <> o.subtotal "
        "OR SUM(l.line_total) <> o.subtotal - o.discount_total"
    )
    assert lines == []


# --- isolation between companies ------------------------------------------------

CROSS_COMPANY_CHECKS = {
    "sales order customer": "SELECT COUNT(*) FROM sales_orders d JOIN customers x "
    "ON x.id = d.customer_id WHERE x.company_id <> d.company_id",
    "sales order warehouse": "SELECT COUNT(*) FROM sales_orders d JOIN warehouses x "
    "ON x.id = d.warehouse_id WHERE x.company_id <> d.company_id",
    "sales order line product": "SELECT COUNT(*) FROM sales_order_lines l JOIN sales_orders d "
    "ON d.id = l.order_id JOIN products x ON x.id = l.product_id "
    "WHERE x.company_id <> d.company_id",
    "purchase order supplier": "SELECT COUNT(*) FROM purchase_orders d JOIN suppliers x "
    "ON x.id = d.supplier_id WHERE x.company_id <> d.company_id",
    "purchase order warehouse": "SELECT COUNT(*) FROM purchase_orders d JOIN warehouses x "
    "ON x.id = d.warehouse_id WHERE x.company_id <> d.company_id",
    "purchase order line product": "SELECT COUNT(*) FROM purchase_order_lines l "
    "JOIN purchase_orders d ON d.id = l.order_id JOIN products x ON x.id = l.product_id "
    "WHERE x.company_id <> d.company_id",
    "purchase order users": "SELECT COUNT(*) FROM purchase_order_events e "
    "JOIN purchase_orders d ON d.id = e.order_id JOIN users x ON x.id = e.actor_user_id "
    "WHERE x.company_id <> d.company_id",
    "invoice customer": "SELECT COUNT(*) FROM customer_invoices d JOIN customers x "
    "ON x.id = d.customer_id WHERE x.company_id <> d.company_id",
    "invoice order": "SELECT COUNT(*) FROM customer_invoices d JOIN sales_orders x "
    "ON x.id = d.sales_order_id WHERE x.company_id <> d.company_id",
    "bill supplier": "SELECT COUNT(*) FROM supplier_bills d JOIN suppliers x "
    "ON x.id = d.supplier_id WHERE x.company_id <> d.company_id",
    "bill order": "SELECT COUNT(*) FROM supplier_bills d JOIN purchase_orders x "
    "ON x.id = d.purchase_order_id WHERE x.company_id <> d.company_id",
    "payment party": "SELECT COUNT(*) FROM payments d LEFT JOIN customers c "
    "ON c.id = d.customer_id LEFT JOIN suppliers s ON s.id = d.supplier_id "
    "WHERE COALESCE(c.company_id, s.company_id) <> d.company_id",
    "payment bank": "SELECT COUNT(*) FROM payments d JOIN bank_accounts x "
    "ON x.id = d.bank_account_id WHERE x.company_id <> d.company_id",
    "allocation target": "SELECT COUNT(*) FROM payment_allocations a JOIN payments d "
    "ON d.id = a.payment_id LEFT JOIN customer_invoices i ON i.id = a.invoice_id "
    "LEFT JOIN supplier_bills b ON b.id = a.bill_id "
    "WHERE COALESCE(i.company_id, b.company_id) <> d.company_id",
    "stock movement": "SELECT COUNT(*) FROM stock_movements d JOIN products p "
    "ON p.id = d.product_id JOIN warehouses w ON w.id = d.warehouse_id "
    "WHERE p.company_id <> d.company_id OR w.company_id <> d.company_id",
    "stock level": "SELECT COUNT(*) FROM stock_levels d JOIN products p "
    "ON p.id = d.product_id JOIN warehouses w ON w.id = d.warehouse_id "
    "WHERE p.company_id <> d.company_id OR w.company_id <> d.company_id",
    "journal line account": "SELECT COUNT(*) FROM journal_lines l JOIN journal_entries d "
    "ON d.id = l.entry_id JOIN gl_accounts x ON x.id = l.account_id "
    "WHERE x.company_id <> d.company_id",
    "bank account ledger": "SELECT COUNT(*) FROM bank_accounts d JOIN gl_accounts x "
    "ON x.id = d.gl_account_id WHERE x.company_id <> d.company_id",
    "audit user": "SELECT COUNT(*) FROM audit_log d JOIN users x ON x.id = d.user_id "
    "WHERE x.company_id <> d.company_id",
    "document creators": "SELECT (SELECT COUNT(*) FROM sales_orders d JOIN users x "
    "ON x.id = d.created_by WHERE x.company_id <> d.company_id) + (SELECT COUNT(*) "
    "FROM purchase_orders d JOIN users x ON x.id = d.created_by "
    "WHERE x.company_id <> d.company_id)",
}


@pytest.mark.parametrize("check", sorted(CROSS_COMPANY_CHECKS))
def test_no_row_references_another_company(seeded: Seeded, check: str) -> None:
    assert seeded.scalar(CROSS_COMPANY_CHECKS[check]) == 0


# --- purchasing workflow ----------------------------------------------------------

EXPECTED_HISTORY = {
    "draft": [],
    "pending_approval": ["submitted"],
    "approved": ["submitted", "approved"],
    "rejected": ["submitted", "rejected"],
    "received": ["submitted", "approved", "received"],
}


def test_purchase_order_history_matches_status(seeded: Seeded) -> None:
    events = defaultdict(list)
    for order_id, action, actor_roles in seeded.rows(
        "SELECT e.order_id, e.action, "
        "(SELECT MIN(r.code) || '/' || MAX(r.code) FROM user_roles ur JOIN roles r "
        "ON r.id = ur.role_id WHERE ur.user_id = e.actor_user_id) "
        "FROM purchase_order_events e ORDER BY e.order_id, e.at, e.id"
    ):
        events[order_id].append((action, actor_roles))
    orders = seeded.rows(
        "SELECT p.id, p.number, p.status, r.code FROM purchase_orders p "
        "LEFT JOIN roles r ON r.id = p.approver_role_id"
    )
    statuses = set()
    for order_id, number, status, approver_role in orders:
        statuses.add(status)
        history = events.get(order_id, [])
        assert [action for action, _ in history] == EXPECTED_HISTORY[status], number
        assert (approver_role is None) == (status == "draft"), number
        for action, roles in history:
            if action in ("approved", "rejected"):
                assert approver_role in roles.split("/"), number
    assert set(EXPECTED_HISTORY) <= statuses


def test_approver_role_follows_the_approval_rules(seeded: Seeded) -> None:
    rules = defaultdict(list)
    for company_id, role, low, high in seeded.rows(
        "SELECT a.company_id, r.code, a.min_amount, a.max_amount FROM approval_rules a "
        "JOIN roles r ON r.id = a.role_id WHERE a.document_type = 'purchase_order'"
    ):
        rules[company_id].append((role, low, high))
    for company_id, number, total, role in seeded.rows(
        "SELECT p.company_id, p.number, p.total, r.code FROM purchase_orders p "
        "JOIN roles r ON r.id = p.approver_role_id"
    ):
        matching = [
            r
            for r, low, high in rules[company_id]
            if low <= total and (high is None or total < high)
        ]
        assert matching == [role], number
    thresholds = {
        code: seeded.scalar(
            "SELECT a.min_amount FROM approval_rules a JOIN roles r ON r.id = a.role_id "
            "WHERE a.company_id = :c AND r.code = 'finance_manager' "
            "AND a.document_type = 'purchase_order'",
            c=company_id,
        )
        for code, company_id in seeded.company_ids().items()
    }
    assert thresholds == {"padma": 50_000_000, "northwind": 500_000}  # minor units


def test_pending_approvals_for_both_roles(seeded: Seeded) -> None:
    for code, company_id in seeded.company_ids().items():
        pending = seeded.rows(
            "SELECT r.code, p.submitted_at FROM purchase_orders p JOIN roles r "
            "ON r.id = p.approver_role_id "
            "WHERE p.company_id = :c AND p.status = 'pending_approval'",
            c=company_id,
        )
        assert len(pending) >= 8, code
        by_role = defaultdict(int)
        for role, _ in pending:
            by_role[role] += 1
        assert by_role["purchasing_approver"] >= 3 and by_role["finance_manager"] >= 3, code
        oldest = min(_as_date(submitted) for _, submitted in pending)
        assert (AS_OF - oldest).days >= 21, code


def _as_date(value: object) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value.date() if hasattr(value, "date") else value  # type: ignore[return-value]


def test_some_deliveries_are_overdue(seeded: Seeded) -> None:
    for code, company_id in seeded.company_ids().items():
        overdue = seeded.scalar(
            "SELECT COUNT(*) FROM purchase_orders WHERE company_id = :c AND status = 'approved' "
            "AND expected_date < :d",
            c=company_id,
            d=AS_OF,
        )
        assert overdue >= 2, code


def test_received_orders_are_stocked_and_billed(seeded: Seeded) -> None:
    unbilled = seeded.scalar(
        "SELECT COUNT(*) FROM purchase_orders p WHERE p.status = 'received' AND NOT EXISTS "
        "(SELECT 1 FROM supplier_bills b WHERE b.purchase_order_id = p.id AND b.total = p.total)"
    )
    assert unbilled == 0
    short = seeded.scalar(
        "SELECT COUNT(*) FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.order_id "
        "WHERE (p.status = 'received') <> (l.received_qty = l.quantity)"
    )
    assert short == 0


# --- numbering ----------------------------------------------------------------------

NUMBERS = {
    "sales_orders": ("SO", 5, "order_date"),
    "purchase_orders": ("PO", 4, "order_date"),
    "customer_invoices": ("INV", 5, "invoice_date"),
    "supplier_bills": ("BILL", 5, "bill_date"),
    "journal_entries": ("JE", 6, "entry_date"),
}


@pytest.mark.parametrize("table", [*sorted(NUMBERS), "payments"])
def test_document_numbers_count_up_per_company_and_year(seeded: Seeded, table: str) -> None:
    if table == "payments":
        rows = seeded.rows(
            "SELECT company_id, number, payment_date, direction FROM payments ORDER BY id"
        )
        prefixes = {"receipt": "RCPT", "payment": "PAY"}
        items = [(c, n, d, prefixes[k], 5) for c, n, d, k in rows]
    else:
        prefix, width, date_column = NUMBERS[table]
        rows = seeded.rows(f"SELECT company_id, number, {date_column} FROM {table} ORDER BY id")
        items = [(c, n, d, prefix, width) for c, n, d in rows]
    series = defaultdict(list)
    for company_id, number, day, prefix, width in items:
        day = _as_date(day)
        match = re.fullmatch(rf"{prefix}-(\d{{4}})-(\d{{{width}}})", number)
        assert match, number
        assert int(match.group(1)) == day.year, number
        series[(company_id, prefix, day.year)].append((day, int(match.group(2))))
    for key, documents in series.items():
        counters = sorted(n for _, n in documents)
        assert counters == list(range(1, len(counters) + 1)), key
        by_number = [d for d, _ in sorted(documents, key=lambda item: item[1])]
        assert by_number == sorted(by_number), key  # numbers follow the calendar


def test_both_companies_use_the_same_numbers(seeded: Seeded) -> None:
    shared = seeded.scalar(
        "SELECT COUNT(*) FROM sales_orders a JOIN sales_orders b "
        "ON a.number = b.number AND a.company_id < b.company_id"
    )
    assert shared > 0


# --- master data, users, roles ---------------------------------------------------------


def test_companies_and_master_data(seeded: Seeded) -> None:
    companies = {
        code: (name, currency, country, city)
        for code, name, currency, country, city in seeded.rows(
            "SELECT code, name, currency, country, city FROM companies"
        )
    }
    assert companies == {
        "padma": ("Padma Trading Ltd", "BDT", "BD", "Dhaka"),
        "northwind": ("Northwind Supply Inc", "USD", "US", "Newark"),
    }
    warehouses = seeded.rows(
        "SELECT c.code, w.name FROM warehouses w JOIN companies c ON c.id = w.company_id "
        "ORDER BY w.id"
    )
    assert warehouses == [
        ("padma", "Dhaka Central"),
        ("padma", "Chattogram Port"),
        ("padma", "Gazipur"),
        ("northwind", "Newark NJ"),
        ("northwind", "Dallas TX"),
    ]
    for code, company_id in seeded.company_ids().items():
        accounts = {
            c
            for (c,) in seeded.rows(
                "SELECT code FROM gl_accounts WHERE company_id = :c", c=company_id
            )
        }
        assert {
            "1010",
            "1020",
            "1100",
            "1200",
            "2000",
            "2100",
            "3000",
            "4000",
            "5000",
            "6100",
            "6200",
            "6300",
        } <= accounts
        banks = seeded.rows(
            "SELECT b.account_number_masked, a.code FROM bank_accounts b "
            "JOIN gl_accounts a ON a.id = b.gl_account_id WHERE b.company_id = :c ORDER BY a.code",
            c=company_id,
        )
        assert [a for _, a in banks] == ["1010", "1020"]
        assert all(re.fullmatch(r"\*{4}\d{4}", masked) for masked, _ in banks)
        products = seeded.rows(
            "SELECT list_price, standard_cost, tax_rate_pct, is_sellable, reorder_level, "
            "reorder_qty FROM products WHERE company_id = :c",
            c=company_id,
        )
        sellable = [p for p in products if p[3]]
        assert len(sellable) < len(products)  # a few are never sold
        assert all(0 < cost < price for price, cost, _, _, _, _ in sellable)
        assert all(level > 0 and qty > 0 for *_, level, qty in sellable)
        rates = {rate for _, _, rate, sellable_flag, _, _ in products if sellable_flag}
        assert rates == ({1500} if code == "padma" else {825})  # 15.00 % / 8.25 %
        terms = {
            t
            for (t,) in seeded.rows(
                "SELECT DISTINCT payment_terms_days FROM customers WHERE company_id = :c",
                c=company_id,
            )
        }
        assert terms <= {15, 30, 45, 60} and len(terms) >= 2


def test_roles_and_permissions_come_from_the_catalogue(seeded: Seeded) -> None:
    grants = defaultdict(set)
    for role, permission in seeded.rows(
        "SELECT r.code, p.code FROM role_permissions rp JOIN roles r ON r.id = rp.role_id "
        "JOIN permissions p ON p.id = rp.permission_id"
    ):
        grants[role].add(permission)
    assert {r: set(perms) for r, (_, perms) in ROLES.items()} == dict(grants)
    assert {p for (p,) in seeded.rows("SELECT code FROM permissions")} == set(PERMISSIONS)


def test_demo_users_exist_with_every_role(seeded: Seeded) -> None:
    users = demo_users()
    stored = {
        username: (company, password_hash)
        for username, company, password_hash in seeded.rows(
            "SELECT u.username, c.code, u.password_hash FROM users u "
            "JOIN companies c ON c.id = u.company_id"
        )
    }
    assert set(stored) == {u.username for u in users}
    for user in users:
        assert stored[user.username][0] == user.company_code
        assert user.password not in stored[user.username][1]
    for user in users[:2]:  # hashing is deliberately slow: two are enough
        assert verify_password(user.password, stored[user.username][1])
    roles = defaultdict(set)
    for company, role in seeded.rows(
        "SELECT c.code, r.code FROM users u JOIN companies c ON c.id = u.company_id "
        "JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id"
    ):
        roles[company].add(role)
    assert roles == {"padma": set(ROLES), "northwind": set(ROLES)}


def test_demo_users_are_deterministic_and_readable() -> None:
    users = demo_users()
    assert users == demo_users(DEFAULT_SEED)
    assert [u.password for u in users] != [u.password for u in demo_users(7)]
    names = {u.username for u in users}
    for company in ("padma", "northwind"):
        for suffix in ("finance", "sales", "sales2", "warehouse", "approver", "admin", "trainer"):
            assert f"{company}.{suffix}" in names
    for user in users:
        assert re.fullmatch(r"[a-z]+-[a-z]+-\d{2}", user.password)
    assert len({u.password for u in users}) == len(users)


# --- safety, determinism, both backends ------------------------------------------------


def test_refuses_a_database_that_has_companies(seeded: Seeded) -> None:
    before = seeded.scalar("SELECT COUNT(*) FROM sales_orders")
    with pytest.raises(SeedError, match="already has 2 companies"):
        seed(seeded.engine, as_of=AS_OF, scale=SCALE)
    assert seeded.scalar("SELECT COUNT(*) FROM sales_orders") == before
    assert seeded.scalar("SELECT COUNT(*) FROM companies") == 2


def test_application_inserts_continue_after_the_seeded_ids(seeded: Seeded) -> None:
    """Ids were given by the seeder: the database's own counters must be past them."""
    with Session(seeded.engine) as session:
        company = session.scalar(select(Company).where(Company.code == "padma"))
        customer = Customer(
            company_id=company.id,
            code="CUST-TEST",
            name="Test Customer",
            city="Dhaka",
            credit_limit=Decimal("1000.00"),
            created_at=AS_OF,
        )
        session.add(customer)
        session.flush()
        assert customer.id > seeded.summary.count("customers")
        session.rollback()


def test_summary_counts_match_the_database(seeded: Seeded) -> None:
    summary = seeded.summary
    for table, per_company in summary.counts.items():
        assert seeded.scalar(f"SELECT COUNT(*) FROM {table}") == sum(per_company.values()), table
    assert summary.count("companies") == 2
    assert summary.count("sales_orders", "padma") > 0
    assert summary.as_of == AS_OF and summary.start == date(2025, 9, 22)
    assert "sales_orders" in summary.describe()


def test_same_seed_gives_the_same_rows(seeded_sqlite: Seeded, tmp_path) -> None:
    engine = _new_database(_sqlite(tmp_path / "again.db"))
    stages: dict[str, tuple[int, int]] = {}
    with Session(engine) as session:  # the Session form: the caller commits
        seed(
            session,
            as_of=AS_OF,
            scale=SCALE,
            progress=lambda stage, done, total: stages.__setitem__(stage, (done, total)),
        )
        session.commit()
    assert digest(engine) == digest(seeded_sqlite.engine)
    assert stages["insert"][0] == stages["insert"][1] > 0
    assert "simulate padma" in stages and "simulate northwind" in stages
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_holds_the_same_rows_as_sqlite(
    seeded_postgres: Seeded, seeded_sqlite: Seeded
) -> None:
    assert digest(seeded_postgres.engine) == digest(seeded_sqlite.engine)


def test_another_seed_gives_other_data(tmp_path) -> None:
    engine = _new_database(_sqlite(tmp_path / "other.db"))
    summary = seed(engine, as_of=AS_OF, scale=0.1, seed=7)
    with engine.connect() as connection:
        names = connection.execute(text("SELECT name FROM customers ORDER BY id")).scalars().all()
    assert summary.count("companies") == 2 and names
    assert "Rahman Traders" in names  # the anchor names are always there
    engine.dispose()


def test_rejects_bad_arguments(tmp_path) -> None:
    with pytest.raises(ValueError):
        seed(f"sqlite:///{tmp_path / 'x.db'}", as_of=AS_OF, scale=0)
    with pytest.raises(TypeError):
        seed(f"sqlite:///{tmp_path / 'x.db'}", as_of="2026-11-22")  # type: ignore[arg-type]


# --- the full-size demo ---------------------------------------------------------------------


def test_full_scale_meets_the_promised_sizes(full_scale: Seeded) -> None:
    s = full_scale.summary
    assert s.count("customers") >= 200
    assert s.count("products") >= 100
    assert s.count("suppliers") >= 50
    assert s.count("sales_orders") >= 4000
    assert s.count("customer_invoices") >= 3000
    assert s.count("purchase_orders") >= 300
    for code in ("padma", "northwind"):
        assert s.count("customers", code) >= 100
        assert s.count("products", code) >= 50
    first_words = defaultdict(int)
    for (name,) in full_scale.rows("SELECT name FROM customers"):
        first_words[name.split()[0]] += 1
    assert sum(1 for n in first_words.values() if n >= 3) >= 5  # fuzzy matching has work to do
    assert full_scale.scalar("SELECT COUNT(*) FROM customers WHERE NOT is_active") >= 2


def test_full_scale_has_the_contract_examples(full_scale: Seeded) -> None:
    padma = full_scale.company_ids()["padma"]
    for table, number in (
        ("purchase_orders", "PO-2025-0042"),
        ("sales_orders", "SO-2025-00123"),
        ("customer_invoices", "INV-2025-00456"),
        ("payments", "RCPT-2025-00234"),
    ):
        assert (
            full_scale.scalar(
                f"SELECT COUNT(*) FROM {table} WHERE company_id = :c AND number = :n",
                c=padma,
                n=number,
            )
            == 1
        ), number


def test_full_scale_weekly_rhythm(full_scale: Seeded) -> None:
    """Fewer orders at the weekend: Friday/Saturday in Bangladesh, Saturday/Sunday in the US."""
    for code, weekend in (("padma", {"5", "6"}), ("northwind", {"6", "0"})):
        counts = dict(
            full_scale.rows(
                "SELECT strftime('%w', o.order_date), COUNT(*) FROM sales_orders o "
                "JOIN companies c ON c.id = o.company_id WHERE c.code = :code GROUP BY 1",
                code=code,
            )
        )
        weekday_avg = sum(v for k, v in counts.items() if k not in weekend) / 5
        assert all(counts.get(day, 0) < weekday_avg * 0.7 for day in weekend), code


def test_full_scale_receivables_and_cash_tell_a_story(full_scale: Seeded) -> None:
    for code, company_id in full_scale.company_ids().items():
        open_items = full_scale.rows(
            "SELECT due_date, total - amount_paid, customer_id FROM customer_invoices "
            "WHERE company_id = :c AND status IN ('posted', 'partially_paid')",
            c=company_id,
        )
        total = sum(amount for _, amount, _ in open_items)
        old = [
            (amount, customer)
            for due, amount, customer in open_items
            if (AS_OF - _as_date(due)).days > 60
        ]
        share = sum(a for a, _ in old) / total
        assert 0.1 <= share <= 0.3, (code, share)
        by_customer = defaultdict(int)
        for amount, customer in old:
            by_customer[customer] += amount
        top = sorted(by_customer.values(), reverse=True)[:5]
        assert sum(top) / sum(by_customer.values()) > 0.8, code  # a handful of slow payers
        bad = full_scale.scalar(
            "SELECT COUNT(*) FROM products p WHERE p.company_id = :c AND p.is_sellable AND "
            "EXISTS (SELECT 1 FROM stock_levels s WHERE s.product_id = p.id "
            "AND s.quantity < p.reorder_level)",
            c=company_id,
        )
        sellable = full_scale.scalar(
            "SELECT COUNT(*) FROM products WHERE company_id = :c AND is_sellable", c=company_id
        )
        assert 0.05 <= bad / sellable <= 0.2, (code, bad, sellable)
    # Northwind's cash gets tight within four weeks: big bills fall due
    northwind = full_scale.company_ids()["northwind"]
    cash = full_scale.scalar(
        "SELECT SUM(l.debit - l.credit) FROM bank_accounts b JOIN journal_lines l "
        "ON l.account_id = b.gl_account_id WHERE b.company_id = :c",
        c=northwind,
    )
    flows = [0, 0, 0, 0]
    for due, amount in full_scale.rows(
        "SELECT due_date, total - amount_paid FROM customer_invoices WHERE company_id = :c "
        "AND status IN ('posted', 'partially_paid')",
        c=northwind,
    ):
        days = (_as_date(due) - AS_OF).days
        if 0 <= days < 28:
            flows[days // 7] += amount
    for due, amount in full_scale.rows(
        "SELECT due_date, total - amount_paid FROM supplier_bills WHERE company_id = :c "
        "AND status IN ('posted', 'partially_paid')",
        c=northwind,
    ):
        days = (_as_date(due) - AS_OF).days
        if days < 28:
            flows[max(0, days // 7)] -= amount
    balance, lowest = cash, cash
    for flow in flows:
        balance += flow
        lowest = min(lowest, balance)
    assert lowest < cash * 0.25
