"""Sales for a period: totals, trend against the previous period, top customers and products.

Sales are net of discounts and before tax, from sales orders that are not
draft or cancelled, dated by order date.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, func, select

from actions.erp.answers import Answer, Column, chart, table
from actions.erp.context import Context, Request
from actions.erp.formatting import format_percent
from actions.erp.models import Customer, Product, SalesOrder, SalesOrderLine, SalesOrderStatus
from actions.erp.parsing import Period, parse_period
from actions.erp.resolve import resolve_customer, resolve_product

ZERO = Decimal("0.00")
COUNTED = (SalesOrderStatus.CONFIRMED, SalesOrderStatus.DELIVERED, SalesOrderStatus.INVOICED)
TOP = 5
NET_VALUE = SalesOrder.subtotal - SalesOrder.discount_total


def previous_period(period: Period) -> tuple[date, date]:
    """The period of the same length just before, for the trend."""
    length = (period.end - period.start).days + 1
    return period.start - timedelta(days=length), period.start - timedelta(days=1)


def _counted(
    query: Select, ctx: Context, start: date, end: date, customer_id: int | None = None
) -> Select:
    """Restrict a query to the company's counted sales orders in a date range."""
    query = (
        query.where(SalesOrder.company_id == ctx.company_id)
        .where(SalesOrder.status.in_(COUNTED))
        .where(SalesOrder.order_date.between(start, end))
    )
    if customer_id is not None:
        query = query.where(SalesOrder.customer_id == customer_id)
    return query


def _total_net() -> ColumnElement[Decimal]:
    return func.coalesce(func.sum(NET_VALUE), ZERO)


def net_sales(ctx: Context, start: date, end: date, customer_id: int | None = None) -> Decimal:
    return ctx.session.scalar(_counted(select(_total_net()), ctx, start, end, customer_id)) or ZERO


def sales(ctx: Context, request: Request) -> Answer:
    period_text = request.first("time_period")
    period = parse_period(period_text or "this month", ctx.today)
    customer = product = None
    if request.first("customer"):
        customer = resolve_customer(ctx.session, ctx.company_id, request.first("customer"))
    if request.first("product"):
        product = resolve_product(ctx.session, ctx.company_id, request.first("product"))
    if product is not None:
        return _product_sales(ctx, period, product, customer)
    customer_id = customer.id if customer else None
    total = net_sales(ctx, period.start, period.end, customer_id)
    prev_start, prev_end = previous_period(period)
    previous = net_sales(ctx, prev_start, prev_end, customer_id)
    count_query = select(func.count()).select_from(SalesOrder)
    orders = ctx.session.scalar(_counted(count_query, ctx, period.start, period.end, customer_id))
    who = f" to {customer.name}" if customer else ""
    if orders == 0:
        return Answer(f"No sales{who} in {period.label}.", outcome="empty")
    text = (
        f"Sales{who} for {period.label}: {ctx.money(total)} net of discounts, before tax, "
        f"on {orders} order{'s' if orders != 1 else ''}."
    )
    if previous > ZERO:
        change = (total - previous) / previous * 100
        direction = "up" if change >= 0 else "down"
        text += (
            f" That is {direction} {format_percent(abs(change))} on the previous "
            f"{(period.end - period.start).days + 1} days ({ctx.money(previous)})."
        )
    payloads = [_trend_chart(ctx, period, customer_id)]
    if customer is None:
        top_customers = _top_customers(ctx, period)
        names = ", ".join(f"{name} {ctx.money(v)}" for name, v in top_customers[:3])
        text += f" Top customers: {names}."
        payloads.append(
            table(
                "Top customers",
                [Column("customer", "Customer"), Column("sales", "Sales", "money")],
                [{"customer": n, "sales": v} for n, v in top_customers],
                currency=ctx.currency,
            )
        )
    top_products = _top_products(ctx, period, customer_id)
    if top_products:
        text += " Top products: " + ", ".join(n for n, _, _ in top_products[:3]) + "."
        payloads.append(
            table(
                "Top products",
                [
                    Column("product", "Product"),
                    Column("quantity", "Quantity", "number"),
                    Column("sales", "Sales", "money"),
                ],
                [{"product": n, "quantity": q, "sales": v} for n, q, v in top_products],
                currency=ctx.currency,
            )
        )
    return Answer(text, payloads)


def _product_sales(
    ctx: Context, period: Period, product: Product, customer: Customer | None
) -> Answer:
    query = select(
        func.coalesce(func.sum(SalesOrderLine.quantity), 0),
        func.coalesce(func.sum(SalesOrderLine.line_total), ZERO),
    ).join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
    query = _counted(query, ctx, period.start, period.end, customer.id if customer else None)
    query = query.where(SalesOrderLine.product_id == product.id)
    quantity, value = ctx.session.execute(query).one()
    who = f" to {customer.name}" if customer else ""
    if not quantity:
        return Answer(f"No sales of {product.name}{who} in {period.label}.", outcome="empty")
    text = (
        f"Sales of {product.name}{who} for {period.label}: {int(quantity):,} {product.unit} "
        f"for {ctx.money(value)} net of discounts, before tax."
    )
    return Answer(text)


def _top_customers(ctx: Context, period: Period) -> list[tuple[str, Decimal]]:
    rows = ctx.session.execute(
        _counted(
            select(Customer.name, _total_net()).join(
                Customer, Customer.id == SalesOrder.customer_id
            ),
            ctx,
            period.start,
            period.end,
        )
        .group_by(Customer.id, Customer.name)
        .order_by(_total_net().desc(), Customer.name)
        .limit(TOP)
    ).all()
    return [(name, value) for name, value in rows]


def _top_products(
    ctx: Context, period: Period, customer_id: int | None
) -> list[tuple[str, int, Decimal]]:
    value = func.coalesce(func.sum(SalesOrderLine.line_total), ZERO)
    query = (
        select(Product.name, func.sum(SalesOrderLine.quantity), value)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .join(Product, Product.id == SalesOrderLine.product_id)
    )
    query = (
        _counted(query, ctx, period.start, period.end, customer_id)
        .group_by(Product.id, Product.name)
        .order_by(value.desc(), Product.name)
        .limit(TOP)
    )
    return [(name, int(qty), v) for name, qty, v in ctx.session.execute(query).all()]


def _trend_chart(ctx: Context, period: Period, customer_id: int | None) -> dict:
    """Daily totals for periods up to about two months, monthly beyond."""
    query = _counted(
        select(SalesOrder.order_date, NET_VALUE), ctx, period.start, period.end, customer_id
    )
    monthly = (period.end - period.start).days > 62
    buckets: dict[str, Decimal] = {}
    day = period.start
    while day <= period.end:
        key = day.strftime("%Y-%m") if monthly else day.isoformat()
        buckets.setdefault(key, ZERO)
        day += timedelta(days=1)
    for order_date, value in ctx.session.execute(query):
        key = order_date.strftime("%Y-%m") if monthly else order_date.isoformat()
        buckets[key] += value
    title = "Sales by month" if monthly else "Sales by day"
    return chart(
        title, "line", list(buckets), {"Net sales": list(buckets.values())}, currency=ctx.currency
    )
