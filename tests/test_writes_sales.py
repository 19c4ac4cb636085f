"""Creating sales orders through the confirmed-write protocol, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select, text

from actions.erp.db import get_engine
from actions.erp.formatting import format_money
from actions.erp.models import SalesOrder, SalesOrderStatus
from actions.erp.service import ERPService
from tests.conftest import AS_OF
from tests.writes_support import (
    Dialogue,
    audits,
    company_id,
    execute,
    session,
    snapshot,
    sql,
    user_id,
)

SQLITE_ONLY = pytest.mark.parametrize("writable_url", ["sqlite"], indirect=True)
CENT = Decimal("0.01")
USER = "padma.sales"
COMMAND = "create_sales_order"


@dataclass(frozen=True)
class Customer:
    code: str
    name: str
    discount: Decimal
    limit: Decimal
    exposure: Decimal

    @property
    def room(self) -> Decimal:
        return self.limit - self.exposure


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    unit: str
    price: Decimal
    cost: Decimal
    tax: Decimal
    stock: int


EXPOSURE_SQL = """
    SELECT c.code, c.name, c.discount_pct, c.credit_limit,
      (SELECT COALESCE(SUM(i.total - i.amount_paid), 0) FROM customer_invoices i
        WHERE i.customer_id = c.id AND i.status IN ('posted', 'partially_paid'))
      + (SELECT COALESCE(SUM(s.total), 0) FROM sales_orders s
        WHERE s.customer_id = c.id AND s.status IN ('confirmed', 'delivered')
          AND NOT EXISTS (SELECT 1 FROM customer_invoices i WHERE i.sales_order_id = s.id
                          AND i.status IN ('posted', 'partially_paid', 'paid')))
    FROM customers c JOIN companies co ON co.id = c.company_id
    WHERE co.code = :company AND c.is_active = :active
    ORDER BY c.id
"""


def customers(url: str, company: str = "padma", active: bool = True) -> list[Customer]:
    with get_engine(url).connect() as connection:
        rows = connection.execute(text(EXPOSURE_SQL), {"company": company, "active": active})
        return [
            Customer(code, name, Decimal(d) / 100, Decimal(limit) / 100, Decimal(exp) / 100)
            for code, name, d, limit, exp in rows
        ]


def products(url: str, warehouse: str = "DHK", company: str = "padma") -> list[Product]:
    statement = """
        SELECT p.sku, p.name, p.unit, p.list_price, p.standard_cost, p.tax_rate_pct, s.quantity
        FROM products p
        JOIN companies co ON co.id = p.company_id
        JOIN stock_levels s ON s.product_id = p.id
        JOIN warehouses w ON w.id = s.warehouse_id
        WHERE co.code = :company AND w.code = :warehouse
          AND p.is_sellable = :yes AND p.is_active = :yes
        ORDER BY p.list_price, p.id
    """
    with get_engine(url).connect() as connection:
        rows = connection.execute(
            text(statement), {"company": company, "warehouse": warehouse, "yes": True}
        )
        return [
            Product(sku, name, unit, Decimal(lp) / 100, Decimal(sc) / 100, Decimal(t) / 100, q)
            for sku, name, unit, lp, sc, t, q in rows
        ]


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_figures(price: Decimal, quantity: int, discount: Decimal, tax: Decimal):
    """The demo ERP's arithmetic: (gross, net, tax), each rounded half up to cents."""
    gross = money(price * quantity)
    net = money(gross * (1 - discount / 100))
    return gross, net, money(net * tax / 100)


def roomiest(url: str, *, discounted: bool = False) -> Customer:
    pool = [c for c in customers(url) if c.discount > 0 or not discounted]
    return max(pool, key=lambda c: c.room)


# --- the whole conversation, on both databases ---------------------------------------


