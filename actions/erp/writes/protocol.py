"""The confirmation protocol: propose a write, then execute it at most once.

A proposal stores the command's normalised parameters, the read-back summary
and a fingerprint of the records involved, under a random token. Confirming
re-plans from the stored parameters inside one transaction, refuses if the
fingerprint moved, executes, audits and records the result, all or nothing.
The token's row is locked while this happens, so a second confirm of the same
token (another tab, a retried webhook, another action server) waits and then
gets the recorded result instead of a second write.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from actions.erp.access import Actor
from actions.erp.context import Context, Request
from actions.erp.errors import Ambiguous, ERPError
from actions.erp.models import AuditLog, Confirmation, ConfirmationStatus
from actions.erp.writes import COMMANDS, WriteCommand
from actions.erp.writes.base import Draft

Outcome = Literal[
    "collect",  # still gathering fields (text says what was wrong, if anything)
    "confirm",  # a summary waits for Confirm or Cancel
    "done",
    "cancelled",
    "expired",
    "failed",  # confirmed, but the data changed or a check failed: nothing written
    "refused",  # permission, rate limit or sign-in
    "none",  # nothing to confirm or cancel
]


@dataclass
class WriteReply:
    text: str
    outcome: Outcome
    command: str | None = None
    draft: Draft = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)
    token: str | None = None


@dataclass(frozen=True)
class Policy:
    """How long a confirmation lives and how many writes a user may make."""

    ttl: timedelta = timedelta(minutes=5)
    writes_per_minute: int = 20


def command_for(name: str) -> WriteCommand:
    return COMMANDS[name]


def collect(
    ctx: Context,
    command: WriteCommand,
    draft: Draft,
    request: Request,
    requested: str | None = None,
) -> WriteReply:
    """Read what one message adds to (or corrects in) the draft."""
    ctx.actor.require(command.permission)
    result = command.fill(ctx, draft, request, requested)
    problems = [str(problem) for problem in result.problems]
    candidates = next((p.candidates for p in result.problems if isinstance(p, Ambiguous)), [])
    return WriteReply(
        text=" ".join(problems),
        outcome="collect",
        command=command.name,
        draft=result.draft,
        missing=command.missing(result.draft),
        candidates=candidates,
    )


def propose(
    ctx: Context,
    command: WriteCommand,
    draft: Draft,
    conversation_id: str,
    policy: Policy,
) -> WriteReply:
    """Plan the write and store a pending confirmation; nothing else is written."""
    ctx.actor.require(command.permission)
    try:
        plan = command.plan(ctx, draft)
    except ERPError as problem:
        if problem.field is None:
            raise
        # a field no longer holds (stock ran short, name now ambiguous): ask it again
        kept = {k: v for k, v in draft.items() if k != problem.field}
        candidates = problem.candidates if isinstance(problem, Ambiguous) else []
        return WriteReply(
            str(problem), "collect", command.name, kept, command.missing(kept), candidates
        )
    _supersede(ctx.session, ctx.actor, conversation_id, ctx.now)
    token = secrets.token_urlsafe(24)
    ctx.session.add(
        Confirmation(
            token=token,
            company_id=ctx.company_id,
            user_id=ctx.actor.user_id,
            conversation_id=conversation_id[:200],
            action=command.name,
            params=plan.params,
            summary=plan.summary,
            fingerprint=plan.fingerprint,
            status=ConfirmationStatus.PENDING,
            created_at=ctx.now,
            expires_at=ctx.now + policy.ttl,
        )
    )
    minutes = int(policy.ttl.total_seconds() // 60)
    lifetime = (
        f"{minutes} minutes" if minutes >= 2 else f"{int(policy.ttl.total_seconds())} seconds"
    )
    return WriteReply(
        text=f"{plan.summary} Nothing changes until you confirm "
        f"(this request is valid for {lifetime}).",
        outcome="confirm",
        command=command.name,
        draft=plan.params,
        payloads=plan.payloads,
        token=token,
    )


def _supersede(session: Session, actor: Actor, conversation_id: str, now: datetime) -> None:
    """A new proposal in a conversation replaces the one still pending there."""
    session.execute(
        update(Confirmation)
        .where(
            Confirmation.user_id == actor.user_id,
            Confirmation.conversation_id == conversation_id[:200],
            Confirmation.status == ConfirmationStatus.PENDING,
        )
        .values(
            status=ConfirmationStatus.CANCELLED,
            decided_at=now,
            result={
                "text": "Replaced by a newer request; nothing was changed.",
                "outcome": "cancelled",
            },
        )
    )


def _locked(session: Session, actor: Actor, token: str) -> Confirmation | None:
    row = session.scalar(
        select(Confirmation)
        .where(Confirmation.token == token)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    # another user's token is treated exactly like an unknown one
    if row is None or row.user_id != actor.user_id or row.company_id != actor.company_id:
        return None
    return row


_NOTHING = "There's nothing waiting for your confirmation right now."


def confirm(ctx: Context, token: str, policy: Policy) -> WriteReply:
    """Execute a pending confirmation once; any later call gets the recorded result."""
    session, now = ctx.session, ctx.now
    row = _locked(session, ctx.actor, token)
    if row is None:
        return WriteReply(_NOTHING, "none")
    if row.status != ConfirmationStatus.PENDING:
        return _recorded(row)
    if now >= row.expires_at:
        row.status, row.decided_at = ConfirmationStatus.EXPIRED, now
        row.result = {
            "text": "That request expired before it was confirmed, so nothing was changed. "
            "Please ask again if you still want it.",
            "outcome": "expired",
        }
        return WriteReply(row.result["text"], "expired", row.action)
    recent = _writes_in_last_minute(session, ctx.actor, now)
    if recent >= policy.writes_per_minute:
        return WriteReply(
            f"You have made {recent} changes in the last minute, the most allowed. "
            "Please wait a moment and confirm again; this request stays open until it expires.",
            "refused",
            row.action,
            token=row.token,
        )
    command = command_for(row.action)
    try:
        with session.begin_nested():
            ctx.actor.require(command.permission)
            plan = command.plan(ctx, row.params)
            if plan.fingerprint != row.fingerprint:
                raise ERPError(
                    "the records involved changed after I showed you the summary. "
                    "Please ask again to see the current figures."
                )
            done = command.execute(ctx, plan.params)
            session.add(
                AuditLog(
                    company_id=ctx.company_id,
                    user_id=ctx.actor.user_id,
                    action=command.name,
                    entity_type=done.entity_type,
                    entity_ref=done.entity_ref,
                    details={
                        "before": done.before,
                        "after": done.after,
                        "confirmation_id": row.id,
                        "summary": row.summary,
                    },
                    source="assistant",
                    at=now,
                )
            )
            session.flush()
    except ERPError as problem:
        row.status = ConfirmationStatus.FAILED
        row.result = {
            "text": f"Nothing was changed: {_sentence(str(problem))}",
            "outcome": "failed",
        }
    else:
        row.status = ConfirmationStatus.CONFIRMED
        row.result = {
            "text": done.text,
            "outcome": "done",
            "entity_ref": done.entity_ref,
            "payloads": done.payloads,
        }
    row.decided_at = now
    session.flush()
    return WriteReply(
        row.result["text"],
        row.result["outcome"],
        row.action,
        payloads=row.result.get("payloads", []),
    )


def cancel(ctx: Context, token: str) -> WriteReply:
    row = _locked(ctx.session, ctx.actor, token)
    if row is None:
        return WriteReply("OK. There's nothing in progress to cancel.", "none")
    if row.status != ConfirmationStatus.PENDING:
        return _recorded(row)
    row.status, row.decided_at = ConfirmationStatus.CANCELLED, ctx.now
    row.result = {"text": "Cancelled: nothing was changed.", "outcome": "cancelled"}
    return WriteReply(row.result["text"], "cancelled", row.action)


def _recorded(row: Confirmation) -> WriteReply:
    """What happened to a confirmation that is no longer pending."""
    result = row.result or {}
    texts = {
        ConfirmationStatus.CONFIRMED: f"That was already done, once: {result.get('text', '')}",
        ConfirmationStatus.CANCELLED: "That request was cancelled, so nothing was changed.",
        ConfirmationStatus.EXPIRED: "That request expired before it was confirmed, "
        "so nothing was changed.",
        ConfirmationStatus.FAILED: result.get("text", "Nothing was changed."),
    }
    outcomes: dict[ConfirmationStatus, Outcome] = {
        ConfirmationStatus.CONFIRMED: "done",
        ConfirmationStatus.CANCELLED: "cancelled",
        ConfirmationStatus.EXPIRED: "expired",
        ConfirmationStatus.FAILED: "failed",
    }
    return WriteReply(
        texts[row.status], outcomes[row.status], row.action, payloads=result.get("payloads", [])
    )


def _writes_in_last_minute(session: Session, actor: Actor, now: datetime) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(Confirmation)
        .where(
            Confirmation.user_id == actor.user_id,
            Confirmation.status == ConfirmationStatus.CONFIRMED,
            Confirmation.decided_at > now - timedelta(minutes=1),
        )
    )
    return int(count or 0)


def _sentence(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
