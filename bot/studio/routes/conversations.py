"""The conversations inbox, one conversation's turns, trainers' marks, and
a conversation exported as a story."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.auth import Identity
from bot.studio.context import Studio
from bot.studio.conversations import Summary
from bot.studio.http import Refused, int_arg, json_body
from bot.studio.marks import BadMarks, Marks, checked_changes
from bot.studio.stories_export import export_story
from bot.studio.turns import describe, iso_time, split_turns, visible

FEEDBACK_LIMIT = 5000


def time_arg(request: Request, name: str, *, end_of_day: bool = False) -> float | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw) + timedelta(days=1 if end_of_day else 0)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    except ValueError:
        raise Refused(400, f"'{name}' must be a date (2026-12-01) or an ISO time.") from None


def bool_arg(request: Request, name: str) -> bool | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw not in ("true", "false"):
        raise Refused(400, f"'{name}' must be true or false.")
    return raw == "true"


def confidence_arg(request: Request, name: str) -> float | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise Refused(400, f"'{name}' must be a number from 0 to 1.")
    return value


@dataclass(frozen=True)
class Filters:
    since: float | None
    until: float | None
    channel: str | None
    user: str | None
    intent: str | None
    action: str | None
    min_confidence: float | None
    max_confidence: float | None
    fallback: bool | None
    negative_feedback: bool | None
    reviewed: bool | None
    tag: str | None

    @classmethod
    def of(cls, request: Request) -> Filters:
        args = request.args
        return cls(
            since=time_arg(request, "since"),
            until=time_arg(request, "until", end_of_day=True),
            channel=args.get("channel") or None,
            user=args.get("user") or None,
            intent=args.get("intent") or None,
            action=args.get("action") or None,
            min_confidence=confidence_arg(request, "min_confidence"),
            max_confidence=confidence_arg(request, "max_confidence"),
            fallback=bool_arg(request, "fallback"),
            negative_feedback=bool_arg(request, "negative_feedback"),
            reviewed=bool_arg(request, "reviewed"),
            tag=args.get("tag") or None,
        )

    def keep(self, s: Summary, marks: Marks, negative: bool) -> bool:
        checks = (
            self.since is None or s.last_at >= self.since,
            self.until is None or s.started_at < self.until,
            self.channel is None or s.channel == self.channel,
            self.user is None or s.user == self.user,
            self.intent is None or self.intent in s.intents,
            self.action is None or self.action in s.actions,
            self.min_confidence is None
            or (s.min_confidence is not None and s.min_confidence >= self.min_confidence),
            self.max_confidence is None
            or (s.min_confidence is not None and s.min_confidence <= self.max_confidence),
            self.fallback is None or s.fallback == self.fallback,
            self.negative_feedback is None or negative == self.negative_feedback,
            self.reviewed is None or marks.reviewed == self.reviewed,
            self.tag is None or self.tag in marks.tags,
        )
        return all(checks)


def row(s: Summary, marks: Marks, negative: bool) -> dict[str, Any]:
    return {
        "id": s.id,
        "started_at": iso_time(s.started_at),
        "last_at": iso_time(s.last_at),
        "channel": s.channel,
        "user": s.user,
        "company": s.company,
        "turns": s.turns,
        "min_confidence": s.min_confidence,
        "fallback": s.fallback,
        "negative_feedback": negative,
        "reviewed": marks.reviewed,
        "tags": marks.tags,
        "flagged": marks.flagged,
        "first_message": s.first_message,
    }


async def company_feedback(
    context: Studio, identity: Identity, conversation_id: str | None = None
) -> list[dict[str, Any]]:
    """The company's ratings, or one conversation's."""
    body = await context.backend.feedback_for_review(
        identity.user, identity.company, None, FEEDBACK_LIMIT, 0, conversation_id
    )
    return body["items"]


def conversation_id_of(raw: str) -> str:
    # Sanic leaves percent-escapes in path parameters; ids hold ":" and "@"
    return unquote(raw)


async def own_conversation(context: Studio, identity: Identity, conversation_id: str) -> Summary:
    """The conversation if it belongs to the trainer's company; 404 otherwise (even if
    it exists elsewhere: another company's conversations are not there to see)."""
    if len(conversation_id) > 255:
        raise Refused(400, "A conversation id is at most 255 characters.")
    await context.blocking(context.index.sync)
    summary = context.index.summary(conversation_id)
    if summary is None or summary.company != identity.company:
        raise Refused(404, "There is no such conversation in your company.")
    return summary


