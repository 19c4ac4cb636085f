"""Thumbs up and down from the web chat, as a review queue."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.studio.context import Studio
from bot.studio.http import Refused, int_arg


def add_routes(studio: Blueprint, context: Studio) -> None:
    @studio.get("/studio/api/feedback")
    async def feedback_queue(request: Request) -> HTTPResponse:
        identity = await context.trainer(request)
        rating = request.args.get("rating") or None
        if rating not in (None, "up", "down"):
            raise Refused(400, "'rating' must be 'up' or 'down'.")
        page = int_arg(request, "page", 1, low=1, high=100_000)
        per_page = int_arg(request, "per_page", 25, low=1, high=100)
        body = await context.backend.feedback_for_review(
            identity.user, identity.company, rating, per_page, (page - 1) * per_page
        )
        return response.json({**body, "page": page, "per_page": per_page})
