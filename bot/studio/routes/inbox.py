"""The NLU inbox: what users said that the training data does not hold yet,
lowest confidence first. Saving examples (routes/nlu.py) takes them out."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.studio.context import Studio
from bot.studio.conversations import not_in
from bot.studio.http import Refused, int_arg
from bot.studio.routes.conversations import confidence_arg
from bot.studio.texts import TEXT_ID
from bot.studio.turns import iso_time


def add_routes(studio: Blueprint, context: Studio) -> None:
    @studio.get("/studio/api/nlu/inbox")
    async def nlu_inbox(request: Request) -> HTTPResponse:
        identity = await context.trainer(request)
        page = int_arg(request, "page", 1, low=1, high=100_000)
        per_page = int_arg(request, "per_page", 25, low=1, high=100)
        intent = request.args.get("intent") or None
        ceiling = confidence_arg(request, "max_confidence")
        await context.blocking(context.index.sync)
        known = await context.blocking(context.training_texts.current)
        decided = await context.blocking(context.marks.decided, identity.company)
        entries = [
            e
            for e in not_in(known, context.index.inbox(identity.company))
            if e.id not in decided
            and (intent is None or e.intent == intent)
            and (ceiling is None or e.confidence <= ceiling)
        ]
        entries.sort(key=lambda e: (e.confidence, -e.last_seen))
        shown = entries[(page - 1) * per_page : page * per_page]
        return response.json(
            {
                "total": len(entries),
                "page": page,
                "per_page": per_page,
                "items": [
                    {
                        "id": e.id,
                        "text": e.text,
                        "intent": e.intent,
                        "confidence": e.confidence,
                        "entities": e.entities,
                        "count": e.count,
                        "last_seen": iso_time(e.last_seen),
                        "conversation_id": e.conversation_id,
                    }
                    for e in shown
                ],
            }
        )

    @studio.delete("/studio/api/nlu/inbox/<entry_id:str>")
    async def nlu_inbox_delete(request: Request, entry_id: str) -> HTTPResponse:
        identity = await context.trainer(request)
        if not TEXT_ID.match(entry_id):
            raise Refused(400, "An inbox id is 40 hexadecimal characters.")
        await context.blocking(context.index.sync)
        if not any(e.id == entry_id for e in context.index.inbox(identity.company)):
            raise Refused(404, "There is no such message in your company's inbox.")
        await context.blocking(
            context.marks.decide, identity.company, [entry_id], "deleted", identity.user
        )
        return response.empty(status=204)
