"""The operations page's figures (bot/studio/operations.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.studio.context import Studio
from bot.studio.http import int_arg
from bot.studio.operations import capabilities, daily
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
                },
            }
        )