def test_order_with_corrections_is_created_exactly_as_summarised(
    writer: ERPService, writable_url: str
) -> None:
    customer = roomiest(writable_url, discounted=True)
    stocked = [p for p in products(writable_url) if p.stock >= 50]
    first, second, third = stocked[-1], stocked[-2], stocked[0]
    dialogue = Dialogue(writer, COMMAND, USER)

    reply = dialogue.start(
        f"new order for {customer.name}: 10 {first.name} and 5 {second.name}",
        customer=customer.name,
        product=[first.name, second.name],
        quantity=["10", "5"],
    )
    assert reply.outcome == "collect" and reply.text == ""
    assert reply.missing == ["warehouse", "requested_date"]
    assert dialogue.say("Dhaka Central", "warehouse", warehouse="Dhaka Central").missing == [
        "requested_date"
    ]
    assert dialogue.say("30 nov", "requested_date", time_period="30 nov").missing == []
    assert dialogue.draft["requested_date"] == "2026-11-30"
    # corrections: a bare quantity changes the last line, a new product is added
    dialogue.say("make it 12 units", quantity="12 units")
    price = third.cost  # at cost is allowed, below is not
    dialogue.say(
        f"add 20 {third.name} at {price} each",
        product=third.name,
        quantity="20",
        amount=str(price),
    )
    assert [(ln["product"], ln["quantity"]) for ln in dialogue.draft["lines"]] == [
        (first.sku, 10),
        (second.sku, 12),
        (third.sku, 20),
    ]

    expected = [
        (first, 10, first.price),
        (second, 12, second.price),
        (third, 20, price),
    ]
    figures = [line_figures(p, q, customer.discount, prod.tax) for prod, q, p in expected]
    subtotal = sum(g for g, _, _ in figures)
    discount = sum(g - n for g, n, _ in figures)
    tax = sum(t for _, _, t in figures)
    total = subtotal - discount + tax
    assert customer.exposure + total <= customer.limit

    proposal = dialogue.propose()
    assert proposal.outcome == "confirm", proposal.text
    for fragment in (
        customer.name,
        "Dhaka Central",
        "30 Nov 2026",
        first.name,
        second.name,
        third.name,
        f"Subtotal {format_money(subtotal, 'BDT')}",
        f"discount {format_money(discount, 'BDT')}",
        f"tax {format_money(tax, 'BDT')}",
        f"total {format_money(total, 'BDT')}",
        f"limit {format_money(customer.limit, 'BDT')}",
        f"already used {format_money(customer.exposure, 'BDT')}",
    ):
        assert fragment in proposal.text, fragment
    assert [row["product"] for row in proposal.payloads[0]["rows"]] == [
        first.name,
        second.name,
        third.name,
    ]

    before = snapshot(writable_url)
    done = dialogue.confirm()
    assert done.outcome == "done", done.text
    [audit] = audits(writable_url, COMMAND)
    number = audit.entity_ref
    assert number.startswith("SO-2026-") and number in done.text
    assert audit.source == "assistant"
    assert audit.details["before"] == {} and audit.details["after"]["number"] == number
    assert audit.details["after"]["total"] == str(total)

    padma = company_id(writable_url, "padma")
    with session(writable_url) as s:
        order = s.scalar(
            select(SalesOrder).where(SalesOrder.number == number, SalesOrder.company_id == padma)
        )
        assert order is not None
        assert order.status == SalesOrderStatus.CONFIRMED
        assert order.customer.code == customer.code
        assert order.order_date == AS_OF
        assert order.requested_date == date(2026, 11, 30)
        assert order.created_by == user_id(writable_url, USER)
        assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (
            subtotal,
            discount,
            tax,
            total,
        )
        lines = sorted(order.lines, key=lambda ln: ln.id)
        assert [(ln.product.sku, ln.quantity, ln.unit_price) for ln in lines] == [
            (prod.sku, q, p) for prod, q, p in expected
        ]
        assert [ln.line_total for ln in lines] == [n for _, n, _ in figures]
        assert all(ln.discount_pct == customer.discount for ln in lines)
        assert [ln.tax_rate_pct for ln in lines] == [prod.tax for prod, _, _ in expected]
    after = snapshot(writable_url)
    assert after["sales_orders"] == before["sales_orders"] + 1
    assert after["sales_order_lines"] == before["sales_order_lines"] + 3
    # a second confirm of the same token reports the first result and writes nothing
    again = dialogue.confirm()
    assert again.outcome == "done" and "already done" in again.text
    assert snapshot(writable_url) == after


