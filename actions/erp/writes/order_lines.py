"""Order lines as the user types and corrects them: "120 denim, 50 yarn", "make it 80",
"remove line 2", "replace the yarn with zippers".
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from actions.erp.context import Context, Request
from actions.erp.errors import Ambiguous, ERPError, InvalidInput, NotFound
from actions.erp.formatting import format_quantity
from actions.erp.models import Product
from actions.erp.parsing import parse_quantity
from actions.erp.parsing.text import clean_text
from actions.erp.resolve import resolve_product
from actions.erp.writes.base import Draft
from actions.erp.writes.common import company_amount
from actions.erp.writes.order_checks import (
    product_by_sku,
    sellable_product,
    stock_at,
    warehouse_by_name,
)

MAX_LINES = 50

Line = dict[str, Any]  # {"product": sku, "quantity": int, "unit_price": "123.45" | None}

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
REMOVE_RE = re.compile(r"\b(?:remove|delete|drop|take out|take off|without|no lines? for)\b")
_REPLACE_RE = re.compile(r"\b(?:replace|swap|change|instead of|should be|switch)\b")
_PRICE_WORDS_RE = re.compile(r"\b(?:price|priced|rate|each|per|apiece|a piece|at)\b|@")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
_ORDINALS.update({"seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10})
LINE_NUMBER_RE = re.compile(
    r"\b(?:(?:line|item|row)\s+(?:no\.?\s*|number\s+|#\s*)?(?P<num>\d{1,2})"
    r"|(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|"
    r"\d{1,2}(?:st|nd|rd|th))\s+(?:line|item|row|product))\b"
)

_Given = tuple[Product, int | None, Decimal | None]


def apply_entities(
    ctx: Context, draft: Draft, lines: list[Line], request: Request, restoring: bool
) -> list[Line]:
    """The lines changed by the products, quantities and prices NLU found in a message."""
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
    if REMOVE_RE.search(text) and not quantities:
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
                sellable_product(ctx, product),
                parse_quantity(quantities[i]) if i < len(quantities) else None,
                _unit_price(ctx, amounts[i]) if amounts else None,
            )
            for i, product in enumerate(products)
        ]
        return merge(ctx, lines, given)
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
    index = number if number is not None else _target(ctx, draft, lines, restoring)
    if quantities:
        lines[index]["quantity"] = parse_quantity(quantities[0])
    if amounts:
        lines[index]["unit_price"] = str(_unit_price(ctx, amounts[0]))
    return lines


def apply_text(
    ctx: Context, draft: Draft, lines: list[Line], text: str, restoring: bool
) -> list[Line]:
    """The answer to "which products?" when NLU found no product or quantity in it."""
    cleaned = clean_text(text).strip(" .!")
    number = _line_number(cleaned, len(lines))
    if lines and REMOVE_RE.search(cleaned) and number is not None:
        return _remove(ctx, lines, [], number)
    bare = _CORRECTION_TAIL_RE.sub("", _CORRECTION_FILLER_RE.sub("", cleaned, count=1))
    if lines and re.fullmatch(rf"{_QTY}(?:\s+(?:{_UNIT_WORDS}))?", bare):
        index = number if number is not None else _target(ctx, draft, lines, restoring)
        lines[index]["quantity"] = parse_quantity(bare)
        return lines
    return merge(ctx, lines, lines_from_text(ctx, text))


def _target(ctx: Context, draft: Draft, lines: list[Line], restoring: bool) -> int:
    """The line a bare quantity changes: the one that ran short, else the last."""
    if restoring and draft.get("warehouse"):
        try:
            warehouse = warehouse_by_name(ctx, draft["warehouse"])
        except ERPError:
            return len(lines) - 1
        for index, line in enumerate(lines):
            product = product_by_sku(ctx, line["product"])
            if product and int(line["quantity"]) > stock_at(ctx, product, warehouse):
                return index
    return len(lines) - 1


def _unit_price(ctx: Context, text: str) -> Decimal:
    return company_amount(ctx, text, "unit price")


def merge(ctx: Context, lines: list[Line], given: list[_Given]) -> list[Line]:
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
        drop = {_line_index(lines, product_by_sku(ctx, p) or _resolve(ctx, p)) for p in products}
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
        index = _line_index(lines, product_by_sku(ctx, products[0]) or _resolve(ctx, products[0]))
        new = sellable_product(ctx, products[1])
    else:
        assert number is not None
        index, new = number, sellable_product(ctx, products[0])
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
    match = LINE_NUMBER_RE.search(text)
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


def lines_from_text(ctx: Context, text: str) -> list[_Given]:
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
            return sellable_product(ctx, match.group("product").strip(" .")), quantity, None
    if unreadable is not None:
        raise unreadable
    try:
        product = sellable_product(ctx, piece)
    except NotFound:
        product = None
    if product is not None:
        raise _how_many(product)
    raise InvalidInput(
        f"I couldn't read “{piece}” as an order line. Please give the quantity and the product, "
        f"such as {_LINE_EXAMPLE}."
    )
