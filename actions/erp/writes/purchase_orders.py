"""Raising a purchase order: one product from one supplier into one warehouse.

The order is submitted for approval as it is created (status pending
approval, routed by the company's approval rules), exactly as a purchase order
raised in the ERP is; approving it stays a separate, confirmed write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import select

from actions.erp.alerts import state as alert_state
from actions.erp.answers import Column, table
from actions.erp.context import Context
from actions.erp.errors import InvalidInput
from actions.erp.formatting import format_date, format_percent, format_quantity
from actions.erp.models import (
    Product,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Role,
    Supplier,
    Warehouse,
)
from actions.erp.parsing import parse_quantity
from actions.erp.resolve import resolve_product, resolve_supplier
from actions.erp.writes.base import Choice, Done, Draft, Plan, WriteCommand
from actions.erp.writes.common import ZERO, cents, named_record, require
from actions.erp.writes.ledger import next_number
from actions.erp.writes.order_checks import MAX_QUANTITY, warehouse_by_name
from actions.erp.writes.purchasing import approving_role_for

# a supplier never ordered from before gets this lead time until it has history
DEFAULT_LEAD_DAYS = 14
MAX_SUPPLIER_CHOICES = 5
HUNDRED = Decimal(100)

_FIELD_WORDS = {
    "product": "product",
    "quantity": "quantity",
    "warehouse": "warehouse to deliver to",
    "supplier": "supplier",
}


@dataclass(frozen=True)
class PricedPurchase:
    product: Product
    quantity: int
    warehouse: Warehouse
    supplier: Supplier
    unit_cost: Decimal
    subtotal: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal
    approver: Role | None
    expected: date
    lead_days: int


class CreatePurchaseOrder(WriteCommand):
    name: ClassVar[str] = "create_purchase_order"
    permission: ClassVar[str] = "purchasing.create"
    # the supplier last: by then the product is known and its past suppliers can be offered
    fields: ClassVar[tuple[str, ...]] = ("product", "quantity", "warehouse", "supplier")
    entity_fields: ClassVar[dict[str, str]] = {
        "product": "product",
        "quantity": "quantity",
        "supplier": "supplier",
        "warehouse": "warehouse",
        # "for the Dhaka warehouse": warehouses are known by their city
        "city": "warehouse",
    }

    def choices(self, ctx: Context, name: str, draft: Draft) -> list[Choice]:
        if name == "warehouse":
            names = ctx.session.scalars(
                select(Warehouse.name)
                .where(Warehouse.company_id == ctx.company_id)
                .order_by(Warehouse.id)
            )
            return [Choice(warehouse, "warehouse") for warehouse in names]
        if name == "supplier" and draft.get("product"):
            return [Choice(s.name, "supplier") for s in past_suppliers(ctx, str(draft["product"]))]
        return []

    def read(self, ctx: Context, name: str, value: str, draft: Draft) -> Draft:
        if name == "product":
            return {"product": purchasable_product(ctx, value).sku}
        if name == "quantity":
            return {"quantity": _quantity(value)}
        if name == "warehouse":
            return {"warehouse": warehouse_by_name(ctx, value).code}
        if name == "supplier":
            return {"supplier": active_supplier(ctx, value).code}
        raise KeyError(name)

    def _evaluate(self, ctx: Context, draft: Draft) -> PricedPurchase:
        require(draft, self.fields, _FIELD_WORDS)
        product = purchasable_product(ctx, str(draft["product"]), field="product")
        quantity = _quantity(str(draft["quantity"]), field="quantity")
        warehouse = warehouse_by_name(ctx, str(draft["warehouse"]), field="warehouse")
        supplier = active_supplier(ctx, str(draft["supplier"]), field="supplier")
        if product.standard_cost <= 0:
            raise InvalidInput(
                f"{product.name} ({product.sku}) has no standard cost, so I can't price a "
                "purchase order for it. Please have its cost set in the ERP first."
            )
        subtotal = cents(product.standard_cost * quantity)
        rate = purchase_tax_rate(ctx)
        tax = cents(subtotal * rate / HUNDRED)
        lead = lead_days(ctx, supplier)
        return PricedPurchase(
            product=product,
            quantity=quantity,
            warehouse=warehouse,
            supplier=supplier,
            unit_cost=product.standard_cost,
            subtotal=subtotal,
            tax_rate=rate,
            tax=tax,
            total=subtotal + tax,
            approver=approving_role_for(ctx, subtotal + tax),
            expected=ctx.today + timedelta(days=lead),
            lead_days=lead,
        )

    def plan(self, ctx: Context, draft: Draft) -> Plan:
        order = self._evaluate(ctx, draft)
        params = {
            "product": order.product.sku,
            "quantity": order.quantity,
            "warehouse": order.warehouse.code,
            "supplier": order.supplier.code,
        }
        return Plan(
            params=params,
            summary=_summary(ctx, order),
            state=_state(order),
            payloads=[_line_table(ctx, order, f"New purchase order from {order.supplier.name}")],
        )

    def execute(self, ctx: Context, params: Draft) -> Done:
        order = self._evaluate(ctx, params)
        number = next_number(ctx.session, ctx.company_id, "PO", ctx.today)
        row = PurchaseOrder(
            company_id=ctx.company_id,
            number=number,
            supplier_id=order.supplier.id,
            warehouse_id=order.warehouse.id,
            order_date=ctx.today,
            expected_date=order.expected,
            status=PurchaseOrderStatus.PENDING_APPROVAL,
            subtotal=order.subtotal,
            tax_total=order.tax,
            total=order.total,
            approver_role_id=order.approver.id if order.approver else None,
            submitted_at=ctx.now,
            created_by=ctx.actor.user_id,
            lines=[
                PurchaseOrderLine(
                    product_id=order.product.id,
                    quantity=order.quantity,
                    unit_cost=order.unit_cost,
                    line_total=order.subtotal,
                    received_qty=0,
                )
            ],
        )
        ctx.session.add(row)
        ctx.session.flush()
        ctx.session.add(
            PurchaseOrderEvent(
                order_id=row.id,
                action="submitted",
                from_status=PurchaseOrderStatus.DRAFT.value,
                to_status=PurchaseOrderStatus.PENDING_APPROVAL.value,
                actor_user_id=ctx.actor.user_id,
                comment="raised from the assistant",
                at=ctx.now,
            )
        )
        ctx.session.flush()
        alert_state.settle(
            ctx, "low_stock", dedup_key=f"low_stock:{order.product.sku}:{order.warehouse.code}"
        )
        return Done(
            text=(
                f"Done: purchase order {number} for "
                f"{format_quantity(order.quantity, order.product.unit)} {order.product.name} "
                f"from {order.supplier.name} is created for {ctx.money(order.total)}, "
                f"delivering to {order.warehouse.name}, and submitted for approval "
                f"by {_approver_words(order.approver)}."
            ),
            entity_type="purchase_order",
            entity_ref=number,
            before={},
            after={
                "number": number,
                "status": PurchaseOrderStatus.PENDING_APPROVAL.value,
                "supplier": order.supplier.code,
                "warehouse": order.warehouse.code,
                "expected_date": order.expected.isoformat(),
                "lines": [
                    {
                        "product": order.product.sku,
                        "quantity": order.quantity,
                        "unit_cost": str(order.unit_cost),
                        "line_total": str(order.subtotal),
                    }
                ],
                "subtotal": str(order.subtotal),
                "tax_total": str(order.tax),
                "total": str(order.total),
                "approver_role": order.approver.code if order.approver else None,
            },
            payloads=[_line_table(ctx, order, f"{number} from {order.supplier.name}")],
        )


# --- lookups ------------------------------------------------------------------------


def purchasable_product(ctx: Context, text: str, *, field: str | None = None) -> Product:
    """Any active product of the company: internal-use items are bought too."""
    product = named_record(ctx, Product, text, resolve_product, field=field, code="sku")
    if not product.is_active:
        raise InvalidInput(
            f"{product.name} ({product.sku}) is discontinued, so I can't order more of it. "
            "Please choose another product.",
            field=field,
        )
    return product


def active_supplier(ctx: Context, text: str, *, field: str | None = None) -> Supplier:
    supplier = named_record(ctx, Supplier, text, resolve_supplier, field=field)
    if not supplier.is_active:
        raise InvalidInput(
            f"{supplier.name} ({supplier.code}) is an inactive supplier, so I can't order "
            "from them. Please choose another supplier.",
            field=field,
        )
    return supplier


def past_suppliers(ctx: Context, sku: str) -> list[Supplier]:
    """Active suppliers this product was bought from, most recent first."""
    rows = ctx.session.execute(
        select(Supplier, PurchaseOrder.order_date)
        .join(PurchaseOrder, PurchaseOrder.supplier_id == Supplier.id)
        .join(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .join(Product, Product.id == PurchaseOrderLine.product_id)
        .where(PurchaseOrder.company_id == ctx.company_id, Product.sku == sku)
        .where(Supplier.is_active.is_(True))
        .order_by(PurchaseOrder.order_date.desc(), PurchaseOrder.id.desc())
    )
    seen: dict[int, Supplier] = {}
    for supplier, _ in rows:
        seen.setdefault(supplier.id, supplier)
        if len(seen) == MAX_SUPPLIER_CHOICES:
            break
    return list(seen.values())


def purchase_tax_rate(ctx: Context) -> Decimal:
    """The input-tax rate of the company's latest purchase order, in percent.

    The data model keeps no purchase tax setting (it differs by company, and is
    zero for goods bought for resale), so the company's own last order is the
    best record of it; a company without orders pays none until it has one.
    """
    latest = ctx.session.execute(
        select(PurchaseOrder.subtotal, PurchaseOrder.tax_total)
        .where(PurchaseOrder.company_id == ctx.company_id, PurchaseOrder.subtotal > 0)
        .order_by(PurchaseOrder.order_date.desc(), PurchaseOrder.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return ZERO
    subtotal, tax = latest
    return (Decimal(tax) * HUNDRED / Decimal(subtotal)).quantize(Decimal("0.01"))


def lead_days(ctx: Context, supplier: Supplier) -> int:
    """Days from order to delivery on this supplier's latest order."""
    latest = ctx.session.execute(
        select(PurchaseOrder.order_date, PurchaseOrder.expected_date)
        .where(PurchaseOrder.company_id == ctx.company_id, PurchaseOrder.supplier_id == supplier.id)
        .order_by(PurchaseOrder.order_date.desc(), PurchaseOrder.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return DEFAULT_LEAD_DAYS
    return max(1, (latest[1] - latest[0]).days)


def _quantity(text: str, *, field: str | None = None) -> int:
    try:
        quantity = parse_quantity(text)
    except InvalidInput as error:
        raise InvalidInput(str(error), field=field) from None
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            f"The quantity must be a whole number from 1 to {MAX_QUANTITY:,}.", field=field
        )
    return quantity


# --- what the user sees -----------------------------------------------------------------


def _approver_words(role: Role | None) -> str:
    return f"a {role.name.lower()}" if role else "an administrator"


def _summary(ctx: Context, order: PricedPurchase) -> str:
    product = order.product
    currency = "" if ctx.currency in ctx.money(order.total) else f" ({ctx.currency})"
    tax = (
        f"input tax {format_percent(order.tax_rate)} {ctx.money(order.tax)}"
        if order.tax_rate
        else "no input tax"
    )
    return (
        f"Please confirm: a new purchase order from {order.supplier.name} "
        f"({order.supplier.code}) for {format_quantity(order.quantity, product.unit)} "
        f"{product.name} ({product.sku}) at its standard cost of {ctx.money(order.unit_cost)}, "
        f"delivered to {order.warehouse.name}, expected {format_date(order.expected)} "
        f"({order.lead_days} days, the supplier's lead time). Subtotal "
        f"{ctx.money(order.subtotal)}, {tax}, total {ctx.money(order.total)}{currency}. "
        f"It is dated {format_date(ctx.today)}, raised under your name "
        f"({ctx.actor.full_name}) and submitted for approval by "
        f"{_approver_words(order.approver)}."
    )


def _state(order: PricedPurchase) -> dict[str, Any]:
    product, supplier = order.product, order.supplier
    return {
        "product": [product.id, product.is_active, str(product.standard_cost)],
        "supplier": [supplier.id, supplier.is_active],
        "warehouse": order.warehouse.id,
        "tax_rate": str(order.tax_rate),
        "approver": order.approver.id if order.approver else None,
        "expected": order.expected.isoformat(),
    }


def _line_table(ctx: Context, order: PricedPurchase, title: str) -> dict[str, Any]:
    columns = [
        Column("product", "Product"),
        Column("quantity", "Quantity", "number"),
        Column("unit", "Unit"),
        Column("unit_cost", "Unit cost", "money"),
        Column("tax", "Tax", "money"),
        Column("total", "Total", "money"),
    ]
    rows = [
        {
            "product": order.product.name,
            "quantity": order.quantity,
            "unit": order.product.unit,
            "unit_cost": order.unit_cost,
            "tax": order.tax,
            "total": order.total,
        }
    ]
    return table(title, columns, rows, currency=ctx.currency)