def test_order_over_the_credit_limit_is_refused_with_the_figures(
    writer: ERPService, writable_url: str
) -> None:
    pool = [c for c in customers(writable_url) if c.room >= 10_000]
    customer = min(pool, key=lambda c: c.room)
    product = max(products(writable_url), key=lambda p: p.price * p.stock)
    unit_total = line_figures(product.price, 1, customer.discount, product.tax)
    quantity = math.ceil(customer.room / (unit_total[1] + unit_total[2])) + 1
    assert quantity <= product.stock, "test data: not enough stock to exceed the limit"
    _, net, tax = line_figures(product.price, quantity, customer.discount, product.tax)
    total = net + tax

    dialogue = Dialogue(writer, COMMAND, USER)
    dialogue.start(
        f"order {quantity} {product.name} for {customer.name} from Dhaka Central tomorrow",
        customer=customer.code,
        product=product.name,
        quantity=str(quantity),
        warehouse="Dhaka Central",
        time_period="tomorrow",
    )
    assert dialogue.reply and dialogue.reply.missing == []
    before = snapshot(writable_url)
    refused = dialogue.propose()
    assert refused.outcome == "failed"
    assert "credit limit" in refused.text
    for figure in (customer.limit, customer.exposure, total):
        assert format_money(figure, "BDT") in refused.text, figure
    assert snapshot(writable_url) == before
    assert sql(writable_url, "SELECT COUNT(*) FROM confirmations") == 0


def test_stale_summary_is_refused_and_nothing_is_written(
    writer: ERPService, writable_url: str
) -> None:
    customer = roomiest(writable_url)
    product = [p for p in products(writable_url) if p.stock >= 20][-1]
    dialogue = Dialogue(writer, COMMAND, USER)
    dialogue.start(
        "new order",
        customer=customer.name,
        product=product.name,
        quantity="3",
        warehouse="Dhaka Central",
        time_period="tomorrow",
    )
    assert dialogue.propose().outcome == "confirm"
    # stock moves after the summary was shown
    execute(
        writable_url,
        "UPDATE stock_levels SET quantity = quantity - 1 WHERE product_id = "
        "(SELECT id FROM products WHERE sku = :sku AND company_id = "
        "(SELECT id FROM companies WHERE code = 'padma')) AND warehouse_id = "
        "(SELECT id FROM warehouses WHERE code = 'DHK' AND company_id = "
        "(SELECT id FROM companies WHERE code = 'padma'))",
        sku=product.sku,
    )
    before = snapshot(writable_url)
    failed = dialogue.confirm()
    assert failed.outcome == "failed"
    assert "changed" in failed.text and failed.text.startswith("Nothing was changed")
    assert snapshot(writable_url) == before


# --- stock, lines and corrections (SQLite is enough) ----------------------------------


