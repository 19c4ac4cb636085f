"""Stock on hand with valuation, and what to reorder."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Select, func, select

from actions.erp.answers import Answer, Column, table
from actions.erp.context import Context, Request
from actions.erp.formatting import format_date, format_quantity
from actions.erp.models import (
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    StockLevel,
    Warehouse,
)
from actions.erp.resolve import resolve_product, resolve_warehouse

ZERO = Decimal("0.00")
LIST_LIMIT = 25


def _stock_lines(ctx: Context) -> Select:
    """(level, product, warehouse) rows of the company's stock."""
    return (
        select(StockLevel, Product, Warehouse)
        .join(Product, Product.id == StockLevel.product_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.company_id == ctx.company_id)
    )


def stock(ctx: Context, request: Request) -> Answer:
    product_text, warehouse_text = request.first("product"), request.first("warehouse")
    query = _stock_lines(ctx)
    scope = []
    product = warehouse = None
    if product_text:
        product = resolve_product(ctx.session, ctx.company_id, product_text)
        query = query.where(StockLevel.product_id == product.id)
        scope.append(product.name)
    if warehouse_text:
        warehouse = resolve_warehouse(ctx.session, ctx.company_id, warehouse_text)
        query = query.where(StockLevel.warehouse_id == warehouse.id)
        scope.append(f"in {warehouse.name}")
    rows = [
        {
            "sku": p.sku,
            "product": p.name,
            "warehouse": w.name,
            "quantity": level.quantity,
            "unit": p.unit,
            "unit_cost": p.standard_cost,
            "value": p.standard_cost * level.quantity,
        }
        for level, p, w in ctx.session.execute(query.order_by(Product.name, Warehouse.name))
    ]
    as_of = format_date(ctx.today)
    where = " ".join(scope)
    if not rows or (product is not None and all(r["quantity"] == 0 for r in rows)):
        what = where or "any product"
        return Answer(f"There is no stock of {what} as of {as_of}.", outcome="empty")
    total_value = sum((r["value"] for r in rows), ZERO)
    columns = [
        Column("sku", "SKU"),
        Column("product", "Product"),
        Column("warehouse", "Warehouse"),
        Column("quantity", "On hand", "number"),
        Column("unit_cost", "Unit cost", "money"),
        Column("value", "Value", "money"),
    ]
    if product is not None:
        units = sum(r["quantity"] for r in rows)
        split = ", ".join(
            f"{r['warehouse']} {format_quantity(r['quantity'], r['unit'])}" for r in rows
        )
        text = (
            f"Stock of {product.name} ({product.sku}) "
            f"{('in ' + warehouse.name) if warehouse else ''}"
            f" as of {as_of}: {format_quantity(units, product.unit)}, valued at "
            f"{ctx.money(total_value)} at standard cost"
        ).replace("  ", " ")
        text += f" ({split})." if warehouse is None and len(rows) > 1 else "."
        if units < product.reorder_level:
            text += f" That is below the reorder level of {product.reorder_level}."
        return Answer(text, [table("Stock", columns, rows, currency=ctx.currency)])
    by_warehouse: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        by_warehouse[r["warehouse"]] += r["value"]
    split = ", ".join(f"{name} {ctx.money(value)}" for name, value in sorted(by_warehouse.items()))
    products = len({r["sku"] for r in rows if r["quantity"] > 0})
    text = (
        f"Stock {where + ' ' if where else ''}as of {as_of}: {products} products on hand, "
        "valued at "
        f"{ctx.money(total_value)} at standard cost ({split})."
    )
    top = sorted(rows, key=lambda r: -r["value"])[:LIST_LIMIT]
    title = f"Top {len(top)} stock lines by value"
    return Answer(text, [table(title, columns, top, currency=ctx.currency)])


def low_stock(ctx: Context, request: Request) -> Answer:
    warehouse = None
    warehouse_text = request.first("warehouse")
    if warehouse_text:
        warehouse = resolve_warehouse(ctx.session, ctx.company_id, warehouse_text)
    items = below_reorder_level(ctx, warehouse.id if warehouse else None)
    where = f" in {warehouse.name}" if warehouse else ""
    if not items:
        return Answer(f"Every product is at or above its reorder level{where}.", outcome="empty")
    zero = sum(1 for i in items if i["quantity"] == 0)
    cost = sum((i["suggested_cost"] for i in items), ZERO)
    text = (
        f"{len(items)} product/warehouse combination{'s are' if len(items) != 1 else ' is'} "
        f"below reorder level{where} as of {format_date(ctx.today)}"
        f"{f', {zero} of them out of stock' if zero else ''}. "
        f"Reordering the suggested quantities would cost about {ctx.money(cost)}. "
        f"Most urgent: "
        + "; ".join(
            f"{i['product']} at {i['warehouse']} ({i['quantity']} on hand, reorder level "
            f"{i['reorder_level']}, suggest {i['suggested']})"
            for i in items[:3]
        )
        + "."
    )
    columns = [
        Column("sku", "SKU"),
        Column("product", "Product"),
        Column("warehouse", "Warehouse"),
        Column("quantity", "On hand", "number"),
        Column("reorder_level", "Reorder level", "number"),
        Column("on_order", "On order", "number"),
        Column("suggested", "Suggested qty", "number"),
        Column("suggested_cost", "Est. cost", "money"),
    ]
    return Answer(text, [table("Below reorder level", columns, items, currency=ctx.currency)])


def below_reorder_level(ctx: Context, warehouse_id: int | None = None) -> list[dict]:
    """Stock lines under their product's reorder level, most urgent first.

    The suggested quantity tops the line up to reorder level plus the product's
    reorder quantity, less what approved purchase orders will already bring in.
    """
    on_order = _on_order(ctx)
    query = (
        _stock_lines(ctx)
        .where(Product.is_active.is_(True))
        .where(StockLevel.quantity < Product.reorder_level)
    )
    if warehouse_id is not None:
        query = query.where(StockLevel.warehouse_id == warehouse_id)
    items = []
    for level, product, warehouse in ctx.session.execute(query):
        incoming = on_order.get((product.id, warehouse.id), 0)
        target = product.reorder_level + product.reorder_qty
        suggested = max(0, target - level.quantity - incoming)
        items.append(
            {
                "sku": product.sku,
                "product": product.name,
                "warehouse": warehouse.name,
                "quantity": level.quantity,
                "reorder_level": product.reorder_level,
                "on_order": incoming,
                "suggested": suggested,
                "suggested_cost": product.standard_cost * suggested,
                "cover": level.quantity / product.reorder_level if product.reorder_level else 1,
            }
        )
    items.sort(key=lambda i: (i["cover"], i["product"], i["warehouse"]))
    for item in items:
        del item["cover"]
    return items


def _on_order(ctx: Context) -> dict[tuple[int, int], int]:
    rows = ctx.session.execute(
        select(
            PurchaseOrderLine.product_id,
            PurchaseOrder.warehouse_id,
            func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received_qty),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.company_id == ctx.company_id)
        .where(PurchaseOrder.status == PurchaseOrderStatus.APPROVED)
        .group_by(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id)
    ).all()
    return {(product, warehouse): int(qty or 0) for product, warehouse, qty in rows}
