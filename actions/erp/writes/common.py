"""Small pieces the sales, customer, invoice and payment writes share.

Amounts in the company's currency, single days, journal read-backs and the
credit position of a customer. Nothing here writes.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from actions.erp.answers import Column, table
from actions.erp.context import Context
from actions.erp.errors import ERPError, InvalidInput
from actions.erp.formatting import format_date
from actions.erp.models import (
    OPEN_INVOICE_STATUSES,
    Customer,
    CustomerInvoice,
    GLAccount,
    InvoiceStatus,
    SalesOrder,
    SalesOrderStatus,
)
from actions.erp.parsing import parse_amount, parse_period
from actions.erp.parsing.text import clean_text
from actions.erp.writes.base import Draft

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# the demo ERP's chart of accounts (actions/erp/demo/company.py)
RECEIVABLES = "1100"
PAYABLES = "2000"
TAX_PAYABLE = "2100"
SALES_REVENUE = "4000"

# sales orders that still turn into receivables: confirmed or delivered, not yet invoiced
OPEN_ORDER_STATUSES = (SalesOrderStatus.CONFIRMED, SalesOrderStatus.DELIVERED)


def cents(value: Decimal) -> Decimal:
    """Round half up to cents, as the ledger stores money."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_param(value: Any, what: str, *, field: str | None = None) -> Decimal:
    """A Decimal from a stored parameter ("123.45"); never through float."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"The {what} “{value}” is not a valid amount.", field=field) from None
    if not amount.is_finite():
        raise InvalidInput(f"The {what} “{value}” is not a valid amount.", field=field)
    return cents(amount)


def company_amount(ctx: Context, text: str, what: str, *, field: str | None = None) -> Decimal:
    """An amount the user typed, which must be in the company's currency."""
    try:
        parsed = parse_amount(text, ctx.currency)
    except InvalidInput as error:
        raise InvalidInput(str(error), field=field) from None
    if parsed.currency != ctx.currency:
        raise InvalidInput(
            f"{ctx.actor.company_name} keeps its books in {ctx.currency}, so the {what} has to be "
            f"in {ctx.currency}; I can't take “{text.strip()}” ({parsed.currency}). "
            f"Please give the amount in {ctx.currency}.",
            field=field,
        )
    return parsed.amount


def require(draft: Draft, fields: Sequence[str], words: dict[str, str]) -> None:
    """A draft handed to `plan` without one of its fields gets that field asked for."""
    for name in fields:
        if draft.get(name) in (None, "", []):
            raise InvalidInput(f"I still need the {words.get(name, name)}.", field=name)


def by_exact_name(ctx: Context, model: Any, text: str, *, code: str = "code") -> Any | None:
    """The row whose code, or whose whole name, is exactly the text (case aside).

    Picking a candidate the assistant offered ("Meghna Textiles Ltd") must
    land on that row even where fuzzy resolution finds two names that only
    differ in a company suffix.
    """
    wanted = " ".join(text.split())
    row = ctx.session.scalar(
        select(model).where(model.company_id == ctx.company_id, getattr(model, code) == wanted)
    )
    if row is not None:
        return row
    rows = ctx.session.scalars(
        select(model).where(
            model.company_id == ctx.company_id, func.lower(model.name) == wanted.lower()
        )
    ).all()
    return rows[0] if len(rows) == 1 else None


# --- single days ------------------------------------------------------------------

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS = {name: index for index, name in enumerate(_DAY_NAMES)}
_WEEKDAYS.update({name[:3]: index for index, name in enumerate(_DAY_NAMES)})
_WEEKDAY_RE = re.compile(r"^(?:(?P<which>next|this|coming)\s+)?(?P<day>[a-z]+)$")
_END_OF_MONTH_RE = re.compile(r"^(?:the\s+)?end of (?:the\s+)?(?P<which>this|next)?\s*month$")
_NUMERIC_DATE_RE = re.compile(r"^(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<year>\d{4}|\d{2})$")
_TYPED_YEAR_RE = re.compile(r"\b(?:19|20)\d{2}\b|'\d{2}\b")
_DAY_PREFIX_RE = re.compile(r"^(?:by|before|on|for|from|dated|date|at|around|due)\s+")


def named_record(
    ctx: Context,
    model: Any,
    text: str,
    resolve: Callable[[Session, int, str], Any],
    *,
    field: str | None = None,
    code: str = "code",
) -> Any:
    """The row the text names exactly (`by_exact_name`), else what `resolve` finds.

    A not-found or ambiguous name raises its ERPError tagged with `field`, so
    the write form asks that question again.
    """
    exact = by_exact_name(ctx, model, text, code=code)
    if exact is not None:
        return exact
    try:
        return resolve(ctx.session, ctx.company_id, text)
    except ERPError as error:
        error.field = field
        raise