@SQLITE_ONLY
def test_short_stock_offers_what_is_there_and_make_it_n_or_another_warehouse_fixes_it(
    writer: ERPService, writable_url: str
) -> None:
    customer = roomiest(writable_url)
    low_stock = {p.sku: p for p in products(writable_url, "CTG")}
    high_stock = {p.sku: p for p in products(writable_url, "DHK")}
    candidates = [
        (low_stock[sku], high_stock[sku])
        for sku in low_stock.keys() & high_stock.keys()
        if 0 < low_stock[sku].stock < high_stock[sku].stock
        and low_stock[sku].price * (low_stock[sku].stock + 1) * 2 < customer.room
    ]
    low, _ = min(candidates, key=lambda pair: pair[0].price * pair[0].stock)
    wanted = low.stock + 1

    dialogue = Dialogue(writer, COMMAND, USER)
    dialogue.start(
        "new order",
        customer=customer.name,
        product=low.name,
        quantity=str(wanted),
        warehouse="Chattogram Port",
        time_period="tomorrow",
    )
    short = dialogue.propose()
    assert short.outcome == "collect" and short.missing == ["lines"]
    assert f"Only {low.stock:,} {low.unit} of {low.name} are in stock at Chattogram Port" in (
        short.text
    )
    assert f"make it {low.stock}" in short.text
    dropped = dict(dialogue.draft)

    # "make it N" corrects the line that ran short, although the lines were dropped
    fixed = dialogue.say(f"make it {low.stock}", "lines", quantity=str(low.stock))
    assert fixed.missing == [] and dialogue.draft["lines"][0]["quantity"] == low.stock
    assert dialogue.propose().outcome == "confirm"
    assert dialogue.confirm().outcome == "done"

    # or: another warehouse brings the lines back as they were
    other = Dialogue(writer, COMMAND, USER)
    other.draft = dropped
    moved = other.say("ship it from Dhaka Central instead", warehouse="Dhaka Central")
    assert moved.missing == [] and other.draft["lines"][0]["quantity"] == wanted
    assert other.propose().outcome == "confirm"
    assert other.confirm().outcome == "done"
    numbers = [audit.entity_ref for audit in audits(writable_url, COMMAND)]
    padma = company_id(writable_url, "padma")
    with session(writable_url) as s:
        made = s.scalars(
            select(SalesOrder).where(SalesOrder.number.in_(numbers), SalesOrder.company_id == padma)
        ).all()
        placed = sorted((o.warehouse_id, o.lines[0].quantity) for o in made)
        warehouses = dict(
            s.execute(
                text("SELECT code, id FROM warehouses WHERE company_id = :c"), {"c": padma}
            ).all()
        )
    assert placed == sorted([(warehouses["CTG"], low.stock), (warehouses["DHK"], wanted)])


def test_lines_typed_as_text_and_line_corrections(sqlite_url: str) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)
    stocked = products(sqlite_url)
    a, b, c = stocked[-1], stocked[-2], stocked[-3]
    dialogue = Dialogue(service, COMMAND, USER)
    dialogue.draft = {"customer": roomiest(sqlite_url).code, "warehouse": "DHK"}
    reply = dialogue.say(f"120 {a.name.lower()}, 5 pcs of {b.name}; {c.name} x 30", "lines")
    assert reply.text == "", reply.text
    assert [(ln["product"], ln["quantity"]) for ln in dialogue.draft["lines"]] == [
        (a.sku, 120),
        (b.sku, 5),
        (c.sku, 30),
    ]
    dialogue.say("make it 40", quantity="40")
    assert dialogue.draft["lines"][-1]["quantity"] == 40
    dialogue.say(f"increase the {a.name} to 150", product=a.name, quantity="150")
    assert dialogue.draft["lines"][0]["quantity"] == 150
    dialogue.say(f"price {b.price} per unit for {b.name}", product=b.name, amount=str(b.price))
    assert Decimal(dialogue.draft["lines"][1]["unit_price"]) == b.price
    dialogue.say("delete the second line")
    assert [ln["product"] for ln in dialogue.draft["lines"]] == [a.sku, c.sku]
    dialogue.say(f"replace {c.name} with {b.name}", product=[c.name, b.name])
    assert [(ln["product"], ln["quantity"]) for ln in dialogue.draft["lines"]] == [
        (a.sku, 150),
        (b.sku, 40),
    ]
    removed = dialogue.say(f"remove the {b.name}", product=b.name)
    assert removed.text == "" and [ln["product"] for ln in dialogue.draft["lines"]] == [a.sku]
    # a failed correction keeps the order as it was
    kept = dialogue.say("remove line 7")
    assert "no line 7" in kept.text and [ln["product"] for ln in dialogue.draft["lines"]] == [a.sku]


