"""Raising purchase orders through the confirmed-write protocol, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, text

from actions.erp.db import get_engine
from actions.erp.formatting import format_money
from actions.erp.models import PurchaseOrder, PurchaseOrderStatus
from actions.erp.service import ERPService
from tests.conftest import AS_OF
from tests.writes_support import (
    Dialogue,
    audits,
    company_id,
    execute,
    request,
    session,
    snapshot,
    sql,
    user_id,
)

USER = "padma.warehouse"
COMMAND = "create_purchase_order"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    unit: str
    cost: Decimal


def item(url: str, company: str = "padma") -> Item:
    """An active product with a cost, bought before (so it has suppliers on record)."""
    statement = """
        SELECT p.sku, p.name, p.unit, p.standard_cost FROM products p
        JOIN companies co ON co.id = p.company_id
        WHERE co.code = :company AND p.is_active = :yes AND p.standard_cost > 0
          AND EXISTS (SELECT 1 FROM purchase_order_lines l WHERE l.product_id = p.id)
        ORDER BY p.id LIMIT 1
    """
    with get_engine(url).connect() as connection:
        sku, name, unit, cost = connection.execute(
            text(statement), {"company": company, "yes": True}
        ).one()
    return Item(sku, name, unit, Decimal(cost) / 100)


def supplier(url: str, company: str = "padma") -> tuple[str, str]:
    statement = """
        SELECT s.code, s.name FROM suppliers s JOIN companies co ON co.id = s.company_id
        WHERE co.code = :company AND s.is_active = :yes ORDER BY s.id LIMIT 1
    """
    with get_engine(url).connect() as connection:
        code, name = connection.execute(text(statement), {"company": company, "yes": True}).one()
    return code, name


def latest_tax_rate(url: str, company: str = "padma") -> Decimal:
    statement = """
        SELECT po.subtotal, po.tax_total FROM purchase_orders po
        JOIN companies co ON co.id = po.company_id
        WHERE co.code = :company AND po.subtotal > 0
        ORDER BY po.order_date DESC, po.id DESC LIMIT 1
    """
    with get_engine(url).connect() as connection:
        subtotal, tax = connection.execute(text(statement), {"company": company}).one()
    return (Decimal(tax) * 100 / Decimal(subtotal)).quantize(CENT)


def approver_role(url: str, total: Decimal, company: str = "padma") -> str:
    minor = int(total * 100)
    return sql(
        url,
        """
        SELECT r.code FROM approval_rules a JOIN roles r ON r.id = a.role_id
        JOIN companies co ON co.id = a.company_id
        WHERE co.code = :company AND a.document_type = 'purchase_order'
          AND a.min_amount <= :t AND (a.max_amount IS NULL OR a.max_amount > :t)
        """,
        company=company,
        t=minor,
    )


def purchase_counts(url: str) -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        sql(url, f"SELECT COUNT(*) FROM {table}")
        for table in (
            "purchase_orders",
            "purchase_order_lines",
            "purchase_order_events",
            "document_sequences",
        )
    )


def test_purchase_order_is_created_exactly_as_summarised(
    writer: ERPService, writable_url: str
) -> None:
    product = item(writable_url)
    code, name = supplier(writable_url)
    dialogue = Dialogue(writer, COMMAND, USER)
    reply = dialogue.start(
        f"create a purchase order for 40 units of {product.name} for Dhaka Central",
        product=product.name,
        quantity="40 units",
        warehouse="Dhaka Central",
    )
    assert reply.outcome == "collect" and reply.text == "", reply.text
    assert reply.missing == ["supplier"]
    assert dialogue.say(name, "supplier").missing == []
    assert dialogue.draft == {
        "product": product.sku,
        "quantity": 40,
        "warehouse": dialogue.draft["warehouse"],
        "supplier": code,
    }

    subtotal = (product.cost * 40).quantize(CENT, rounding=ROUND_HALF_UP)
    rate = latest_tax_rate(writable_url)
    tax = (subtotal * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    total = subtotal + tax
    before_propose = (purchase_counts(writable_url), snapshot(writable_url))
    proposal = dialogue.propose()
    assert proposal.outcome == "confirm", proposal.text
    for fragment in (
        name,
        product.name,
        "Dhaka Central",
        f"Subtotal {format_money(subtotal, 'BDT')}",
        f"total {format_money(total, 'BDT')}",
        "submitted for approval",
    ):
        assert fragment in proposal.text, fragment
    # proposing stores a confirmation and nothing else
    assert (purchase_counts(writable_url), snapshot(writable_url)) == before_propose

    done = dialogue.confirm()
    assert done.outcome == "done", done.text
    [audit] = audits(writable_url, COMMAND)
    number = audit.entity_ref
    assert number.startswith("PO-2026-") and number in done.text
    assert audit.details["after"]["total"] == str(total)
    padma = company_id(writable_url, "padma")
    with session(writable_url) as s:
        order = s.scalar(
            select(PurchaseOrder).where(
                PurchaseOrder.number == number, PurchaseOrder.company_id == padma
            )
        )
        assert order is not None
        assert order.status is PurchaseOrderStatus.PENDING_APPROVAL
        assert order.supplier.code == code
        assert order.order_date == AS_OF and order.expected_date > AS_OF
        assert order.created_by == user_id(writable_url, USER)
        assert (order.subtotal, order.tax_total, order.total) == (subtotal, tax, total)
        assert order.approver_role is not None
        assert order.approver_role.code == approver_role(writable_url, total)
        [line] = order.lines
        assert (line.product.sku, line.quantity, line.unit_cost) == (product.sku, 40, product.cost)
        assert [(e.action, e.to_status) for e in order.history] == [
            ("submitted", "pending_approval")
        ]
    # the number came from the ledger's sequence, which now holds it
    last = sql(
        writable_url,
        "SELECT last_value FROM document_sequences WHERE company_id = :c AND prefix = 'PO' "
        "AND year = 2026",
        c=padma,
    )
    assert number == f"PO-2026-{last:04d}"

    after = purchase_counts(writable_url)
    again = dialogue.confirm()
    assert again.outcome == "done" and "already done" in again.text
    assert purchase_counts(writable_url) == after


def test_bad_input_is_refused_with_a_clear_message(writer: ERPService, writable_url: str) -> None:
    product = item(writable_url)
    dialogue = Dialogue(writer, COMMAND, USER)
    dialogue.start(f"order {product.name}", product=product.name)
    for quantity in ("0", "-5"):
        reply = dialogue.say(quantity, "quantity")
        assert reply.outcome == "collect" and "quantity" not in reply.draft
        assert "at least 1" in reply.text or "from 1 to" in reply.text, reply.text
    unknown = dialogue.say("Atlantis Depot", "warehouse")
    assert "warehouse" not in unknown.draft and unknown.text
    nobody = dialogue.say("Zzyzx Imaginary Traders", "supplier")
    assert "supplier" not in nobody.draft and nobody.text
    missing = Dialogue(writer, COMMAND, USER).start(
        "order 5 Moon Rock Polish", product="Moon Rock Polish", quantity="5"
    )
    assert "product" not in missing.draft and missing.draft.get("quantity") == 5
    assert missing.text
    # a tampered draft is checked again when the summary is made
    before = purchase_counts(writable_url)
    code, _ = supplier(writable_url)
    tampered = Dialogue(writer, COMMAND, USER)
    tampered.draft = {"product": product.sku, "quantity": 0, "warehouse": "DHK", "supplier": code}
    reply = tampered.propose()
    assert reply.outcome == "collect" and reply.missing == ["quantity"]
    assert purchase_counts(writable_url) == before


def test_permission_and_company_are_checked_in_the_service(
    writer: ERPService, writable_url: str
) -> None:
    product = item(writable_url)
    before = purchase_counts(writable_url)
    for user in ("padma.sales", "padma.finance", "padma.trainer"):
        reply = Dialogue(writer, COMMAND, user).start(product.name, product=product.name)
        assert reply.outcome == "refused", user
        assert "raise purchase orders" in reply.text
    # another company's product is not found: nothing of it is read into the draft
    other = Dialogue(writer, COMMAND, "northwind.warehouse").start(
        product.sku, product=product.sku, quantity="5"
    )
    assert other.outcome == "collect"
    found = other.draft.get("product")
    # a close name may find one of northwind's own products, never padma's
    assert found is None or sql(
        writable_url,
        "SELECT COUNT(*) FROM products p JOIN companies c ON c.id = p.company_id "
        "WHERE c.code = 'northwind' AND p.sku = :s",
        s=found,
    )
    assert found is not None or other.text
    # a user claiming another company is refused before anything is read
    claim = writer.start_write(
        COMMAND, "northwind.warehouse", "padma", request(product.sku, product=product.sku)
    )
    assert claim.outcome == "refused"
    assert purchase_counts(writable_url) == before


def test_a_cost_change_after_the_summary_writes_nothing(
    writer: ERPService, writable_url: str
) -> None:
    product = item(writable_url)
    _, name = supplier(writable_url)
    dialogue = Dialogue(writer, COMMAND, USER)
    dialogue.start("", product=product.sku, quantity="12", warehouse="Dhaka Central", supplier=name)
    assert dialogue.reply is not None and dialogue.reply.missing == []
    assert dialogue.propose().outcome == "confirm"
    execute(
        writable_url,
        "UPDATE products SET standard_cost = standard_cost + 100 WHERE sku = :s "
        "AND company_id = :c",
        s=product.sku,
        c=company_id(writable_url, "padma"),
    )
    before = purchase_counts(writable_url)
    reply = dialogue.confirm()
    assert reply.outcome == "failed" and "changed" in reply.text
    assert purchase_counts(writable_url) == before
