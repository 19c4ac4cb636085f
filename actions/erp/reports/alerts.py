"""Alerts addressed to the user: to them, to one of their roles, or to everyone."""

from __future__ import annotations

from sqlalchemy import or_, select

from actions.erp.answers import Answer, Column, table
from actions.erp.context import Context, Request
from actions.erp.models import Alert, AlertSeverity, AlertStatus, Role

SEVERITY_ORDER = {AlertSeverity.CRITICAL: 0, AlertSeverity.WARNING: 1, AlertSeverity.INFO: 2}


def visible_alerts(ctx: Context) -> list[Alert]:
    role_ids = select(Role.id).where(Role.code.in_(sorted(ctx.actor.roles)))
    alerts = ctx.session.scalars(
        select(Alert)
        .where(Alert.company_id == ctx.company_id)
        .where(Alert.status.in_((AlertStatus.UNREAD, AlertStatus.READ)))
        .where(
            or_(
                Alert.target_user_id == ctx.actor.user_id,
                Alert.target_role_id.in_(role_ids),
                (Alert.target_user_id.is_(None)) & (Alert.target_role_id.is_(None)),
            )
        )
        .order_by(Alert.created_at.desc(), Alert.id.desc())
    )
    return sorted(alerts, key=lambda a: SEVERITY_ORDER[a.severity])


def alerts(ctx: Context, request: Request) -> Answer:
    items = visible_alerts(ctx)
    if not items:
        return Answer("You have no open alerts. All clear.", outcome="empty")
    unread = sum(1 for a in items if a.status is AlertStatus.UNREAD)
    text = (
        f"You have {len(items)} open alert{'s' if len(items) != 1 else ''} ({unread} unread). "
        + " ".join(f"#{a.id} [{a.severity.value}] {a.message}" for a in items[:3])
    )
    rows = [
        {
            # the number the chat's "dismiss alert #12" and the buttons refer to
            "id": a.id,
            "status": a.status.value,
            "severity": a.severity.value,
            "module": a.module,
            "message": a.message,
            "record": a.record_ref,
            "suggestion": a.suggested_action,
            "created": a.created_at.date(),
        }
        for a in items
    ]
    columns = [
        Column("id", "#", "number"),
        Column("status", "Status"),
        Column("severity", "Severity"),
        Column("module", "Module"),
        Column("message", "Alert"),
        Column("record", "Record"),
        Column("suggestion", "Suggested action"),
        Column("created", "Raised", "date"),
    ]
    return Answer(text, [table("Open alerts", columns, rows)])