def test_unreadable_invalid_and_extreme_input_is_refused_field_by_field(sqlite_url: str) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)
    customer = roomiest(sqlite_url)
    product = products(sqlite_url)[-1]
    base = {"customer": customer.code, "warehouse": "DHK", "requested_date": "2026-11-30"}
    cases = [
        ({"product": product.name, "quantity": "0"}, "at least 1"),
        ({"product": product.name, "quantity": "-5"}, "negative"),
        ({"product": product.name, "quantity": "5,000,000,000"}, "far larger"),
        ({"product": product.name, "quantity": "2", "amount": "$5"}, "in BDT"),
        ({"product": product.name, "quantity": "2", "amount": "0"}, "more than zero"),
        ({"product": "flux capacitor", "quantity": "2"}, "couldn't find a product"),
        ({"product": "Fabric Sample Swatch Book", "quantity": "2"}, "internal use"),
        ({"time_period": "yesterday"}, "can't be in the past"),
        ({"time_period": "next week"}, "not a day"),
        ({"time_period": "30 dec 2027"}, "more than a year ahead"),
        ({"customer": "Zzyzx Holdings"}, "couldn't find a customer"),
        ({"warehouse": "Mars Base"}, "couldn't find a warehouse"),
    ]
    for entities, message in cases:
        dialogue = Dialogue(service, COMMAND, USER)
        dialogue.draft = dict(base)
        reply = dialogue.say("…", **entities)
        assert reply.outcome == "collect"
        assert message in reply.text, (entities, reply.text)
    # names the assistant offers come back with candidates from this company only
    near = Dialogue(service, COMMAND, USER).start("order for rahman", customer="rahman")
    padma_names = {c.name for c in customers(sqlite_url)}
    assert "Rahman Traders" in near.candidates and set(near.candidates) <= padma_names
    other = Dialogue(service, COMMAND, "northwind.sales").start(
        f"order for {customer.name}", customer=customer.name
    )
    assert "couldn't find a customer" in other.text
    assert customer.name not in other.candidates


@SQLITE_ONLY
def test_inactive_customer_no_credit_left_too_many_lines_and_price_below_cost(
    writer: ERPService, writable_url: str
) -> None:
    inactive = customers(writable_url, active=False)[0]
    reply = Dialogue(writer, COMMAND, USER).start("order", customer=inactive.code)
    assert f"{inactive.name} ({inactive.code}) is an inactive customer" in reply.text
    assert "customer" in reply.missing
    over = [c for c in customers(writable_url) if c.room <= 0]
    if over:
        full = Dialogue(writer, COMMAND, USER).start("order", customer=over[0].code)
        assert "has no credit left" in full.text
        assert format_money(over[0].limit, "BDT") in full.text

    customer = roomiest(writable_url)
    product = products(writable_url)[-1]
    base = {"customer": customer.code, "warehouse": "DHK", "requested_date": "2026-11-30"}
    below = Dialogue(writer, COMMAND, USER)
    below.draft = dict(
        base,
        lines=[{"product": product.sku, "quantity": 1, "unit_price": str(product.cost - CENT)}],
    )
    reply = below.propose()
    assert reply.outcome == "collect" and reply.missing == ["lines"]
    assert "below its standard cost" in reply.text

    many = Dialogue(writer, COMMAND, USER)
    many.draft = dict(
        base, lines=[{"product": product.sku, "quantity": 1, "unit_price": None}] * 51
    )
    reply = many.propose()
    assert reply.outcome == "collect" and "at most 50 lines" in reply.text
    # a draft with a field missing is asked for it, not crashed on
    partial = Dialogue(writer, COMMAND, USER)
    partial.draft = {"customer": customer.code}
    reply = partial.propose()
    assert reply.outcome == "collect" and "lines" in reply.missing
    assert sql(writable_url, "SELECT COUNT(*) FROM confirmations") == 0


@pytest.mark.parametrize("user", ["padma.finance", "padma.warehouse", "padma.approver"])
def test_roles_without_sales_create_are_refused(sqlite_url: str, user: str) -> None:
    service = ERPService(sqlite_url, today=lambda: AS_OF)
    reply = Dialogue(service, COMMAND, user).start("new order for Rahman Traders")
    assert reply.outcome == "refused"
    assert "create sales orders" in reply.text
