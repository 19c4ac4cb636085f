"""The operations page's figures.

Volumes, fallbacks, reply times and feedback come from the conversations
(bot/studio/operations.py); stage latencies, errors and alert activity from
the action server's turn records and alerts (actions/erp/operations.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.studio.context import Studio
from bot.studio.http import int_arg
from bot.studio.operations import capabilities, daily, filled_alert_days, filled_days
from bot.studio.routes.conversations import company_feedback


def add_routes(studio: Blueprint, context: Studio) -> None:
    @studio.get("/studio/api/operations")
    async def operations_figures(request: Request) -> HTTPResponse:
        identity = await context.trainer(request)
        days = int_arg(request, "days", 14, low=1, high=90)
        last = datetime.now(timezone.utc).date()
        first = last - timedelta(days=days - 1)
        since = datetime(first.year, first.month, first.day, tzinfo=timezone.utc).timestamp()
        await context.blocking(context.index.sync)
        turns = context.index.turn_stats(identity.company, since)
        feedback = await company_feedback(context, identity)
        recorded = await context.backend.operations(
            identity.user, identity.company, first.isoformat()
        )
        turn_records = recorded["turns"]
        errors = sum(day["errors"] for day in turn_records["days"])
        messages = len(turns)
        fallbacks = sum(t.fallback for t in turns)
        return response.json(
            {
                "days": daily(turns, feedback, first, last),
                "capabilities": capabilities(turns),
                "totals": {
                    "messages": messages,
                    "fallback_rate": round(fallbacks / messages, 3) if messages else 0,
                    "unanswered": sum(1 for t in turns if t.replied_at is None),
                    "recorded_turns": turn_records["turns"],
                    "errors": errors,
                    "error_rate": round(errors / turn_records["turns"], 3)
                    if turn_records["turns"]
                    else 0,
                    "open_alerts": recorded["alerts"]["open"],
                },
                "stages": turn_records["stages"],
                "stage_days": filled_days(turn_records["days"], first, last),
                "actions": turn_records["actions"],
                "alerts": {
                    **recorded["alerts"],
                    "raised": filled_alert_days(recorded["alerts"]["raised"], first, last),
                },
            }
        )
