"""Cash: bank balances from the general ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from actions.erp.answers import Answer, Column, table
from actions.erp.context import Context, Request
from actions.erp.formatting import format_date
from actions.erp.models import BankAccount, JournalEntry, JournalLine

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class BankBalance:
    account: BankAccount
    balance: Decimal


def bank_balances(ctx: Context, as_of: date | None = None) -> list[BankBalance]:
    """Balance of each bank account: its GL account's debits minus credits."""
    as_of = as_of or ctx.today
    accounts = list(
        ctx.session.scalars(
            select(BankAccount)
            .where(BankAccount.company_id == ctx.company_id)
            .order_by(BankAccount.id)
        )
    )
    sums = dict(
        ctx.session.execute(
            select(JournalLine.account_id, func.sum(JournalLine.debit - JournalLine.credit))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(JournalEntry.company_id == ctx.company_id)
            .where(JournalEntry.entry_date <= as_of)
            .where(JournalLine.account_id.in_([a.gl_account_id for a in accounts]))
            .group_by(JournalLine.account_id)
        ).all()
    )
    return [BankBalance(a, sums.get(a.gl_account_id) or ZERO) for a in accounts]


def total_cash(ctx: Context, as_of: date | None = None) -> Decimal:
    return sum((b.balance for b in bank_balances(ctx, as_of)), ZERO)


def cash_balance(ctx: Context, request: Request) -> Answer:
    balances = bank_balances(ctx)
    if not balances:
        return Answer(f"{ctx.actor.company_name} has no bank accounts set up.", outcome="empty")
    total = sum((b.balance for b in balances), ZERO)
    parts = ", ".join(f"{b.account.name} {ctx.money(b.balance)}" for b in balances)
    text = (
        f"Cash balance as of {format_date(ctx.today)}: {ctx.money(total)} "
        f"across {len(balances)} bank account{'s' if len(balances) != 1 else ''} ({parts})."
    )
    rows = [
        {
            "account": b.account.name,
            "bank": b.account.bank_name,
            "number": b.account.account_number_masked,
            "balance": b.balance,
        }
        for b in balances
    ]
    rows.append({"account": "Total", "bank": "", "number": "", "balance": total})
    columns = [
        Column("account", "Account"),
        Column("bank", "Bank"),
        Column("number", "Number"),
        Column("balance", "Balance", "money"),
    ]
    return Answer(text, [table("Cash by bank account", columns, rows, currency=ctx.currency)])
