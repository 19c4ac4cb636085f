"""Which way a payment goes and with whom: money in comes from a customer, money out
goes to a supplier, and the name of one often says which.
"""

from __future__ import annotations

import re

from actions.erp.context import Context
from actions.erp.errors import Ambiguous, ERPError, InvalidInput, NotFound
from actions.erp.models import Customer, PaymentDirection, Supplier
from actions.erp.parsing.text import clean_text
from actions.erp.resolve import resolve_customer, resolve_supplier
from actions.erp.writes.base import Draft
from actions.erp.writes.common import named_record

RECEIPT, PAYMENT = PaymentDirection.RECEIPT.value, PaymentDirection.PAYMENT.value

_RECEIPT_WORDS_RE = re.compile(
    r"\b(?:receiv\w*|receipts?|rcpt|collect\w*|incoming|money in|in ?flow|paid us|pays us|"
    r"sent us|deposit\w*|payments? from|from (?:a |the )?customer|customer (?:receipt|payment)|"
    r"they paid)\b"
)
_PAYMENT_WORDS_RE = re.compile(
    r"\b(?:paid|pay|paying|payments? to|payment we made|outgoing|money out|out ?flow|"
    r"to (?:a |the )?supplier|supplier payment|vendor payment|disburs\w*|remit\w*|settle\w*)\b"
)


def direction_in_words(text: str) -> str | None:
    if _RECEIPT_WORDS_RE.search(text):
        return RECEIPT
    if _PAYMENT_WORDS_RE.search(text):
        return PAYMENT
    return None


def direction_word(value: str) -> str:
    word = clean_text(value).strip(" .!")
    if word in ("in", "receipt", "a receipt", "customer", "from a customer", "money received"):
        return RECEIPT
    if word in ("out", "payment", "a payment", "supplier", "to a supplier", "money paid"):
        return PAYMENT
    raise InvalidInput(
        "Is this money received from a customer (a receipt) or paid to a supplier (a payment)?"
    )


def _party_model(direction: str) -> type[Customer] | type[Supplier]:
    return Customer if direction == RECEIPT else Supplier


def party_by_name(
    ctx: Context, direction: str, text: str, *, field: str | None = None
) -> Customer | Supplier:
    resolve = resolve_customer if direction == RECEIPT else resolve_supplier
    return named_record(ctx, _party_model(direction), text, resolve, field=field)


def read_party(ctx: Context, text: str, direction: str | None) -> Draft:
    if direction in (RECEIPT, PAYMENT):
        return {"party": party_by_name(ctx, direction, text).code}
    # no direction yet: the name says which, if it is only one of the two
    found: dict[str, Customer | Supplier] = {}
    problems: list[ERPError] = []
    for kind in (RECEIPT, PAYMENT):
        try:
            found[kind] = party_by_name(ctx, kind, text)
        except ERPError as problem:
            problems.append(problem)
    if len(found) == 1:
        kind, party = next(iter(found.items()))
        return {"direction": kind, "party": party.code}
    if len(found) == 2:
        raise Ambiguous(
            f"{found[RECEIPT].name} is a customer and {found[PAYMENT].name} a supplier. "
            "Is this a receipt from the customer or a payment to the supplier?",
            [found[RECEIPT].name, found[PAYMENT].name],
        )
    ambiguous = next((p for p in problems if isinstance(p, Ambiguous)), None)
    if ambiguous is not None:
        raise ambiguous
    raise NotFound(
        f"I couldn't find a customer or a supplier called “{text.strip()}” in "
        f"{ctx.actor.company_name}. Please check the name."
    )
