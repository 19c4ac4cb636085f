"""Driving confirmed writes the way the dialogue does, and reading the database after.

Figures the tests expect come from SQL or ORM queries written in the tests,
not from the command code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from actions.erp.context import Request
from actions.erp.db import get_engine, read_session
from actions.erp.models import AuditLog
from actions.erp.service import ERPService
from actions.erp.writes.ledger import entry_balance
from actions.erp.writes.protocol import WriteReply

CONVERSATION = "conv-1"


def request(message: str = "", **entities: str | list[str]) -> Request:
    return Request(message, {k: v if isinstance(v, list) else [v] for k, v in entities.items()})


def company(user: str) -> str:
    return user.split(".")[0]


class Dialogue:
    """One user's write conversation with the service, step by step."""

    def __init__(self, service: ERPService, command: str, user: str) -> None:
        self.service, self.command, self.user = service, command, user
        self.draft: dict[str, Any] = {}
        self.reply: WriteReply | None = None

    def start(self, message: str = "", **entities: str | list[str]) -> WriteReply:
        reply = self.service.start_write(
            self.command, self.user, company(self.user), request(message, **entities)
        )
        return self._keep(reply)

    def say(
        self, message: str = "", requested: str | None = None, **entities: str | list[str]
    ) -> WriteReply:
        reply = self.service.fill_write(
            self.command,
            self.user,
            company(self.user),
            self.draft,
            request(message, **entities),
            requested,
        )
        return self._keep(reply)

    def propose(self) -> WriteReply:
        reply = self.service.propose_write(
            self.command, self.user, company(self.user), self.draft, CONVERSATION
        )
        if reply.outcome == "collect":
            self.draft = reply.draft
        self.reply = reply
        return reply

    def confirm(self, token: str | None = None) -> WriteReply:
        chosen = token or (self.reply.token if self.reply else None)
        assert chosen, "nothing proposed"
        return self.service.confirm_write(chosen, self.user, company(self.user))

    def _keep(self, reply: WriteReply) -> WriteReply:
        if reply.outcome == "collect":
            self.draft = reply.draft
        self.reply = reply
        return reply


@contextmanager
def session(url: str) -> Iterator[Session]:
    with read_session(url) as s:
        yield s


def sql(url: str, statement: str, **params: Any) -> Any:
    with get_engine(url).connect() as connection:
        return connection.execute(text(statement), params).scalar()


def sql_money(url: str, statement: str, **params: Any) -> Decimal:
    """A money column or sum in minor units, as an exact Decimal."""
    return Decimal(int(sql(url, statement, **params) or 0)) / 100


def execute(url: str, statement: str, **params: Any) -> None:
    with get_engine(url).begin() as connection:
        connection.execute(text(statement), params)


def company_id(url: str, code: str) -> int:
    return int(sql(url, "SELECT id FROM companies WHERE code = :c", c=code))


def user_id(url: str, username: str) -> int:
    return int(sql(url, "SELECT id FROM users WHERE username = :u", u=username))


@dataclass(frozen=True)
class Audit:
    user_id: int | None
    entity_type: str
    entity_ref: str
    details: dict[str, Any]
    source: str


def audits(url: str, action: str) -> list[Audit]:
    """The audit rows of one action, oldest first."""
    with session(url) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        return [
            Audit(r.user_id, r.entity_type, r.entity_ref, dict(r.details), r.source) for r in rows
        ]


def balance(url: str, entry_id: int) -> Decimal:
    with session(url) as s:
        return entry_balance(s, entry_id)


_COUNTED = (
    "sales_orders",
    "sales_order_lines",
    "customers",
    "payments",
    "payment_allocations",
    "journal_entries",
    "journal_lines",
    "audit_log",
)


def snapshot(url: str) -> dict[str, Any]:
    """What a write could change; equal before and after means nothing was written."""
    state: dict[str, Any] = {t: sql(url, f"SELECT COUNT(*) FROM {t}") for t in _COUNTED}
    for table in ("customer_invoices", "supplier_bills"):
        state[f"{table}.paid"] = sql(url, f"SELECT COALESCE(SUM(amount_paid), 0) FROM {table}")
        state[f"{table}.posted"] = sql(url, f"SELECT COUNT(*) FROM {table} WHERE status <> 'draft'")
    state["sales_orders.invoiced"] = sql(
        url, "SELECT COUNT(*) FROM sales_orders WHERE status = 'invoiced'"
    )
    return state
