"""Interactive learning sessions (bot/studio/interactive.py does the work)."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.studio.context import Studio
from bot.studio.http import Refused, json_body, text_field
from bot.studio.interactive import SessionRefused, checked_entities
from bot.studio.stories_export import export_story

MAX_TEXT = 2000


def add_routes(studio: Blueprint, context: Studio) -> None:
    @studio.exception(SessionRefused)
    async def interactive_refused(_: Request, error: SessionRefused) -> HTTPResponse:
        return response.json({"error": str(error)}, status=error.status)

    @studio.post("/studio/api/interactive")
    async def interactive_start(request: Request) -> HTTPResponse:
        identity = await context.trainer(request)
        session = await context.interactive.start(identity, request.app.ctx.agent)
        return response.json({"session_id": session.id}, status=201)

    @studio.post("/studio/api/interactive/<sid:str>/parse")
    async def interactive_parse(request: Request, sid: str) -> HTTPResponse:
        identity = await context.trainer(request)
        session = context.interactive.get(sid, identity)
        text = text_field(
            json_body(request, 'Send JSON: {"text": …}.'), "text", max_length=MAX_TEXT
        )
        return response.json(await context.interactive.parse(session, text))

    @studio.post("/studio/api/interactive/<sid:str>/message")
    async def interactive_message(request: Request, sid: str) -> HTTPResponse:
        identity = await context.trainer(request)
        session = context.interactive.get(sid, identity)
        body = json_body(request, 'Send JSON: {"text", "intent", "entities"}.')
        text = text_field(body, "text", max_length=MAX_TEXT)
        intent = text_field(body, "intent", max_length=60)
        entities = checked_entities(text, body.get("entities"))
        return response.json(await context.interactive.message(session, text, intent, entities))

    @studio.post("/studio/api/interactive/<sid:str>/act")
    async def interactive_act(request: Request, sid: str) -> HTTPResponse:
        identity = await context.trainer(request)
        session = context.interactive.get(sid, identity)
        action = text_field(
            json_body(request, 'Send JSON: {"action": …}.'), "action", max_length=80
        )
        return response.json(await context.interactive.act(session, action))

    @studio.get("/studio/api/interactive/<sid:str>/export")
    async def interactive_export(request: Request, sid: str) -> HTTPResponse:
        identity = await context.trainer(request)
        session = context.interactive.get(sid, identity)
        name = (request.args.get("name") or f"interactive {session.id}").strip()
        if len(name) > 120 or any(c in name for c in "\n\r\t#"):
            raise Refused(400, "'name' must be one line of at most 120 characters.")
        events = await context.interactive.events(session)
        story = await context.blocking(
            export_story, events, name, False, context.workspace.domain_path
        )
        return response.json({"name": name, "story": story, "nlu": session.examples})

    @studio.delete("/studio/api/interactive/<sid:str>")
    async def interactive_end(request: Request, sid: str) -> HTTPResponse:
        identity = await context.trainer(request)
        context.interactive.end(context.interactive.get(sid, identity))
        return response.empty(status=204)