def add_routes(studio: Blueprint, context: Studio) -> None:
    @studio.get("/studio/api/conversations")
    async def conversation_list(request: Request) -> HTTPResponse:
        identity = await context.trainer(request)
        company = request.args.get("company")
        if company and company != identity.company:
            raise Refused(403, "You can review only your own company's conversations.")
        filters = Filters.of(request)
        page = int_arg(request, "page", 1, low=1, high=100_000)
        per_page = int_arg(request, "per_page", 25, low=1, high=100)
        await context.blocking(context.index.sync)
        summaries = context.index.summaries(identity.company)
        marks = await context.blocking(context.marks.all_marks, identity.company)
        negative = {
            f["conversation_id"]
            for f in await company_feedback(context, identity)
            if f["rating"] == "down"
        }
        kept = [s for s in summaries if filters.keep(s, marks.get(s.id, Marks()), s.id in negative)]
        kept.sort(key=lambda s: s.last_at, reverse=True)
        shown = kept[(page - 1) * per_page : page * per_page]
        return response.json(
            {
                "total": len(kept),
                "page": page,
                "per_page": per_page,
                "conversations": [
                    row(s, marks.get(s.id, Marks()), s.id in negative) for s in shown
                ],
                "facets": {
                    "channels": sorted({s.channel for s in summaries if s.channel}),
                    "users": sorted({s.user for s in summaries if s.user}),
                    "intents": sorted({i for s in summaries for i in s.intents}),
                    "actions": sorted({a for s in summaries for a in s.actions}),
                },
            }
        )

    @studio.get("/studio/api/conversations/<conversation_id:str>")
    async def conversation_detail(request: Request, conversation_id: str) -> HTTPResponse:
        identity = await context.trainer(request)
        conversation_id = conversation_id_of(conversation_id)
        offset = int_arg(request, "offset", 0, low=0, high=1_000_000)
        limit = int_arg(request, "limit", 50, low=1, high=200)
        summary = await own_conversation(context, identity, conversation_id)
        events = await context.blocking(context.index.events, conversation_id)
        feedback = {
            f["message_id"]: f["rating"]
            for f in await company_feedback(context, identity, conversation_id)
        }
        turns = [describe(i, chunk, feedback) for i, chunk in enumerate(split_turns(events))]
        turns = [t for t in turns if visible(t)]
        marks = await context.blocking(context.marks.marks, conversation_id)
        return response.json(
            {
                **row(summary, marks, "down" in feedback.values()),
                **marks.as_dict(),
                "reviewed_at": iso_time(marks.reviewed_at),
                "total_turns": len(turns),
                "offset": offset,
                "turns": turns[offset : offset + limit],
            }
        )

    @studio.patch("/studio/api/conversations/<conversation_id:str>")
    async def conversation_marks(request: Request, conversation_id: str) -> HTTPResponse:
        identity = await context.trainer(request)
        conversation_id = conversation_id_of(conversation_id)
        body = json_body(request, 'Send JSON such as {"reviewed": true, "tags": ["billing"]}.')
        try:
            changes = checked_changes(body)
        except BadMarks as error:
            raise Refused(400, str(error)) from error
        await own_conversation(context, identity, conversation_id)
        marks = await context.blocking(
            context.marks.update, conversation_id, identity.company, identity.user, changes
        )
        return response.json({**marks.as_dict(), "reviewed_at": iso_time(marks.reviewed_at)})

    @studio.get("/studio/api/conversations/<conversation_id:str>/story")
    async def conversation_story(request: Request, conversation_id: str) -> HTTPResponse:
        identity = await context.trainer(request)
        conversation_id = conversation_id_of(conversation_id)
        kind = request.args.get("kind", "story")
        if kind not in ("story", "test"):
            raise Refused(400, "'kind' must be 'story' or 'test'.")
        until = int_arg(request, "until_turn", 1_000_000, low=1, high=1_000_000)
        name = (request.args.get("name") or "").strip()
        if len(name) > 120 or any(c in name for c in "\n\r\t#"):
            raise Refused(400, "'name' must be one line of at most 120 characters.")
        await own_conversation(context, identity, conversation_id)
        events = await context.blocking(context.index.events, conversation_id)
        kept = [e for chunk in split_turns(events)[: until + 1] for e in chunk]
        name = name or f"{conversation_id} (studio)"
        text = await context.blocking(
            export_story, kept, name, kind == "test", context.workspace.domain_path
        )
        return response.json({"kind": kind, "name": name, "yaml": text})
