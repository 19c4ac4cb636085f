"""NLU routes: the domain's intents and entities, and new examples shown as a
diff first (`/preview`), then saved against the versions that diff was made of."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.studio.context import Studio
from bot.studio.datafiles import Conflict, EntitySpan, Example
from bot.studio.http import Refused, json_body
from bot.studio.routes.data_http import in_thread, string_map
from bot.studio.texts import TEXT_ID

MAX_EXAMPLES = 200
MAX_ENTITIES = 20
MAX_TEXT = 2000  # a longer text is refused here; the data files refuse more than 500 with a reason
MAX_INBOX_IDS = 500
PREVIEW_HINT = (
    'Send {"examples": [{"text": "…", "intent": "…", "entities": '
    '[{"start": 0, "end": 4, "entity": "…", "value": "…"}]}]}.'
)
SAVE_HINT = (
    'Send {"examples": […], "bases": {"<path>": "<sha256>"}, "inbox_ids": […]}, '
    "with the bases of the preview's changes."
)


def add_routes(studio: Blueprint, context: Studio) -> None:
    @studio.get("/studio/api/nlu/intents", name="studio_nlu_intents")
    async def nlu_intents(request: Request) -> HTTPResponse:
        await context.trainer(request)
        return response.json(await in_thread(context.data.intents_and_entities))

    @studio.post("/studio/api/nlu/preview", name="studio_nlu_preview")
    async def nlu_preview(request: Request) -> HTTPResponse:
        await context.trainer(request)
        examples = examples_of(json_body(request, PREVIEW_HINT))
        preview = await in_thread(context.data.preview_examples, examples)
        return response.json(preview.as_json())

    @studio.post("/studio/api/nlu/examples", name="studio_nlu_examples")
    async def nlu_save(request: Request) -> HTTPResponse:
        identity = await context.trainer(request)
        body = json_body(request, SAVE_HINT)
        examples = examples_of(body)
        if not isinstance(body.get("bases"), dict):
            raise Refused(400, "'bases' must be the {path: base} of the preview's changes.")
        bases = string_map(body, "bases", max_items=100, max_length=64)
        inbox_ids = inbox_ids_of(body)
        try:
            saved = await in_thread(context.data.save_examples, examples, bases)
        except Conflict as conflict:
            changes = [change.as_json() for change in conflict.changes]
            return response.json({"error": str(conflict), "changes": changes}, status=409)
        if inbox_ids:
            await context.inbox_accepted(identity, inbox_ids)
        return response.json(saved.as_json())


def examples_of(body: dict[str, Any]) -> list[Example]:
    raw = body.get("examples")
    if not isinstance(raw, list) or not raw:
        raise Refused(400, "'examples' must be a non-empty list.")
    if len(raw) > MAX_EXAMPLES:
        raise Refused(400, f"At most {MAX_EXAMPLES} examples at a time.")
    return [example_of(item, number) for number, item in enumerate(raw)]


def example_of(item: Any, number: int) -> Example:
    where = f"examples[{number}]"
    if not isinstance(item, dict):
        raise Refused(400, f"{where} must be an object with 'text', 'intent' and 'entities'.")
    text, intent = item.get("text"), item.get("intent")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise Refused(400, f"{where}.text must be a non-empty string.")
    if not isinstance(intent, str) or not intent:
        raise Refused(400, f"{where}.intent must be a non-empty string.")
    entities = item.get("entities") or []
    if not isinstance(entities, list) or len(entities) > MAX_ENTITIES:
        raise Refused(400, f"{where}.entities must be a list of at most {MAX_ENTITIES}.")
    spans = tuple(span_of(entity, f"{where}.entities[{n}]") for n, entity in enumerate(entities))
    return Example(text=text, intent=intent, entities=spans)


def span_of(entity: Any, where: str) -> EntitySpan:
    if not isinstance(entity, dict):
        raise Refused(400, f"{where} must be an object with 'start', 'end' and 'entity'.")
    start, end, name, value = (entity.get(k) for k in ("start", "end", "entity", "value"))
    for key, number in (("start", start), ("end", end)):
        if not isinstance(number, int) or isinstance(number, bool):
            raise Refused(400, f"{where}.{key} must be a whole number.")
    if not isinstance(name, str) or not name:
        raise Refused(400, f"{where}.entity must be a non-empty string.")
    if value is not None and not isinstance(value, str):
        raise Refused(400, f"{where}.value must be a string when given.")
    return EntitySpan(start=start, end=end, entity=name, value=value)


def inbox_ids_of(body: dict[str, Any]) -> list[str]:
    ids = body.get("inbox_ids") or []
    valid = isinstance(ids, list) and len(ids) <= MAX_INBOX_IDS
    if not valid or not all(isinstance(i, str) and TEXT_ID.match(i) for i in ids):
        raise Refused(
            400, f"'inbox_ids' must be a list of at most {MAX_INBOX_IDS} inbox ids (40 hex digits)."
        )
    return list(ids)
