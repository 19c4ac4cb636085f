"""Routes the Rasa server's channels call on the action server: `/internal/...`.

Sign-in, session checks, feedback and the alerts badge need the ERP
database, which only this side talks to. Every route requires the internal
key derived from the shared secret (`bot.auth.internal_key`), so only a
process that holds `var/secret_key` can call them. Blocking work runs in
worker threads.
"""

from __future__ import annotations

import asyncio
import hmac
from datetime import date
from functools import lru_cache
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.erp.accounts import AccountService, BadFeedback, SignInRefused
from actions.erp.errors import NotAuthenticated, PermissionDenied
from actions.erp.operations import BadTurnRecord, OperationsService
from actions.handlers.common import get_service
from bot.auth import internal_key
from bot.config import load_settings

MAX_FIELD = 200


@lru_cache(maxsize=1)
def get_accounts() -> AccountService:
    return AccountService(load_settings().database_url)


@lru_cache(maxsize=1)
def get_operations() -> OperationsService:
    return OperationsService(load_settings().database_url)


@lru_cache(maxsize=1)
def expected_key() -> str:
    return internal_key(load_settings().secret_key())


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def text_field(body: dict[str, Any], name: str, limit: int = MAX_FIELD) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"'{name}' must be a non-empty string of at most {limit} characters")
    return value


def json_body(request: Request) -> dict[str, Any]:
    try:
        body = request.json
    except Exception as problem:  # sanic raises its own error for bad JSON
        raise ValueError("the body must be JSON") from problem
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def build_blueprint() -> Blueprint:
    internal = Blueprint("internal", url_prefix="/internal")

    @internal.middleware("request")
    async def require_key(request: Request) -> HTTPResponse | None:
        given = request.headers.get("X-Internal-Key", "")
        if not hmac.compare_digest(given.encode(), expected_key().encode()):
            return error(401, "internal routes need the internal key")
        return None

    @internal.post("/sign-in")
    async def sign_in(request: Request) -> HTTPResponse:
        try:
            body = json_body(request)
            username, password = text_field(body, "username"), text_field(body, "password")
            agent = str(body.get("user_agent") or "")
        except ValueError as problem:
            return error(400, str(problem))
        try:
            info = await asyncio.to_thread(get_accounts().sign_in, username, password, agent)
        except SignInRefused as refused:
            return error(429 if refused.throttled else 401, str(refused))
        return response.json(info.as_dict())

    @internal.get("/sessions/<session_id:str>")
    async def session(_: Request, session_id: str) -> HTTPResponse:
        info = await asyncio.to_thread(get_accounts().session, session_id)
        if info is None:
            return error(404, "this session has ended; please sign in again")
        return response.json(info.as_dict())

    @internal.delete("/sessions/<session_id:str>")
    async def end_session(_: Request, session_id: str) -> HTTPResponse:
        ended = await asyncio.to_thread(get_accounts().end_session, session_id)
        return response.json({"ended": ended})

    @internal.post("/feedback")
    async def feedback(request: Request) -> HTTPResponse:
        try:
            body = json_body(request)
            fields = [
                text_field(body, "user", 64),
                text_field(body, "company", 32),
                text_field(body, "conversation_id"),
                text_field(body, "message_id", 64),
                text_field(body, "rating", 8),
            ]
            message_text = str(body.get("message_text") or "")
            await asyncio.to_thread(get_accounts().record_feedback, *fields, message_text)
        except (ValueError, BadFeedback) as problem:
            return error(400, str(problem))
        except NotAuthenticated as problem:
            return error(403, str(problem))
        return response.json({"ok": True})

    @internal.get("/feedback")
    async def feedback_for_review(request: Request) -> HTTPResponse:
        reviewer, company = request.args.get("reviewer"), request.args.get("company")
        if not reviewer or not company:
            return error(400, "'reviewer' and 'company' are required")
        try:
            limit = int(request.args.get("limit", "50"))
            offset = int(request.args.get("offset", "0"))
        except ValueError:
            return error(400, "'limit' and 'offset' must be whole numbers")
        if not 1 <= limit <= 5000 or offset < 0:
            return error(400, "'limit' must be 1-5000 and 'offset' at least 0")
        try:
            total, items = await asyncio.to_thread(
                get_accounts().feedback_for_review,
                reviewer,
                company,
                request.args.get("rating") or None,
                limit,
                offset,
                request.args.get("conversation_id") or None,
            )
        except BadFeedback as problem:
            return error(400, str(problem))
        except (NotAuthenticated, PermissionDenied) as problem:
            return error(403, str(problem))
        return response.json({"total": total, "items": items})

    @internal.route("/personal-data", methods=["GET", "DELETE"])
    async def personal_data(request: Request) -> HTTPResponse:
        args = [request.args.get(k) for k in ("administrator", "company", "user")]
        if not all(args):
            return error(400, "'administrator', 'company' and 'user' are required")
        accounts = get_accounts()
        work = accounts.personal_data if request.method == "GET" else accounts.erase_personal_data
        try:
            return response.json(await asyncio.to_thread(work, *args))
        except (NotAuthenticated, PermissionDenied) as problem:
            return error(403, str(problem))

    @internal.get("/alerts/unread")
    async def unread_alerts(request: Request) -> HTTPResponse:
        user, company = request.args.get("user"), request.args.get("company")
        if not user or not company:
            return error(400, "'user' and 'company' are required")
        try:
            unread = await asyncio.to_thread(get_service().unread_alerts, user, company)
        except NotAuthenticated as problem:
            return error(403, str(problem))
        return response.json({"unread": unread})

    @internal.route("/chat-conversation", methods=["GET", "PUT"])
    async def chat_conversation(request: Request) -> HTTPResponse:
        user, company = request.args.get("user"), request.args.get("company")
        if not user or not company:
            return error(400, "'user' and 'company' are required")
        accounts = get_accounts()
        try:
            if request.method == "GET":
                current = await asyncio.to_thread(accounts.current_conversation, user, company)
                return response.json({"session_id": current})
            session_id = text_field(json_body(request), "session_id", 64)
            await asyncio.to_thread(accounts.set_current_conversation, user, company, session_id)
        except ValueError as problem:
            return error(400, str(problem))
        except NotAuthenticated as problem:
            return error(403, str(problem))
        return response.json({"session_id": session_id})

    @internal.post("/turns")
    async def record_turns(request: Request) -> HTTPResponse:
        from actions.stage_timing import TURN_STAGES

        def action_stages(request_id: str) -> dict[str, float]:
            times = TURN_STAGES.take(request_id)
            return {**times.as_ms(), "queries": times.queries}

        try:
            body = json_body(request)
            stored = await asyncio.to_thread(
                get_operations().record_turns, body.get("turns"), action_stages
            )
        except (ValueError, BadTurnRecord) as problem:
            return error(400, str(problem))
        return response.json({"stored": stored})

    @internal.get("/operations")
    async def operations(request: Request) -> HTTPResponse:
        reviewer, company = request.args.get("reviewer"), request.args.get("company")
        if not reviewer or not company:
            return error(400, "'reviewer' and 'company' are required")
        try:
            since = date.fromisoformat(request.args.get("since", ""))
        except ValueError:
            return error(400, "'since' must be a date (YYYY-MM-DD)")
        service = get_operations()
        try:
            turns = await asyncio.to_thread(service.turn_figures, reviewer, company, since)
            alerts = await asyncio.to_thread(service.alert_activity, reviewer, company, since)
        except (NotAuthenticated, PermissionDenied) as problem:
            return error(403, str(problem))
        return response.json({"turns": turns, "alerts": alerts})

    return internal
