"""Creating sales orders: lines, stock, prices, the customer's discount, tax and credit."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar

from sqlalchemy import select

from actions.erp.answers import Column, table
from actions.erp.context import Context, Request
from actions.erp.errors import ERPError, InvalidInput
from actions.erp.formatting import format_date, format_percent, format_quantity
from actions.erp.models import Customer, SalesOrder, SalesOrderLine, SalesOrderStatus, Warehouse
from actions.erp.parsing.text import clean_text
from actions.erp.writes.base import Choice, Done, Draft, FillResult, Plan, WriteCommand
from actions.erp.writes.common import ZERO, credit_exposure, describe_day, parse_day, require
from actions.erp.writes.ledger import next_number
from actions.erp.writes.order_checks import (
    PricedLine,
    PricedOrder,
    check_active,
    check_credit,
    check_credit_left,
    customer_by_name,
    price_line,
    warehouse_by_name,
)
from actions.erp.writes.order_lines import (
    LINE_NUMBER_RE,
    MAX_LINES,
    REMOVE_RE,
    Line,
    apply_entities,
    apply_text,
    lines_from_text,
    merge,
)

MAX_DAYS_AHEAD = 365
# where the lines are kept while the assistant asks for them again (stock ran
# short, a product stopped being sold), so "make it 80" can still correct them
LAST_LINES = "last_lines"

_FIELD_WORDS = {
    "customer": "customer",
    "lines": "products and quantities",
    "warehouse": "warehouse to ship from",
    "requested_date": "requested delivery date",
}


class CreateSalesOrder(WriteCommand):
    name: ClassVar[str] = "create_sales_order"
    permission: ClassVar[str] = "sales.create"
    fields: ClassVar[tuple[str, ...]] = ("customer", "lines", "warehouse", "requested_date")
    entity_fields: ClassVar[dict[str, str]] = {
        "customer": "customer",
        "warehouse": "warehouse",
        # "ship from Chattogram": warehouses are known by their city
        "city": "warehouse",
        "time_period": "requested_date",
    }

    def choices(self, ctx: Context, name: str, draft: Draft) -> list[Choice]:
        if name != "warehouse":
            return []
        names = ctx.session.scalars(
            select(Warehouse.name)
            .where(Warehouse.company_id == ctx.company_id)
            .order_by(Warehouse.id)
        )
        return [Choice(warehouse, "warehouse") for warehouse in names]

    # --- reading what the user says ---------------------------------------------

    def fill(
        self, ctx: Context, draft: Draft, request: Request, requested: str | None = None
    ) -> FillResult:
        text = clean_text(request.text)
        edits = bool(
            request.all("product")
            or request.all("quantity")
            or request.all("amount")
            or (REMOVE_RE.search(text) and LINE_NUMBER_RE.search(text))
        )
        other_fields = any(request.all(entity) for entity in self.entity_fields)
        # a message that edits lines never answers another field with its whole text
        asked = None if edits or requested == "lines" else requested
        result = super().fill(ctx, draft, request, asked)
        by_text = requested == "lines" and not edits and not other_fields and text
        if not edits and not by_text:
            moved = result.draft.get("warehouse") != draft.get("warehouse")
            if moved and "lines" not in result.draft and result.draft.get(LAST_LINES):
                # "choose another warehouse" after stock ran short: the lines come back
                result.draft["lines"] = [dict(line) for line in result.draft[LAST_LINES]]
            return result
        restoring = "lines" not in draft
        base: list[Line] = [dict(x) for x in draft.get("lines") or draft.get(LAST_LINES) or []]
        try:
            if edits:
                lines = apply_entities(ctx, result.draft, base, request, restoring)
            else:
                lines = apply_text(ctx, result.draft, base, request.text, restoring)
        except ERPError as problem:
            result.problems.append(problem)
            return result
        if lines:
            result.draft["lines"] = lines
            result.draft[LAST_LINES] = [dict(line) for line in lines]
        else:
            result.draft.pop("lines", None)
            result.draft.pop(LAST_LINES, None)
        return result

    def read(self, ctx: Context, name: str, value: str, draft: Draft) -> Draft:
        if name == "customer":
            customer = customer_by_name(ctx, value)
            check_active(customer)
            check_credit_left(ctx, customer)
            return {"customer": customer.code}
        if name == "warehouse":
            return {"warehouse": warehouse_by_name(ctx, value).code}
        if name == "requested_date":
            return {"requested_date": _requested_date(ctx, value).isoformat()}
        if name == "lines":
            lines = merge(ctx, [], lines_from_text(ctx, value))
            return {"lines": lines, LAST_LINES: [dict(line) for line in lines]}
        raise KeyError(name)

    # --- checking and pricing ------------------------------------------------------

    def _evaluate(self, ctx: Context, draft: Draft) -> PricedOrder:
        require(draft, self.fields, _FIELD_WORDS)
        customer = customer_by_name(ctx, str(draft["customer"]), field="customer")
        check_active(customer, field="customer")
        warehouse = warehouse_by_name(ctx, str(draft["warehouse"]), field="warehouse")
        requested = _requested_date(ctx, str(draft["requested_date"]), field="requested_date")
        raw = draft["lines"]
        if not isinstance(raw, list) or not raw:
            raise InvalidInput("The order has no lines yet. Which products?", field="lines")
        if len(raw) > MAX_LINES:
            raise InvalidInput(
                f"An order can have at most {MAX_LINES} lines, and this one has {len(raw)}. "
                "Please split it into several orders.",
                field="lines",
            )
        lines: list[PricedLine] = []
        seen: set[int] = set()
        for item in raw:
            line = price_line(ctx, item, customer, warehouse)
            if line.product.id in seen:
                raise InvalidInput(
                    f"{line.product.name} is on the order twice. Please give it once.",
                    field="lines",
                )
            seen.add(line.product.id)
            lines.append(line)
        subtotal = sum((ln.gross for ln in lines), ZERO)
        discount = sum((ln.discount for ln in lines), ZERO)
        tax = sum((ln.tax for ln in lines), ZERO)
        receivables, orders = credit_exposure(ctx, customer)
        order = PricedOrder(
            customer,
            warehouse,
            requested,
            lines,
            subtotal,
            discount,
            tax,
            subtotal - discount + tax,
            receivables,
            orders,
        )
        check_credit(ctx, order)
        return order

    def plan(self, ctx: Context, draft: Draft) -> Plan:
        order = self._evaluate(ctx, draft)
        params = {
            "customer": order.customer.code,
            "lines": [
                {
                    "product": ln.product.sku,
                    "quantity": ln.quantity,
                    "unit_price": str(ln.unit_price) if ln.price_given else None,
                }
                for ln in order.lines
            ],
            "warehouse": order.warehouse.code,
            "requested_date": order.requested.isoformat(),
        }
        return Plan(
            params=params,
            summary=self._summary(ctx, order),
            state=_state(order),
            payloads=[_lines_table(ctx, order, f"New sales order for {order.customer.name}")],
        )

    def _summary(self, ctx: Context, order: PricedOrder) -> str:
        customer = order.customer
        lines = "; ".join(
            f"{format_quantity(ln.quantity, ln.product.unit)} {ln.product.name} at "
            f"{ctx.money(ln.unit_price)} {'(your price)' if ln.price_given else '(list price)'}, "
            f"discount {ctx.money(ln.discount)}, tax {format_percent(ln.product.tax_rate_pct)} "
            f"{ctx.money(ln.tax)}"
            for ln in order.lines
        )
        discount = (
            f"{customer.name} gets a {format_percent(customer.discount_pct)} trade discount. "
            if customer.discount_pct
            else ""
        )
        count = len(order.lines)
        # "$" alone does not say which dollars
        currency = "" if ctx.currency in ctx.money(order.total) else f" ({ctx.currency})"
        after = customer.credit_limit - order.exposure - order.total
        return (
            f"Please confirm: a new sales order for {customer.name} ({customer.code}), "
            f"shipped from {order.warehouse.name}, requested for "
            f"{describe_day(order.requested, ctx.today)}, with {count} "
            f"line{'s' if count != 1 else ''}: {lines}. {discount}"
            f"Subtotal {ctx.money(order.subtotal)}, discount {ctx.money(order.discount_total)}, "
            f"tax {ctx.money(order.tax_total)}, total {ctx.money(order.total)}{currency}. "
            f"Credit: limit {ctx.money(customer.credit_limit)}, already used "
            f"{ctx.money(order.exposure)} (open invoices {ctx.money(order.open_receivables)}, "
            f"open orders {ctx.money(order.open_orders)}); {ctx.money(after)} stays available "
            f"after this order. It is created as confirmed, dated {format_date(ctx.today)}, "
            f"under your name ({ctx.actor.full_name})."
        )

    def execute(self, ctx: Context, params: Draft) -> Done:
        # lock the customer so that two orders cannot both use the last of its credit
        ctx.session.scalar(
            select(Customer)
            .where(Customer.company_id == ctx.company_id, Customer.code == params["customer"])
            .with_for_update(of=Customer)
            .execution_options(populate_existing=True)
        )
        order = self._evaluate(ctx, params)
        number = next_number(ctx.session, ctx.company_id, "SO", ctx.today)
        row = SalesOrder(
            company_id=ctx.company_id,
            number=number,
            customer_id=order.customer.id,
            warehouse_id=order.warehouse.id,
            order_date=ctx.today,
            requested_date=order.requested,
            status=SalesOrderStatus.CONFIRMED,
            subtotal=order.subtotal,
            discount_total=order.discount_total,
            tax_total=order.tax_total,
            total=order.total,
            created_by=ctx.actor.user_id,
            lines=[
                SalesOrderLine(
                    product_id=ln.product.id,
                    quantity=ln.quantity,
                    unit_price=ln.unit_price,
                    discount_pct=order.customer.discount_pct,
                    tax_rate_pct=ln.product.tax_rate_pct,
                    line_total=ln.net,
                )
                for ln in order.lines
            ],
        )
        ctx.session.add(row)
        ctx.session.flush()
        return Done(
            text=(
                f"Done: sales order {number} for {order.customer.name} is created and confirmed, "
                f"{len(order.lines)} line{'s' if len(order.lines) != 1 else ''} for "
                f"{ctx.money(order.total)}, shipping from {order.warehouse.name}, requested for "
                f"{format_date(order.requested)}."
            ),
            entity_type="sales_order",
            entity_ref=number,
            before={},
            after={
                "number": number,
                "status": SalesOrderStatus.CONFIRMED.value,
                "customer": order.customer.code,
                "warehouse": order.warehouse.code,
                "requested_date": order.requested.isoformat(),
                "lines": [
                    {
                        "product": ln.product.sku,
                        "quantity": ln.quantity,
                        "unit_price": str(ln.unit_price),
                        "line_total": str(ln.net),
                    }
                    for ln in order.lines
                ],
                "subtotal": str(order.subtotal),
                "discount_total": str(order.discount_total),
                "tax_total": str(order.tax_total),
                "total": str(order.total),
            },
            payloads=[_lines_table(ctx, order, f"{number} for {order.customer.name}")],
        )


def _requested_date(ctx: Context, text: str, *, field: str | None = None) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            day = parse_day(ctx, text, future=True)
        except InvalidInput as error:
            raise InvalidInput(str(error), field=field) from None
    if day < ctx.today:
        raise InvalidInput(
            f"The requested date can't be in the past ({format_date(day)}); please give "
            f"today ({format_date(ctx.today)}) or a later day.",
            field=field,
        )
    if day > ctx.today + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput(
            f"{format_date(day)} is more than a year ahead. Please give a requested date "
            "within the next twelve months.",
            field=field,
        )
    return day


def _state(order: PricedOrder) -> dict[str, Any]:
    customer = order.customer
    return {
        "customer": [
            customer.id,
            customer.is_active,
            str(customer.credit_limit),
            str(customer.discount_pct),
            str(order.open_receivables),
            str(order.open_orders),
        ],
        "warehouse": order.warehouse.id,
        "lines": [
            [
                ln.product.id,
                ln.product.is_active,
                ln.product.is_sellable,
                str(ln.product.list_price),
                str(ln.product.standard_cost),
                str(ln.product.tax_rate_pct),
                ln.stock,
            ]
            for ln in order.lines
        ],
    }


def _lines_table(ctx: Context, order: PricedOrder, title: str) -> dict[str, Any]:
    columns = [
        Column("product", "Product"),
        Column("quantity", "Quantity", "number"),
        Column("unit", "Unit"),
        Column("unit_price", "Unit price", "money"),
        Column("discount", "Discount", "money"),
        Column("tax", "Tax", "money"),
        Column("net", "Net", "money"),
    ]
    rows = [
        {
            "product": ln.product.name,
            "quantity": ln.quantity,
            "unit": ln.product.unit,
            "unit_price": ln.unit_price,
            "discount": ln.discount,
            "tax": ln.tax,
            "net": ln.net,
        }
        for ln in order.lines
    ]
    return table(title, columns, rows, currency=ctx.currency)
