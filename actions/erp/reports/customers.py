"""Customer lookup: one customer's details, customers by city, or the count."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from actions.erp.answers import Answer, Column, table
from actions.erp.context import Context, Request
from actions.erp.formatting import format_date
from actions.erp.models import Customer, SalesOrder
from actions.erp.reports.aging import AR, open_items
from actions.erp.resolve import resolve_customer

ZERO = Decimal("0.00")
LIST_LIMIT = 25


def customer(ctx: Context, request: Request) -> Answer:
    name = request.first("customer")
    if name:
        return _details(ctx, resolve_customer(ctx.session, ctx.company_id, name))
    city = request.first("city")
    if city:
        return _in_city(ctx, city)
    return _overview(ctx)


def _details(ctx: Context, c: Customer) -> Answer:
    aging = open_items(ctx, AR, c.id)
    last_order = ctx.session.scalar(
        select(func.max(SalesOrder.order_date)).where(
            SalesOrder.company_id == ctx.company_id, SalesOrder.customer_id == c.id
        )
    )
    available = c.credit_limit - aging.total
    status = "active" if c.is_active else "inactive"
    text = (
        f"{c.name} ({c.code}, {status}) in {c.city}: payment terms {c.payment_terms_days} days, "
        f"credit limit {ctx.money(c.credit_limit)}, balance as of {format_date(ctx.today)} "
        f"{ctx.money(aging.total)} "
        f"({ctx.money(aging.overdue)} overdue), "
        f"{'available credit' if available >= 0 else 'over the limit by'} "
        f"{ctx.money(abs(available))}."
    )
    if c.email or c.phone:
        text += f" Contact: {', '.join(x for x in (c.email, c.phone) if x)}."
    if last_order:
        text += f" Last order {format_date(last_order)}."
    rows = [
        {"field": "Code", "value": c.code},
        {"field": "City", "value": c.city},
        {"field": "Email", "value": c.email},
        {"field": "Phone", "value": c.phone},
        {"field": "Payment terms", "value": f"{c.payment_terms_days} days"},
        {"field": "Credit limit", "value": ctx.money(c.credit_limit)},
        {"field": "Balance", "value": ctx.money(aging.total)},
        {"field": "Overdue", "value": ctx.money(aging.overdue)},
        {"field": "Available credit", "value": ctx.money(available)},
        {"field": "Status", "value": status},
    ]
    return Answer(text, [table(c.name, [Column("field", ""), Column("value", "")], rows)])


def _in_city(ctx: Context, city: str) -> Answer:
    customers = list(
        ctx.session.scalars(
            select(Customer)
            .where(Customer.company_id == ctx.company_id)
            .where(func.lower(Customer.city) == city.strip().lower())
            .order_by(Customer.name)
        )
    )
    if not customers:
        return Answer(f"We have no customers in {city.strip().title()}.", outcome="empty")
    active = sum(1 for c in customers if c.is_active)
    text = (
        f"{len(customers)} customer{'s' if len(customers) != 1 else ''} in {customers[0].city} "
        f"({active} active): " + ", ".join(c.name for c in customers[:5])
    )
    text += " and more." if len(customers) > 5 else "."
    return Answer(text, [_customer_table(ctx, f"Customers in {customers[0].city}", customers)])


def _overview(ctx: Context) -> Answer:
    rows = ctx.session.execute(
        select(Customer.city, func.count())
        .where(Customer.company_id == ctx.company_id, Customer.is_active.is_(True))
        .group_by(Customer.city)
        .order_by(func.count().desc(), Customer.city)
    ).all()
    total = sum(n for _, n in rows)
    if total == 0:
        return Answer(f"{ctx.actor.company_name} has no active customers.", outcome="empty")
    inactive = ctx.session.scalar(
        select(func.count()).where(
            Customer.company_id == ctx.company_id, Customer.is_active.is_(False)
        )
    )
    text = (
        f"{ctx.actor.company_name} has {total} active customers"
        f"{f' (and {inactive} inactive)' if inactive else ''} in {len(rows)} cities; most in "
        + ", ".join(f"{city} ({n})" for city, n in rows[:3])
        + ". Ask about a customer by name for details."
    )
    return Answer(
        text,
        [
            table(
                "Active customers by city",
                [Column("city", "City"), Column("customers", "Customers", "number")],
                [{"city": city, "customers": n} for city, n in rows],
            )
        ],
    )


def _customer_table(ctx: Context, title: str, customers: list[Customer]) -> dict:
    return table(
        title,
        [
            Column("code", "Code"),
            Column("name", "Customer"),
            Column("terms", "Terms (days)", "number"),
            Column("credit_limit", "Credit limit", "money"),
            Column("status", "Status"),
        ],
        [
            {
                "code": c.code,
                "name": c.name,
                "terms": c.payment_terms_days,
                "credit_limit": c.credit_limit,
                "status": "active" if c.is_active else "inactive",
            }
            for c in customers[:LIST_LIMIT]
        ],
        currency=ctx.currency,
    )
