"""The company's bank account as the user names it: by name, by bank, by the last digits
of its number, or in passing inside a sentence.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select

from actions.erp.context import Context
from actions.erp.errors import Ambiguous, ERPError, InvalidInput
from actions.erp.models import BankAccount
from actions.erp.resolve import normalise_name
from actions.erp.writes.common import join_or

BANK_ACCEPT_SCORE = 80.0
BANK_MARGIN = 6.0
BANK_PLAUSIBLE_SCORE = 60.0

_BANK_NOISE = frozenset(
    {"bank", "account", "acct", "ac", "a", "c", "the", "our", "my", "from", "into", "in", "to"}
    | {"pay", "paid", "it", "went", "via", "through", "deposited", "use", "using", "was", "main"}
)


def bank_accounts(ctx: Context) -> list[BankAccount]:
    return list(
        ctx.session.scalars(
            select(BankAccount)
            .where(BankAccount.company_id == ctx.company_id)
            .order_by(BankAccount.id)
        )
    )


def account_label(account: BankAccount) -> str:
    return f"{account.name} ({account.bank_name} {account.account_number_masked})"


def _bank_words(text: str) -> str:
    words = normalise_name(text).split()
    return " ".join(w for w in words if w not in _BANK_NOISE)


def bank_account(ctx: Context, text: str, *, field: str | None = None) -> BankAccount:
    """The company's bank account by name, bank or the last digits of its number."""
    accounts = bank_accounts(ctx)
    if not accounts:
        raise ERPError(f"{ctx.actor.company_name} has no bank accounts set up.", field=field)
    labels = [account_label(a) for a in accounts]
    wanted = " ".join(text.split()).lower()
    for account, label in zip(accounts, labels, strict=True):
        if wanted in (label.lower(), account.name.lower()):
            return account
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3:
        by_digits = [a for a in accounts if a.account_number_masked.endswith(digits[-4:])]
        if len(by_digits) == 1:
            return by_digits[0]
    query = _bank_words(text)
    scored = sorted(
        ((_bank_score(query, account), account) for account in accounts),
        key=lambda pair: -pair[0],
    )
    best, runner_up = scored[0][0], scored[1][0] if len(scored) > 1 else 0.0
    if best >= BANK_ACCEPT_SCORE and best - runner_up >= BANK_MARGIN:
        return scored[0][1]
    plausible = [account_label(a) for s, a in scored if s >= BANK_PLAUSIBLE_SCORE]
    if len(plausible) > 1:
        raise Ambiguous(
            f"“{text.strip()}” could be {join_or(plausible)}. Which account?",
            plausible,
            field=field,
        )
    raise Ambiguous(
        f"I couldn't find a bank account matching “{text.strip()}”. "
        f"{ctx.actor.company_name}'s accounts are {join_or(labels)}. Which one?",
        labels,
        field=field,
    )


def named_in_passing(account: BankAccount, text: str) -> bool:
    """ "… into the BRAC account", "… from ****4821": an account named inside a sentence."""
    digits = re.sub(r"\D", "", account.account_number_masked)
    if digits and re.search(rf"(?<!\d){digits}(?!\d)", text):
        return True
    words = f" {normalise_name(text)} "
    bank = _bank_words(account.bank_name)
    if bank and f" {bank} " in words:
        return True
    # "operating" or "payroll" only as the name of an account
    name = _bank_words(account.name)
    return bool(name) and re.search(rf" {re.escape(name)} (?:bank )?(?:account|acct|ac) ", words)


def _bank_score(query: str, account: BankAccount) -> float:
    if not query:
        return 0.0
    keys = [account.name, account.bank_name, f"{account.bank_name} {account.name}"]
    return max(
        max(fuzz.token_set_ratio(query, key), fuzz.WRatio(query, key))
        for key in (_bank_words(k) for k in keys)
        if key
    )


def bank_account_param(ctx: Context, value: Any) -> BankAccount:
    if value in (None, ""):
        accounts = bank_accounts(ctx)
        if len(accounts) == 1:
            return accounts[0]
        raise InvalidInput(
            f"Which bank account? {join_or([account_label(a) for a in accounts])}.",
            field="bank_account",
        )
    if isinstance(value, int) or str(value).isdigit():
        account = ctx.session.get(BankAccount, int(value))
        if account is not None and account.company_id == ctx.company_id:
            return account
        raise InvalidInput("That bank account is not one of this company's.", field="bank_account")
    return bank_account(ctx, str(value), field="bank_account")