def _special_day(s: str, ctx: Context) -> date | None:
    """Forms the period parser leaves to callers: weekdays, month end, 30/11/2026."""
    match = _WEEKDAY_RE.match(s)
    if match and match.group("day") in _WEEKDAYS:
        ahead = (_WEEKDAYS[match.group("day")] - ctx.today.weekday()) % 7
        if match.group("which") == "next" and ahead == 0:
            ahead = 7
        return ctx.today + timedelta(days=ahead)
    match = _END_OF_MONTH_RE.match(s)
    if match:
        first = ctx.today.replace(day=1)
        if match.group("which") == "next":
            first = (first + timedelta(days=32)).replace(day=1)
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])
    match = _NUMERIC_DATE_RE.match(s)
    if match:
        a, b = int(match.group("a")), int(match.group("b"))
        year = int(match.group("year"))
        year += 2000 if year < 100 else 0
        # day first (30/11/2026) except where it cannot be, or in a US-dollar company
        month_first = a <= 12 and (b > 12 or ctx.currency == "USD")
        month, day = (a, b) if month_first else (b, a)
        try:
            return date(year, month, day)
        except ValueError:
            raise InvalidInput(f"“{s}” is not a real date.") from None
    return None


def parse_day(ctx: Context, text: str, *, future: bool) -> date:
    """One calendar day from what the user typed.

    `future` says which way a day typed without a year points: a delivery
    date ("30 nov") is the next one, a payment date the last one.
    """
    s = clean_text(text).strip(" .!?")
    while (stripped := _DAY_PREFIX_RE.sub("", s)) != s:
        s = stripped
    day = _special_day(s, ctx)
    if day is not None:
        return day
    period = parse_period(s or text, ctx.today)
    if period.start != period.end:
        raise InvalidInput(
            f"“{text.strip()}” is a period ({period.label}), not a day. "
            "Please give one date, such as tomorrow, 5 December or 2026-12-05."
        )
    day = period.start
    if future and day < ctx.today and not _TYPED_YEAR_RE.search(s) and re.search(r"\d", s):
        # "30 nov" in December means next year's, not the one that has passed
        with contextlib.suppress(ValueError):  # 29 Feb stays as it was
            day = day.replace(year=day.year + 1)
    return day


# --- the general ledger -------------------------------------------------------------


def gl_accounts(ctx: Context, codes: Sequence[str]) -> dict[str, GLAccount]:
    """The company's accounts by code; a missing one stops the write before anything changes."""
    found = {
        account.code: account
        for account in ctx.session.scalars(
            select(GLAccount).where(
                GLAccount.company_id == ctx.company_id, GLAccount.code.in_(list(codes))
            )
        )
    }
    if missing := [code for code in codes if code not in found]:
        raise ERPError(
            f"The chart of accounts of {ctx.actor.company_name} has no account "
            f"{', '.join(missing)}, so I can't post this. Please ask your accountant."
        )
    return found


JournalLines = list[tuple[str, Decimal, Decimal]]


def journal_text(ctx: Context, accounts: dict[str, GLAccount], lines: JournalLines) -> str:
    parts = []
    for code, debit, credit in lines:
        side = "debit" if debit else "credit"
        parts.append(f"{side} {code} {accounts[code].name} {ctx.money(debit or credit)}")
    return "; ".join(parts)


def journal_table(
    ctx: Context, title: str, accounts: dict[str, GLAccount], lines: JournalLines
) -> dict[str, Any]:
    columns = [
        Column("account", "Account"),
        Column("debit", "Debit", "money"),
        Column("credit", "Credit", "money"),
    ]
    rows = [
        {
            "account": f"{code} {accounts[code].name}",
            "debit": debit if debit else None,
            "credit": credit if credit else None,
        }
        for code, debit, credit in lines
    ]
    return table(title, columns, rows, currency=ctx.currency)


def journal_state(lines: JournalLines) -> list[list[str]]:
    return [[code, str(debit), str(credit)] for code, debit, credit in lines]


# --- credit -------------------------------------------------------------------------


def open_receivables(ctx: Context, customer_id: int) -> Decimal:
    """What the customer owes on posted invoices that are not fully paid."""
    total = ctx.session.scalar(
        select(func.sum(CustomerInvoice.total - CustomerInvoice.amount_paid)).where(
            CustomerInvoice.company_id == ctx.company_id,
            CustomerInvoice.customer_id == customer_id,
            CustomerInvoice.status.in_(OPEN_INVOICE_STATUSES),
        )
    )
    return total if total is not None else ZERO


def open_orders(ctx: Context, customer_id: int) -> Decimal:
    """Confirmed or delivered sales orders that no posted invoice has billed yet."""
    billed = exists().where(
        CustomerInvoice.sales_order_id == SalesOrder.id,
        CustomerInvoice.status.in_(
            (InvoiceStatus.POSTED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)
        ),
    )
    total = ctx.session.scalar(
        select(func.sum(SalesOrder.total)).where(
            SalesOrder.company_id == ctx.company_id,
            SalesOrder.customer_id == customer_id,
            SalesOrder.status.in_(OPEN_ORDER_STATUSES),
            ~billed,
        )
    )
    return total if total is not None else ZERO


def credit_exposure(ctx: Context, customer: Customer) -> tuple[Decimal, Decimal]:
    """(open receivables, open orders): together what the customer's credit already carries."""
    return open_receivables(ctx, customer.id), open_orders(ctx, customer.id)


def describe_day(day: date, today: date) -> str:
    if day == today:
        return f"today, {format_date(day)}"
    if day == today + timedelta(days=1):
        return f"tomorrow, {format_date(day)}"
    if day == today - timedelta(days=1):
        return f"yesterday, {format_date(day)}"
    return format_date(day)


def join_and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def join_or(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"
