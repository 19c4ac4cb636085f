"""Story routes: a story or test story (the YAML Rasa's story writer made, as
the trainer edited it) shown as a diff first, then appended to its file."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.studio.context import Studio
from bot.studio.datafiles import Conflict, StoryPreview
from bot.studio.http import Refused, json_body
from bot.studio.routes.data_http import in_thread, string_map

KINDS = ("story", "test")
MAX_YAML_BYTES = 100_000
MAX_RESPONSES = 50
HINT = 'Send {"kind": "story"|"test", "yaml": "…", "responses": {"utter_x": "text"}}.'
SAVE_HINT = 'Send {"kind", "yaml", "responses"?, "base"} with the base of the preview.'


def add_routes(studio: Blueprint, context: Studio) -> None:
    @studio.post("/studio/api/stories/preview", name="studio_stories_preview")
    async def story_preview(request: Request) -> HTTPResponse:
        await context.trainer(request)
        kind, yaml, responses = story_request(json_body(request, HINT))
        preview = await in_thread(context.data.preview_story, kind, yaml, responses)
        return response.json(
            {
                "path": preview.path,
                "diff": preview.diff,
                "base": preview.base,
                **changes_of(preview),
            }
        )

    @studio.post("/studio/api/stories", name="studio_stories_save")
    async def story_save(request: Request) -> HTTPResponse:
        await context.trainer(request)
        body = json_body(request, SAVE_HINT)
        kind, yaml, responses = story_request(body)
        base = body.get("base")
        if not isinstance(base, str) or not base:
            raise Refused(400, "'base' must be the base the preview returned.")
        try:
            saved = await in_thread(context.data.save_story, kind, yaml, responses, base)
        except Conflict as conflict:
            return response.json(conflict_body(conflict), status=409)
        return response.json(
            {"path": saved.path, "diff": saved.diff, "stories": saved.names, **changes_of(saved)}
        )


def story_request(body: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    kind, yaml = body.get("kind"), body.get("yaml")
    if kind not in KINDS:
        raise Refused(400, "'kind' must be 'story' or 'test'.")
    if not isinstance(yaml, str) or not yaml.strip():
        raise Refused(400, "'yaml' must be the story's YAML text.")
    if len(yaml.encode("utf-8")) > MAX_YAML_BYTES:
        raise Refused(400, f"'yaml' must be at most {MAX_YAML_BYTES // 1000} kB.")
    responses = string_map(body, "responses", max_items=MAX_RESPONSES, max_length=2000)
    return kind, yaml, responses


def changes_of(preview: StoryPreview) -> dict[str, Any]:
    # each file's diff and base on its own too, for a client that shows them apart
    return {"changes": [change.as_json() for change in preview.changes]}


def conflict_body(conflict: Conflict) -> dict[str, Any]:
    """The 409: the diff as the files are now, and the stories file's new base."""
    fresh = conflict.changes
    base = fresh[0].base if fresh else ""
    return {
        "error": str(conflict),
        "diff": "".join(change.diff for change in fresh),
        "base": base,
        "changes": [change.as_json() for change in fresh],
    }
