"""Sales orders, customers, invoice posting and payments end to end, through NLU.

Each test holds a whole conversation with both real servers, answering
whatever the form asks, then checks the database: the new rows, the
documents' amounts and statuses, balanced journal entries and audit rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import RunningStack, query, running_stack, text_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    var_dir: Path = tmp_path_factory.mktemp("write-commands-stack")
    with running_stack(var_dir, seed_scale=0.3) as running:
        yield running


def money(cents: int) -> Decimal:
    return Decimal(int(cents)) / 100


def converse(
    stack: RunningStack, user: str, sender: str, opening: str, answers: dict[str, str]
) -> str:
    """Say `opening`, answer each question by a phrase it contains, until the summary."""
    return converse_until(stack, user, sender, opening, answers, stop="Please confirm")


def converse_until(
    stack: RunningStack, user: str, sender: str, opening: str, answers: dict[str, str], stop: str
) -> str:
    """Say `opening`, answer each question by a phrase it contains, until a reply says `stop`."""
    reply = text_of(stack.say(user, opening, sender))
    for _ in range(10):
        if stop in reply:
            return reply
        asked = next((phrase for phrase in answers if phrase in reply), None)
        assert asked is not None, f"unexpected reply: {reply}"
        reply = text_of(stack.say(user, answers.pop(asked), sender))
    raise AssertionError(f"no reply saying {stop!r} after the answers: {reply}")


def customer_with_room(stack: RunningStack) -> str:
    """An active padma customer with the largest limit and nothing open against it."""
    return query(
        stack,
        """SELECT c.name FROM customers c JOIN companies co ON co.id = c.company_id
           WHERE co.code = 'padma' AND c.is_active
             AND NOT EXISTS (SELECT 1 FROM customer_invoices i WHERE i.customer_id = c.id
                 AND i.status IN ('posted', 'partially_paid'))
             AND NOT EXISTS (SELECT 1 FROM sales_orders o WHERE o.customer_id = c.id
                 AND o.status IN ('confirmed', 'delivered'))
           ORDER BY c.credit_limit DESC LIMIT 1""",
    )[0][0]


def assistant_audit(stack: RunningStack, action: str, ref: str) -> dict[str, Any]:
    [(details,)] = query(
        stack,
        "SELECT details FROM audit_log WHERE source = 'assistant' AND action = :a"
        " AND entity_ref = :r",
        a=action,
        r=ref,
    )
    return json.loads(details) if isinstance(details, str) else details


def entry_lines(stack: RunningStack, entry_id: int) -> dict[str, tuple[Decimal, Decimal]]:
    rows = query(
        stack,
        """SELECT a.code, l.debit, l.credit FROM journal_lines l
           JOIN gl_accounts a ON a.id = l.account_id WHERE l.entry_id = :e""",
        e=entry_id,
    )
    return {code: (money(dr), money(cr)) for code, dr, cr in rows}


def test_sales_order_with_a_correction(stack: RunningStack) -> None:
    customer = customer_with_room(stack)
    product, warehouse, price, tax = query(
        stack,
        """SELECT p.name, w.name, p.list_price, p.tax_rate_pct FROM stock_levels s
           JOIN companies co ON co.id = s.company_id
           JOIN products p ON p.id = s.product_id AND p.is_sellable AND p.is_active
           JOIN warehouses w ON w.id = s.warehouse_id
           WHERE co.code = 'padma' AND s.quantity >= 20 ORDER BY p.list_price LIMIT 1""",
    )[0]
    [(discount,)] = query(stack, "SELECT discount_pct FROM customers WHERE name = :n", n=customer)
    summary = converse(
        stack,
        "padma.sales",
        "so-1",
        f"create a sales order for {customer}",
        {
            "Which customer": customer,
            "Which products": f"5 {product}",
            "Which warehouse": warehouse,
            "When does the customer want it": "tomorrow",
        },
    )
    assert customer in summary and product in summary
    corrected = text_of(stack.say("padma.sales", "make it 8 units", "so-1"))
    assert "Please confirm" in corrected and "8" in corrected
    done = text_of(stack.say("padma.sales", "yes", "so-1"))
    assert "Done" in done
    [(number, order_id, subtotal, discount_total, tax_total, total, status)] = query(
        stack,
        """SELECT number, id, subtotal, discount_total, tax_total, total, status
           FROM sales_orders WHERE id = (SELECT MAX(id) FROM sales_orders)""",
    )
    assert number in done and status == "confirmed"
    [(quantity, unit_price)] = query(
        stack, "SELECT quantity, unit_price FROM sales_order_lines WHERE order_id = :o", o=order_id
    )
    assert (quantity, unit_price) == (8, price)
    gross = money(price) * 8
    net = (gross * (1 - money(discount) / 100)).quantize(Decimal("0.01"))
    assert money(subtotal) == gross
    assert money(discount_total) == gross - net
    assert money(tax_total) == (net * money(tax) / 100).quantize(Decimal("0.01"))
    assert money(total) == net + money(tax_total)
    assert assistant_audit(stack, "create_sales_order", number)["after"]


def test_sales_order_beyond_stock_offers_what_is_there(stack: RunningStack) -> None:
    customer = customer_with_room(stack)
    product, warehouse, available = query(
        stack,
        """SELECT p.name, w.name, s.quantity FROM stock_levels s
           JOIN companies co ON co.id = s.company_id
           JOIN products p ON p.id = s.product_id AND p.is_sellable AND p.is_active
           JOIN warehouses w ON w.id = s.warehouse_id
           WHERE co.code = 'padma' AND s.quantity BETWEEN 2 AND 50
           ORDER BY p.list_price LIMIT 1""",
    )[0]
    before = query(stack, "SELECT COUNT(*) FROM sales_orders")[0][0]
    reply = text_of(
        stack.say(
            "padma.sales",
            f"create a sales order for {customer}: {available + 1000} {product} from {warehouse}",
            "so-short",
        )
    )
    if "Which products" not in reply and "in stock" not in reply:
        reply = text_of(stack.say("padma.sales", "tomorrow", "so-short"))
    assert f"Only {available}" in reply or f"only {available}" in reply, reply
    assert "Cancelled" in text_of(stack.say("padma.sales", "cancel", "so-short"))
    assert query(stack, "SELECT COUNT(*) FROM sales_orders")[0][0] == before


def test_new_customer_and_a_near_duplicate(stack: RunningStack) -> None:
    summary = converse(
        stack,
        "padma.sales",
        "cust-1",
        "add a new customer",
        {
            "new customer's name": "Zephyr Loom Works",
            "contact details": "accounts@zephyrloom.example, 01711-234567",
            "Which city": "Sylhet",
            "payment terms": "30 days",
            "credit limit": "2 lakh",
        },
    )
    assert "Zephyr Loom Works" in summary
    assert "Done" in text_of(stack.say("padma.sales", "yes", "cust-1"))
    [(code, email, phone, city, terms, limit)] = query(
        stack,
        """SELECT code, email, phone, city, payment_terms_days, credit_limit
           FROM customers WHERE name = 'Zephyr Loom Works'""",
    )
    assert (email, city, terms, money(limit)) == (
        "accounts@zephyrloom.example",
        "Sylhet",
        30,
        Decimal("200000"),
    )
    assert "234567" in phone
    assert assistant_audit(stack, "create_customer", code)
    duplicate = text_of(stack.say("padma.sales", "create customer Zephyr Loom Works Ltd", "cust-2"))
    assert "Zephyr Loom Works" in duplicate and "already" in duplicate
    stack.say("padma.sales", "cancel", "cust-2")
    assert query(stack, "SELECT COUNT(*) FROM customers WHERE name LIKE 'Zephyr%'")[0][0] == 1


def test_credit_limit_above_the_role_ceiling(stack: RunningStack) -> None:
    reply = converse_until(
        stack,
        "padma.sales",
        "cust-big",
        "create customer Quartz Mills Bogura",
        {
            "contact details": "info@quartzmills.example",
            "Which city": "Bogura",
            "payment terms": "45 days",
            "credit limit": "5 crore",
        },
        stop="up to",
    )
    assert "up to BDT 10,00,000.00" in reply
    stack.say("padma.sales", "cancel", "cust-big")
    assert query(stack, "SELECT COUNT(*) FROM customers WHERE name LIKE 'Quartz%'")[0][0] == 0


def test_post_a_draft_invoice(stack: RunningStack) -> None:
    company, number, total, subtotal = query(
        stack,
        """SELECT c.code, i.number, i.total, i.subtotal FROM customer_invoices i
           JOIN companies c ON c.id = i.company_id
           WHERE i.status = 'draft' ORDER BY c.code DESC, i.number LIMIT 1""",
    )[0]
    finance = f"{company}.finance"
    summary = text_of(stack.say(finance, f"post {number}", "inv-1"))
    assert f"{number}" in summary and "Please confirm" in summary
    assert "Done" in text_of(stack.say(finance, "yes", "inv-1"))
    [(status, entry_id)] = query(
        stack,
        """SELECT i.status, i.journal_entry_id FROM customer_invoices i
           JOIN companies c ON c.id = i.company_id WHERE c.code = :c AND i.number = :n""",
        c=company,
        n=number,
    )
    assert status == "posted"
    lines = entry_lines(stack, entry_id)
    assert lines["1100"] == (money(total), Decimal("0"))
    assert lines["4000"] == (Decimal("0"), money(subtotal))
    assert sum(dr - cr for dr, cr in lines.values()) == 0
    assert assistant_audit(stack, "post_invoice", number)["after"]["status"] == "posted"
    again = text_of(stack.say(finance, f"post {number}", "inv-2"))
    assert "posted" in again and "Please confirm" not in again
    stack.say(finance, "cancel", "inv-2")


def test_customer_receipt_settles_the_oldest_invoice(stack: RunningStack) -> None:
    customer, oldest, open_cents = query(
        stack,
        """SELECT c.name, i.number, i.total - i.amount_paid FROM customer_invoices i
           JOIN customers c ON c.id = i.customer_id JOIN companies co ON co.id = i.company_id
           WHERE co.code = 'padma' AND i.status IN ('posted', 'partially_paid')
           ORDER BY i.due_date, i.id LIMIT 1""",
    )[0]
    amount = money(open_cents)
    summary = converse(
        stack,
        "padma.finance",
        "rcpt-1",
        f"received {amount} taka from {customer}",
        {
            "receipt from a customer": "customer receipt",
            "Which customer or supplier": customer,
            "bank account": "Operating account",
            "How much": f"{amount}",
            "Which invoices": "oldest first",
        },
    )
    assert oldest in summary
    done = text_of(stack.say("padma.finance", "yes", "rcpt-1"))
    assert "Done" in done
    [(number, payment_cents, entry_id)] = query(
        stack,
        "SELECT number, amount, journal_entry_id FROM payments"
        " WHERE id = (SELECT MAX(id) FROM payments)",
    )
    assert number.startswith("RCPT-") and money(payment_cents) == amount
    [(status, paid, total)] = query(
        stack,
        """SELECT i.status, i.amount_paid, i.total FROM customer_invoices i
           JOIN companies c ON c.id = i.company_id WHERE c.code = 'padma' AND i.number = :n""",
        n=oldest,
    )
    assert status == "paid" and paid == total
    lines = entry_lines(stack, entry_id)
    assert lines["1100"] == (Decimal("0"), amount)
    assert sum(dr - cr for dr, cr in lines.values()) == 0
    assert assistant_audit(stack, "record_payment", number)


def test_payment_refuses_more_than_is_open(stack: RunningStack) -> None:
    supplier, open_cents = query(
        stack,
        """SELECT s.name, SUM(b.total - b.amount_paid) FROM supplier_bills b
           JOIN suppliers s ON s.id = b.supplier_id JOIN companies c ON c.id = b.company_id
           WHERE c.code = 'padma' AND b.status IN ('posted', 'partially_paid')
           GROUP BY s.name ORDER BY 2 LIMIT 1""",
    )[0]
    before = query(stack, "SELECT COUNT(*) FROM payments")[0][0]
    too_much = money(open_cents) * 10
    reply = converse_until(
        stack,
        "padma.finance",
        "pay-1",
        f"record a payment of {too_much} taka to {supplier}",
        {
            "receipt from a customer": "supplier payment",
            "Which customer or supplier": supplier,
            "bank account": "Operating account",
        },
        stop="open",
    )
    assert "open" in reply and "Please confirm" not in reply
    stack.say("padma.finance", "cancel", "pay-1")
    assert query(stack, "SELECT COUNT(*) FROM payments")[0][0] == before


def test_wrong_role_and_wrong_currency(stack: RunningStack) -> None:
    refused = text_of(stack.say("padma.warehouse", "post an invoice", "role-1"))
    assert "does not allow you to post invoices" in refused
    reply = text_of(
        stack.say("padma.finance", "received 500 USD from Meghna Textiles", "currency-1")
    )
    assert "BDT" in reply
    stack.say("padma.finance", "cancel", "currency-1")
