"""Creating sales orders: lines, stock, prices, the customer's discount, tax and credit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import select

from actions.erp.answers import Column, table
from actions.erp.context import Context, Request
from actions.erp.errors import Ambiguous, ERPError, InvalidInput, NotFound
from actions.erp.formatting import format_date, format_percent, format_quantity
from actions.erp.models import (
    Customer,
    Product,
    SalesOrder,
    SalesOrderLine,
    SalesOrderStatus,
    StockLevel,
    Warehouse,
)
from actions.erp.parsing import parse_quantity
from actions.erp.parsing.text import clean_text
from actions.erp.resolve import resolve_customer, resolve_product, resolve_warehouse
from actions.erp.writes.base import Choice, Done, Draft, FillResult, Plan, WriteCommand
from actions.erp.writes.common import (
    ZERO,
    by_exact_name,
    cents,
    company_amount,
    credit_exposure,
    decimal_param,
    describe_day,
    parse_day,
    require,
)
from actions.erp.writes.ledger import next_number

MAX_LINES = 50
MAX_QUANTITY = 1_000_000_000
MAX_DAYS_AHEAD = 365
HUNDRED = Decimal(100)
# where the lines are kept while the assistant asks for them again (stock ran
# short, a product stopped being sold), so "make it 80" can still correct them
LAST_LINES = "last_lines"

Line = dict[str, Any]  # {"product": sku, "quantity": int, "unit_price": "123.45" | None}

_FIELD_WORDS = {
    "customer": "customer",
    "lines": "products and quantities",
    "warehouse": "warehouse to ship from",
    "requested_date": "requested delivery date",
}
_LINE_EXAMPLE = "“120 Denim Fabric 10 oz, 50 Cotton Yarn 20s”"
_UNIT_WORDS = (
    r"units?|pcs\.?|pieces?|pc|items?|nos\.?|numbers?|boxes|box|cartons?|packs?|packets?|"
    r"bags?|sets?|pairs?|rolls?|bottles?|cases?|kgs?|kilos?|kilograms?|m|metres?|meters?|"
    r"coils?|drums?|reams?|tons?|litres?|liters?|each|ea"
)
_NUMBER_WORDS = (
    r"a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|thousand|dozens?|half|and"
)
_QTY = (
    rf"(?:-?\d[\d,]*(?:\.\d+)?(?:\s*(?:k|dozens?)(?![a-z]))?"
    rf"|(?:(?:{_NUMBER_WORDS})(?![a-z])[\s-]+)*(?:{_NUMBER_WORDS})(?![a-z]))"
)
_LEADING_QTY_RE = re.compile(
    rf"^(?P<qty>{_QTY})\s*(?:[x×*]\s*)?(?:(?:{_UNIT_WORDS})\.?\s+)?(?:of\s+)?(?P<product>.+)$"
)
_TRAILING_QTY_RE = re.compile(
    rf"^(?P<product>.+?)\s*(?:[x×*:=]|\s-)\s*(?P<qty>\d[\d,]*)(?:\s*(?:{_UNIT_WORDS}))?\.?$"
)
_LINE_SPLIT_RE = re.compile(r"\s*(?:;|\n|,(?!\d)|\band\b|\bplus\b|&)\s*")
_LINE_FILLER_RE = re.compile(
    r"^(?:(?:please|also|add|plus|and|with|then|another|one more line:?|i want|we need|"
    r"i need|they want|order|lines?:?)\s+)+"
)
_CORRECTION_FILLER_RE = re.compile(
    r"^(?:(?:ok|okay|sorry|no|actually|just|then|only|halve it|double it),?\s+)*"
    r"(?:make (?:it|that|the quantity)|change (?:it|that|the quantity|the qty) to|"
    r"set (?:it|the quantity) to|update (?:the )?(?:qty|quantity) to|let'?s do|"
    r"reduce (?:it )?to|increase (?:it )?to|i meant|quantity|qty)?\s*"
)
_CORRECTION_TAIL_RE = re.compile(r"\s*(?:please|instead|then|of those|of them|only)\s*$")
_REMOVE_RE = re.compile(r"\b(?:remove|delete|drop|take out|take off|without|no lines? for)\b")
_REPLACE_RE = re.compile(r"\b(?:replace|swap|change|instead of|should be|switch)\b")
_PRICE_WORDS_RE = re.compile(r"\b(?:price|priced|rate|each|per|apiece|a piece|at)\b|@")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
_ORDINALS.update({"seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10})
_LINE_NUMBER_RE = re.compile(
    r"\b(?:(?:line|item|row)\s+(?:no\.?\s*|number\s+|#\s*)?(?P<num>\d{1,2})"
    r"|(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|"
    r"\d{1,2}(?:st|nd|rd|th))\s+(?:line|item|row|product))\b"
)


@dataclass(frozen=True)
class _PricedLine:
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
class _Order:
    customer: Customer
    warehouse: Warehouse
    requested: date
    lines: list[_PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    open_receivables: Decimal
    open_orders: Decimal

    @property
    def exposure(self) -> Decimal:
        return self.open_receivables + self.open_orders


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
            or (_REMOVE_RE.search(text) and _LINE_NUMBER_RE.search(text))
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
                lines = self._apply_entities(ctx, result.draft, base, request, restoring)
            else:
                lines = self._apply_text(ctx, result.draft, base, request.text, restoring)
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
            customer = _customer(ctx, value)
            _check_active(customer)
            _check_credit_left(ctx, customer)
            return {"customer": customer.code}
        if name == "warehouse":
            return {"warehouse": _warehouse(ctx, value).code}
        if name == "requested_date":
            return {"requested_date": _requested_date(ctx, value).isoformat()}
        if name == "lines":
            lines = _merge(ctx, [], _lines_from_text(ctx, value))
            return {"lines": lines, LAST_LINES: [dict(line) for line in lines]}
        raise KeyError(name)

    def _apply_entities(
        self, ctx: Context, draft: Draft, lines: list[Line], request: Request, restoring: bool
    ) -> list[Line]:
        text = clean_text(request.text)
        products = request.all("product")
        quantities = request.all("quantity")
        amounts = request.all("amount")
        number = _line_number(text, len(lines))
        if amounts and not products and not _PRICE_WORDS_RE.search(text):
            raise InvalidInput(
                "On a sales order I can only take a unit price for a line, such as "
                "“at 250 each”; the total follows from the lines."
            )
        if _REMOVE_RE.search(text) and not quantities:
            return _remove(ctx, lines, products, number)
        if _REPLACE_RE.search(text) and (len(products) == 2 or (products and number is not None)):
            return _replace(ctx, lines, products, number, quantities, amounts)
        if products:
            if len(quantities) > len(products):
                raise InvalidInput(
                    "I couldn't tell which product each quantity belongs to. "
                    f"Please give each line as quantity and product, such as {_LINE_EXAMPLE}."
                )
            if amounts and len(amounts) != len(products):
                raise InvalidInput(
                    "Please give one unit price per product, or set the prices one line "
                    "at a time (“Denim Fabric 10 oz at 300 each”)."
                )
            given = [
                (
                    _sellable_product(ctx, product),
                    parse_quantity(quantities[i]) if i < len(quantities) else None,
                    _unit_price(ctx, amounts[i]) if amounts else None,
                )
                for i, product in enumerate(products)
            ]
            return _merge(ctx, lines, given)
        if not lines:
            raise InvalidInput(
                "Which product is that for? Please give each line as quantity and product, "
                f"such as {_LINE_EXAMPLE}."
            )
        if len(quantities) > 1 or len(amounts) > 1:
            raise InvalidInput(
                "Please change one line at a time, naming the product, such as "
                "“make the Denim Fabric 10 oz 120”."
            )
        index = number if number is not None else self._target(ctx, draft, lines, restoring)
        if quantities:
            lines[index]["quantity"] = parse_quantity(quantities[0])
        if amounts:
            lines[index]["unit_price"] = str(_unit_price(ctx, amounts[0]))
        return lines

    def _apply_text(
        self, ctx: Context, draft: Draft, lines: list[Line], text: str, restoring: bool
    ) -> list[Line]:
        """The answer to "which products?" when NLU found no product or quantity in it."""
        cleaned = clean_text(text).strip(" .!")
        number = _line_number(cleaned, len(lines))
        if lines and _REMOVE_RE.search(cleaned) and number is not None:
            return _remove(ctx, lines, [], number)
        bare = _CORRECTION_TAIL_RE.sub("", _CORRECTION_FILLER_RE.sub("", cleaned, count=1))
        if lines and re.fullmatch(rf"{_QTY}(?:\s+(?:{_UNIT_WORDS}))?", bare):
            index = number if number is not None else self._target(ctx, draft, lines, restoring)
            lines[index]["quantity"] = parse_quantity(bare)
            return lines
        return _merge(ctx, lines, _lines_from_text(ctx, text))

    def _target(self, ctx: Context, draft: Draft, lines: list[Line], restoring: bool) -> int:
        """The line a bare quantity changes: the one that ran short, else the last."""
        if restoring and draft.get("warehouse"):
            try:
                warehouse = _warehouse(ctx, draft["warehouse"])
            except ERPError:
                return len(lines) - 1
            for index, line in enumerate(lines):
                product = _product_by_sku(ctx, line["product"])
                if product and int(line["quantity"]) > _stock(ctx, product, warehouse):
                    return index
        return len(lines) - 1

    # --- checking and pricing ------------------------------------------------------

    def _evaluate(self, ctx: Context, draft: Draft) -> _Order:
        require(draft, self.fields, _FIELD_WORDS)
        customer = _customer(ctx, str(draft["customer"]), field="customer")
        _check_active(customer, field="customer")
        warehouse = _warehouse(ctx, str(draft["warehouse"]), field="warehouse")
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
        lines: list[_PricedLine] = []
        seen: set[int] = set()
        for item in raw:
            line = _price_line(ctx, item, customer, warehouse)
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
        order = _Order(
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
        _check_credit(ctx, order)
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

    def _summary(self, ctx: Context, order: _Order) -> str:
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


# --- master data ---------------------------------------------------------------------


def _customer(ctx: Context, text: str, *, field: str | None = None) -> Customer:
    exact = by_exact_name(ctx, Customer, text)
    if exact is not None:
        return exact
    try:
        return resolve_customer(ctx.session, ctx.company_id, text)
    except ERPError as error:
        error.field = field
        raise


def _check_active(customer: Customer, *, field: str | None = None) -> None:
    if not customer.is_active:
        raise InvalidInput(
            f"{customer.name} ({customer.code}) is an inactive customer, so I can't take new "
            "orders for them. Please choose another customer or ask to have them reactivated.",
            field=field,
        )


def _check_credit_left(ctx: Context, customer: Customer) -> None:
    """Said as soon as the customer is named: no order fits into a used-up limit."""
    receivables, orders = credit_exposure(ctx, customer)
    if receivables + orders >= customer.credit_limit:
        raise InvalidInput(
            f"{customer.name} has no credit left: limit {ctx.money(customer.credit_limit)}, "
            f"already used {ctx.money(receivables + orders)} (open invoices "
            f"{ctx.money(receivables)}, open orders {ctx.money(orders)}). I can't create a "
            "new order for them until they pay or their limit is raised."
        )


def _check_credit(ctx: Context, order: _Order) -> None:
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


def _warehouse(ctx: Context, text: str, *, field: str | None = None) -> Warehouse:
    exact = by_exact_name(ctx, Warehouse, text)
    if exact is not None:
        return exact
    try:
        return resolve_warehouse(ctx.session, ctx.company_id, text)
    except ERPError as error:
        error.field = field
        raise


def _product_by_sku(ctx: Context, sku: str) -> Product | None:
    return ctx.session.scalar(
        select(Product).where(Product.company_id == ctx.company_id, Product.sku == sku)
    )


def _sellable_product(ctx: Context, text: str, *, field: str | None = None) -> Product:
    product = by_exact_name(ctx, Product, text, code="sku")
    if product is None:
        try:
            product = resolve_product(ctx.session, ctx.company_id, text)
        except ERPError as error:
            error.field = field
            raise
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


def _stock(ctx: Context, product: Product, warehouse: Warehouse) -> int:
    quantity = ctx.session.scalar(
        select(StockLevel.quantity).where(
            StockLevel.company_id == ctx.company_id,
            StockLevel.product_id == product.id,
            StockLevel.warehouse_id == warehouse.id,
        )
    )
    return int(quantity or 0)


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


def _unit_price(ctx: Context, text: str) -> Decimal:
    return company_amount(ctx, text, "unit price")


# --- lines -----------------------------------------------------------------------------

_Given = tuple[Product, int | None, Decimal | None]


def _merge(ctx: Context, lines: list[Line], given: list[_Given]) -> list[Line]:
    """Add new products as lines; a product already on the order has that line changed."""
    for product, quantity, price in given:
        index = next((i for i, ln in enumerate(lines) if ln["product"] == product.sku), None)
        if index is None:
            if quantity is None:
                raise _how_many(product)
            lines.append(
                {
                    "product": product.sku,
                    "quantity": quantity,
                    "unit_price": str(price) if price is not None else None,
                }
            )
            continue
        if quantity is None and price is None:
            current = format_quantity(int(lines[index]["quantity"]), product.unit)
            raise InvalidInput(
                f"{product.name} is already on the order ({current}). "
                "Say how many you want instead, or a unit price."
            )
        if quantity is not None:
            lines[index]["quantity"] = quantity
        if price is not None:
            lines[index]["unit_price"] = str(price)
    if len(lines) > MAX_LINES:
        raise InvalidInput(
            f"An order can have at most {MAX_LINES} lines. Please split it into several orders."
        )
    return lines


def _how_many(product: Product) -> InvalidInput:
    return InvalidInput(
        f"How many {product.name} ({product.unit})? For example “20 {product.name}”."
    )


def _line_index(lines: list[Line], product: Product) -> int:
    for index, line in enumerate(lines):
        if line["product"] == product.sku:
            return index
    raise InvalidInput(f"{product.name} is not on the order.")


def _remove(ctx: Context, lines: list[Line], products: list[str], number: int | None) -> list[Line]:
    if products:
        drop = {_line_index(lines, _product_by_sku(ctx, p) or _resolve(ctx, p)) for p in products}
    elif number is not None:
        drop = {number}
    else:
        raise InvalidInput("Which line should I remove? Name the product or say “remove line 2”.")
    return [line for index, line in enumerate(lines) if index not in drop]


def _replace(
    ctx: Context,
    lines: list[Line],
    products: list[str],
    number: int | None,
    quantities: list[str],
    amounts: list[str],
) -> list[Line]:
    """ "replace X with Y", "change X to Y", "the second item should be Y"."""
    if len(products) == 2:
        index = _line_index(lines, _product_by_sku(ctx, products[0]) or _resolve(ctx, products[0]))
        new = _sellable_product(ctx, products[1])
    else:
        assert number is not None
        index, new = number, _sellable_product(ctx, products[0])
    if any(ln["product"] == new.sku for i, ln in enumerate(lines) if i != index):
        raise InvalidInput(
            f"{new.name} is already on the order. Please change its quantity instead."
        )
    lines[index] = {
        "product": new.sku,
        "quantity": parse_quantity(quantities[0]) if quantities else lines[index]["quantity"],
        "unit_price": str(_unit_price(ctx, amounts[0])) if amounts else None,
    }
    return lines


def _resolve(ctx: Context, text: str) -> Product:
    return resolve_product(ctx.session, ctx.company_id, text)


def _line_number(text: str, count: int) -> int | None:
    """The 0-based line a message points at ("line 2", "the second item", "the last line")."""
    match = _LINE_NUMBER_RE.search(text)
    if not match or not count:
        return None
    if match.group("num"):
        number = int(match.group("num"))
    elif match.group("ord") == "last":
        number = count
    else:
        word = match.group("ord")
        number = _ORDINALS.get(word) or int(re.sub(r"\D", "", word))
    if not 1 <= number <= count:
        raise InvalidInput(
            f"The order has {count} line{'s' if count != 1 else ''}, so there is no line {number}."
        )
    return number - 1


def _protect_names(ctx: Context, text: str) -> tuple[str, dict[str, str]]:
    """Hide exact product names, whose commas and "and"s are not line separators."""
    names = ctx.session.scalars(select(Product.name).where(Product.company_id == ctx.company_id))
    hidden: dict[str, str] = {}
    for name in sorted(names, key=len, reverse=True):
        pattern = re.compile(rf"(?<![\w]){re.escape(name.lower())}(?![\w])")
        if pattern.search(text):
            key = f"§{len(hidden)}§"
            hidden[key] = name
            text = pattern.sub(key, text)
    return text, hidden


def _lines_from_text(ctx: Context, text: str) -> list[_Given]:
    """Lines typed as text: "120 denim fabric, 50 kg cotton yarn; zipper x 300"."""
    cleaned = clean_text(text).strip(" .!")
    protected, hidden = _protect_names(ctx, cleaned)
    pieces = [p for p in _LINE_SPLIT_RE.split(protected) if p and p.strip(" .")]
    if not pieces:
        raise InvalidInput(f"Which products, and how many? For example {_LINE_EXAMPLE}.")
    if len(pieces) > MAX_LINES:
        raise InvalidInput(
            f"An order can have at most {MAX_LINES} lines. Please split it into several orders."
        )
    given: list[_Given] = []
    problems: list[ERPError] = []
    for piece in pieces:
        for key, name in hidden.items():
            piece = piece.replace(key, name.lower())
        try:
            given.append(_line_from_piece(ctx, piece))
        except ERPError as problem:
            problems.append(problem)
    if problems:
        first_ambiguous = next((p for p in problems if isinstance(p, Ambiguous)), None)
        message = " ".join(str(p) for p in problems)
        if first_ambiguous is not None:
            raise Ambiguous(message, first_ambiguous.candidates)
        raise InvalidInput(message)
    return given


def _line_from_piece(ctx: Context, piece: str) -> _Given:
    piece = _LINE_FILLER_RE.sub("", piece.strip(" .")).strip()
    unreadable: InvalidInput | None = None
    for pattern in (_LEADING_QTY_RE, _TRAILING_QTY_RE):
        match = pattern.match(piece)
        if match:
            try:
                quantity = parse_quantity(match.group("qty"))
            except InvalidInput as error:
                unreadable = unreadable or error
                continue
            return _sellable_product(ctx, match.group("product").strip(" .")), quantity, None
    if unreadable is not None:
        raise unreadable
    try:
        product = _sellable_product(ctx, piece)
    except NotFound:
        product = None
    if product is not None:
        raise _how_many(product)
    raise InvalidInput(
        f"I couldn't read “{piece}” as an order line. Please give the quantity and the product, "
        f"such as {_LINE_EXAMPLE}."
    )


def _price_line(ctx: Context, item: Any, customer: Customer, warehouse: Warehouse) -> _PricedLine:
    if not isinstance(item, dict) or "product" not in item or "quantity" not in item:
        raise InvalidInput("One of the order lines is incomplete. Which products?", field="lines")
    product = _sellable_product(ctx, str(item["product"]), field="lines")
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
    stock = _stock(ctx, product, warehouse)
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
    return _PricedLine(product, quantity, price, bool(given), gross, gross - net, net, tax, stock)


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


def _state(order: _Order) -> dict[str, Any]:
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


def _lines_table(ctx: Context, order: _Order, title: str) -> dict[str, Any]:
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
