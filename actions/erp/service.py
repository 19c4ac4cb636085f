"""The ERP service: the one entry point the action server calls.

It knows nothing of Rasa. Each capability declares the permissions it needs;
the service loads the acting user from the database, refuses before reading
anything the user may not see, and turns expected problems (unknown names,
bad amounts, missing permission) into answers rather than exceptions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import OperationalError

from actions.erp import memory
from actions.erp.access import Actor, load_actor
from actions.erp.alerts import state as alert_state
from actions.erp.alerts.state import AlertReply
from actions.erp.answers import Answer
from actions.erp.context import Context, Request
from actions.erp.db import read_session, write_session
from actions.erp.errors import (
    Ambiguous,
    ERPError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from actions.erp.models import AlertSeverity, AlertStatus
from actions.erp.reports import (
    aging,
    alerts,
    cash,
    cashflow,
    customers,
    dashboard,
    documents,
    inventory,
    purchasing,
    sales,
)
from actions.erp.reports.alerts import visible_alerts
from actions.erp.writes import protocol
from actions.erp.writes.base import Choice, Draft
from actions.erp.writes.protocol import Policy, WriteReply

logger = logging.getLogger(__name__)

UNREACHABLE = "I can't reach the ERP database right now. Please try again in a moment."


@dataclass(frozen=True)
class Capability:
    permissions: tuple[str, ...]
    run: Callable[[Context, Request], Answer]


CAPABILITIES: dict[str, Capability] = {
    "cash_balance": Capability(("cash.read",), cash.cash_balance),
    "receivables": Capability(("receivables.read",), aging.receivables),
    "payables": Capability(("payables.read",), aging.payables),
    # the outlook shows bank cash and the bills and invoices behind it
    "cash_flow": Capability(("cash.read", "receivables.read", "payables.read"), cashflow.cash_flow),
    "purchase_orders": Capability(("purchasing.read",), purchasing.purchase_orders),
    "pending_approvals": Capability(("approvals.read",), purchasing.pending_approvals),
    "stock": Capability(("stock.read",), inventory.stock),
    "low_stock": Capability(("stock.read",), inventory.low_stock),
    "sales": Capability(("sales.read",), sales.sales),
    "dashboard": Capability(("dashboard.read",), dashboard.dashboard),
    "customer": Capability(("customers.read",), customers.customer),
    # the permission depends on the document's kind, checked once it is known
    "document_status": Capability((), documents.document_status),
    "alerts": Capability(("alerts.read",), alerts.alerts),
}


class ERPService:
    def __init__(
        self,
        database_url: str,
        today: Callable[[], date] = date.today,
        now: Callable[[], datetime] = datetime.now,
        policy: Policy | None = None,
    ) -> None:
        self.database_url = database_url
        self._today = today
        self._now = now
        self.policy = policy or Policy()

    def profile(self, username: str | None, company: str | None) -> Actor:
        """Who the user is, for greeting and for the session's slots."""
        with read_session(self.database_url) as session:
            return load_actor(session, username, company)

    def unread_alerts(self, username: str | None, company: str | None) -> int:
        """How many open alerts this user has not read (the web chat's badge)."""
        with read_session(self.database_url) as session:
            actor = load_actor(session, username, company)
            if not actor.can("alerts.read"):
                return 0
            context = Context(session, actor, self._today())
            return sum(1 for a in visible_alerts(context) if a.status is AlertStatus.UNREAD)

    def unread_alert_counts(self, username: str | None, company: str | None) -> dict[str, int]:
        """Unread open alerts of this user by severity ("critical", "warning", "info")."""
        counts = {s.value: 0 for s in AlertSeverity}
        with read_session(self.database_url) as session:
            actor = load_actor(session, username, company)
            if not actor.can("alerts.read"):
                return counts
            for a in visible_alerts(Context(session, actor, self._today())):
                if a.status is AlertStatus.UNREAD:
                    counts[a.severity.value] += 1
        return counts

    def alert_greeting(self, username: str | None, company: str | None) -> str | None:
        """The session-start line about unread critical and warning alerts; None if none."""
        counts = self.unread_alert_counts(username, company)
        critical, warning = counts["critical"], counts["warning"]
        if not critical and not warning:
            return None
        parts = [f"{n} {label}" for n, label in ((critical, "critical"), (warning, "warning")) if n]
        total = critical + warning
        return (
            f"You have {total} unread alert{'s' if total != 1 else ''} "
            f'({" and ".join(parts)}). Ask "any alerts?" to see them.'
        )

    # --- alert state: read, dismiss, act ------------------------------------------

    def mark_read(self, alert_id: int, username: str | None, company: str | None) -> AlertReply:
        return self._alert_call(
            username, company, lambda ctx: alert_state.set_status(ctx, alert_id, AlertStatus.READ)
        )

    def dismiss(self, alert_id: int, username: str | None, company: str | None) -> AlertReply:
        return self._alert_call(
            username,
            company,
            lambda ctx: alert_state.set_status(ctx, alert_id, AlertStatus.DISMISSED),
        )

    def act(self, alert_id: int, username: str | None, company: str | None) -> AlertReply:
        """Act on an alert: start what it suggests, or mark it acted on.

        A purchase order approval or a low-stock top-up starts its confirmed
        write (the reply's `write` holds the draft the write form continues,
        up to the user's Confirm) and marks the alert read; the confirmed
        write marks it acted on (`alert_state.settle`), so a cancelled one
        leaves it open. When that start is refused, nothing changes. Other
        alerts have nothing to confirm and are marked acted on at once.
        """
        plan = self._alert_call(
            username, company, lambda ctx: alert_state.plan_action(ctx, alert_id)
        )
        if plan.outcome != "done":
            return plan
        if plan.command is not None:
            started = self.start_write(
                plan.command, username, company, _write_request(plan.command, plan)
            )
            if started.outcome in ("refused", "failed"):
                return AlertReply(started.text, started.outcome, alert_id, write=started)
            plan.write = started
            plan.draft = dict(started.draft)
        status = AlertStatus.READ if plan.command is not None else AlertStatus.ACTED
        marked = self._alert_call(
            username, company, lambda ctx: alert_state.set_status(ctx, alert_id, status)
        )
        if marked.outcome != "done":
            return marked
        plan.status = marked.status
        return plan

    def _alert_call(
        self, username: str | None, company: str | None, step: Callable[[Context], AlertReply]
    ) -> AlertReply:
        try:
            with write_session(self.database_url) as session:
                actor = load_actor(session, username, company)
                return step(Context(session, actor, self._today(), self._now()))
        except (PermissionDenied, NotAuthenticated, NotFound) as error:
            return AlertReply(str(error), "refused")
        except OperationalError:
            logger.exception("database unreachable while changing an alert")
            return AlertReply(UNREACHABLE + " Nothing was changed.", "failed")

    def ask(
        self, capability: str, username: str | None, company: str | None, request: Request
    ) -> Answer:
        entry = CAPABILITIES[capability]
        try:
            with read_session(self.database_url) as session:
                actor = load_actor(session, username, company)
                for permission in entry.permissions:
                    actor.require(permission)
                request, defaults = memory.apply_defaults(session, actor, capability, request)
                context = Context(session, actor, self._today(), number_style=defaults.number_style)
                answer = entry.run(context, request)
                return memory.mention_defaults(answer, defaults)
        except Ambiguous as error:
            return Answer(str(error), outcome="clarify", candidates=error.candidates)
        except (NotFound, InvalidInput) as error:
            return Answer(str(error), outcome="clarify")
        except (PermissionDenied, NotAuthenticated) as error:
            return Answer(str(error), outcome="refused")
        except OperationalError:
            logger.exception("database unreachable while answering %s", capability)
            return Answer(UNREACHABLE, outcome="error")

    # --- per-user memory ---------------------------------------------------------

    def remember(self, username: str | None, company: str | None, request: Request) -> Answer:
        """Remember a preference or a note for this user in this company."""
        return self._memory_call(
            username,
            company,
            lambda session, actor: memory.remember(session, actor, request, self._today()),
            writes=True,
        )

    def forget(self, username: str | None, company: str | None, request: Request) -> Answer:
        """Forget one remembered item, or everything."""
        return self._memory_call(
            username,
            company,
            lambda session, actor: memory.forget(session, actor, request),
            writes=True,
        )

    def list_memory(self, username: str | None, company: str | None) -> Answer:
        """What the assistant remembers about this user in this company."""
        return self._memory_call(username, company, memory.list_memories, writes=False)

    def _memory_call(
        self,
        username: str | None,
        company: str | None,
        step: Callable[[Any, Actor], Answer],
        *,
        writes: bool,
    ) -> Answer:
        open_session: Any = write_session if writes else read_session
        try:
            with open_session(self.database_url) as session:
                actor = load_actor(session, username, company)
                return step(session, actor)
        except Ambiguous as error:
            return Answer(str(error), outcome="clarify", candidates=error.candidates)
        except (NotFound, InvalidInput) as error:
            return Answer(str(error), outcome="clarify")
        except NotAuthenticated as error:
            return Answer(str(error), outcome="refused")
        except OperationalError:
            logger.exception("database unreachable for the user's memory")
            return Answer(UNREACHABLE, outcome="error")

    # --- confirmed writes -------------------------------------------------------

    def start_write(
        self, command: str, username: str | None, company: str | None, request: Request
    ) -> WriteReply:
        """Begin a write: check the user may make it and read what the request already says."""
        return self.fill_write(command, username, company, {}, request)

    def fill_write(
        self,
        command: str,
        username: str | None,
        company: str | None,
        draft: Draft,
        request: Request,
        requested: str | None = None,
    ) -> WriteReply:
        """Add one message's answers and corrections to a draft; writes nothing."""
        chosen = protocol.command_for(command)
        return self._write_call(
            username,
            company,
            lambda ctx: protocol.collect(ctx, chosen, draft, request, requested),
            writes=False,
        )

    def propose_write(
        self,
        command: str,
        username: str | None,
        company: str | None,
        draft: Draft,
        conversation_id: str,
    ) -> WriteReply:
        """Check a complete draft and store a pending confirmation with its summary."""
        chosen = protocol.command_for(command)
        return self._write_call(
            username,
            company,
            lambda ctx: protocol.propose(ctx, chosen, draft, conversation_id, self.policy),
            writes=True,
        )

    def write_choices(
        self, command: str, username: str | None, company: str | None, draft: Draft, field: str
    ) -> list[Choice]:
        """Answers worth offering as buttons when asking for a field; none if unsure."""
        chosen = protocol.command_for(command)
        try:
            with read_session(self.database_url) as session:
                actor = load_actor(session, username, company)
                actor.require(chosen.permission)
                return chosen.choices(Context(session, actor, self._today()), field, draft)
        except (ERPError, OperationalError):
            return []

    def confirm_write(self, token: str, username: str | None, company: str | None) -> WriteReply:
        return self._write_call(
            username, company, lambda ctx: protocol.confirm(ctx, token, self.policy), writes=True
        )

    def cancel_write(self, token: str, username: str | None, company: str | None) -> WriteReply:
        return self._write_call(
            username, company, lambda ctx: protocol.cancel(ctx, token), writes=True
        )

    def _write_call(
        self,
        username: str | None,
        company: str | None,
        step: Callable[[Context], WriteReply],
        *,
        writes: bool,
    ) -> WriteReply:
        open_session: Any = write_session if writes else read_session
        try:
            with open_session(self.database_url) as session:
                actor = load_actor(session, username, company)
                return step(Context(session, actor, self._today(), self._now()))
        except (PermissionDenied, NotAuthenticated) as error:
            return WriteReply(str(error), "refused")
        except ERPError as error:
            candidates = error.candidates if isinstance(error, Ambiguous) else []
            return WriteReply(str(error), "failed", candidates=candidates)
        except OperationalError:
            logger.exception("database unreachable during a write")
            return WriteReply(UNREACHABLE + " Nothing was changed.", "failed")


def _write_request(command: str, plan: AlertReply) -> Request:
    """The alert's draft as the entities a typed request for the write would carry."""
    entities: dict[str, list[str]] = {}
    filled: set[str] = set()
    # several entities may fill one field ("warehouse" and "city"): the first is enough
    for entity, name in protocol.command_for(command).entity_fields.items():
        if name in plan.draft and name not in filled:
            entities[entity] = [str(plan.draft[name])]
            filled.add(name)
    return Request(plan.text, entities)
