"""What a new sales order has to pass: an active customer with credit left, a known
warehouse with the stock, sellable products, and prices that cover their cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from actions.erp.context import Context
from actions.erp.errors import InvalidInput
from actions.erp.formatting import format_quantity
from actions.erp.models import Customer, Product, StockLevel, Warehouse
from actions.erp.resolve import resolve_customer, resolve_product, resolve_warehouse
from actions.erp.writes.common import (
    ZERO,
    cents,
    credit_exposure,
    decimal_param,
    named_record,
)

MAX_QUANTITY = 1_000_000_000
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PricedLine:
    product: Product
    quantity: int
    unit_price: Decimal
    price_given: bool
    gross: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal
    stock: int


@dataclass(frozen=True)
class PricedOrder:
    customer: Customer
    warehouse: Warehouse
    requested: date
    lines: list[PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    open_receivables: Decimal
    open_orders: Decimal

    @property
    def exposure(self) -> Decimal:
        return self.open_receivables + self.open_orders


def customer_by_name(ctx: Context, text: str, *, field: str | None = None) -> Customer:
    return named_record(ctx, Customer, text, resolve_customer, field=field)


def check_active(customer: Customer, *, field: str | None = None) -> None:
    if not customer.is_active:
        raise InvalidInput(
            f"{customer.name} ({customer.code}) is an inactive customer, so I can't take new "
            "orders for them. Please choose another customer or ask to have them reactivated.",
            field=field,
        )


def check_credit_left(ctx: Context, customer: Customer) -> None:
    """Said as soon as the customer is named: no order fits into a used-up limit."""
    receivables, orders = credit_exposure(ctx, customer)
    if receivables + orders >= customer.credit_limit:
        raise InvalidInput(
            f"{customer.name} has no credit left: limit {ctx.money(customer.credit_limit)}, "
            f"already used {ctx.money(receivables + orders)} (open invoices "
            f"{ctx.money(receivables)}, open orders {ctx.money(orders)}). I can't create a "
            "new order for them until they pay or their limit is raised."
        )


def check_credit(ctx: Context, order: PricedOrder) -> None:
    customer = order.customer
    if order.exposure + order.total > customer.credit_limit:
        room = max(customer.credit_limit - order.exposure, ZERO)
        raise InvalidInput(
            f"This order would take {customer.name} over its credit limit, so I can't create it. "
            f"Limit {ctx.money(customer.credit_limit)}; already used {ctx.money(order.exposure)} "
            f"(open invoices {ctx.money(order.open_receivables)}, open orders "
            f"{ctx.money(order.open_orders)}); this order {ctx.money(order.total)}; that makes "
            f"{ctx.money(order.exposure + order.total)}. At most {ctx.money(room)} more fits; "
            "a smaller order, a payment or a higher limit would make room."
        )


def warehouse_by_name(ctx: Context, text: str, *, field: str | None = None) -> Warehouse:
    return named_record(ctx, Warehouse, text, resolve_warehouse, field=field)


def product_by_sku(ctx: Context, sku: str) -> Product | None:
    return ctx.session.scalar(
        select(Product).where(Product.company_id == ctx.company_id, Product.sku == sku)
    )


def sellable_product(ctx: Context, text: str, *, field: str | None = None) -> Product:
    product = named_record(ctx, Product, text, resolve_product, field=field, code="sku")
    if not product.is_active:
        raise InvalidInput(
            f"{product.name} ({product.sku}) is no longer sold. Please remove it or choose "
            "another product.",
            field=field,
        )
    if not product.is_sellable:
        raise InvalidInput(
            f"{product.name} ({product.sku}) is for internal use and is not sold to customers. "
            "Please remove it or choose another product.",
            field=field,
        )
    return product


def stock_at(ctx: Context, product: Product, warehouse: Warehouse) -> int:
    quantity = ctx.session.scalar(
        select(StockLevel.quantity).where(
            StockLevel.company_id == ctx.company_id,
            StockLevel.product_id == product.id,
            StockLevel.warehouse_id == warehouse.id,
        )
    )
    return int(quantity or 0)


def price_line(ctx: Context, item: Any, customer: Customer, warehouse: Warehouse) -> PricedLine:
    if not isinstance(item, dict) or "product" not in item or "quantity" not in item:
        raise InvalidInput("One of the order lines is incomplete. Which products?", field="lines")
    product = sellable_product(ctx, str(item["product"]), field="lines")
    try:
        quantity = int(item["quantity"])
    except (TypeError, ValueError):
        raise InvalidInput(
            f"The quantity of {product.name} is not a whole number.", field="lines"
        ) from None
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            f"The quantity of {product.name} must be a whole number from 1 to {MAX_QUANTITY:,}.",
            field="lines",
        )
    stock = stock_at(ctx, product, warehouse)
    if quantity > stock:
        raise _short(ctx, product, warehouse, quantity, stock)
    given = item.get("unit_price")
    price = decimal_param(given, "unit price", field="lines") if given else product.list_price
    if price <= 0:
        raise InvalidInput(
            f"The unit price of {product.name} must be more than zero.", field="lines"
        )
    if price < product.standard_cost:
        raise InvalidInput(
            f"{ctx.money(price)} for {product.name} is below its standard cost of "
            f"{ctx.money(product.standard_cost)}, so I can't take the order at that price "
            f"(list price {ctx.money(product.list_price)}). Please give another price.",
            field="lines",
        )
    gross = cents(price * quantity)
    net = cents(gross * (1 - customer.discount_pct / HUNDRED))
    tax = cents(net * product.tax_rate_pct / HUNDRED)
    return PricedLine(product, quantity, price, bool(given), gross, gross - net, net, tax, stock)


def _short(
    ctx: Context, product: Product, warehouse: Warehouse, wanted: int, stock: int
) -> InvalidInput:
    elsewhere = ctx.session.execute(
        select(Warehouse.name, StockLevel.quantity)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(
            StockLevel.company_id == ctx.company_id,
            StockLevel.product_id == product.id,
            StockLevel.warehouse_id != warehouse.id,
            StockLevel.quantity >= wanted,
        )
        .order_by(StockLevel.quantity.desc(), Warehouse.name)
    ).first()
    hint = (
        f" {elsewhere[0]} has {format_quantity(int(elsewhere[1]), product.unit)}."
        if elsewhere
        else ""
    )
    if stock <= 0:
        return InvalidInput(
            f"{product.name} is out of stock at {warehouse.name}.{hint} Please remove it, "
            "or choose another warehouse.",
            field="lines",
        )
    return InvalidInput(
        f"Only {format_quantity(stock, product.unit)} of {product.name} are in stock at "
        f"{warehouse.name} (you asked for {format_quantity(wanted, product.unit)}).{hint} "
        f"Say “make it {stock}” or choose another warehouse.",
        field="lines",
    )
