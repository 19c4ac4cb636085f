"""The web chat's HTTP routes: the page and its files, sign-in and sign-out,
history, feedback and the alerts count.

Refusals are exceptions (`Refused`, `NotSignedIn`, the backend's), each turned
into a JSON error once, by the blueprint's handlers.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.auth import CHAT_SESSION_ID, Identity, issue_token
from bot.config import ROOT
from connectors.backend import BackendRefused, BackendUnavailable
from connectors.identity import NotSignedIn
from connectors.metrics import REQUESTS
from connectors.unreachable import UNREACHABLE
from connectors.webchat.messages import find_bot_text, history

if TYPE_CHECKING:
    from connectors.webchat.channel import WebChatInput

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
NODE_MODULES = ROOT / "node_modules"
# only these npm packages are served, and only their built files
VENDOR_PACKAGES = {"socket.io-client": "dist", "rasa-webchat": "lib"}


class Refused(Exception):
    """A request the web chat turns down, with the status and the reason to show."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def json_object(request: Request, hint: str) -> dict[str, Any]:
    try:
        body = request.json if request.body else None
    except Exception as error:  # sanic raises its own error on bad JSON
        raise Refused(400, hint) from error
    if not isinstance(body, dict):
        raise Refused(400, hint)
    return body


def checked_session_id(value: Any) -> str:
    if not isinstance(value, str) or not CHAT_SESSION_ID.match(value):
        raise Refused(400, "'session_id' must be 8-64 letters, digits, - or _.")
    return value


def seconds_until(iso_time: str) -> int:
    expires = datetime.fromisoformat(iso_time.rstrip("Z")).replace(tzinfo=timezone.utc)
    return max(1, int(expires.timestamp() - time.time()))


def safe_file(base: Path, relative: str) -> Path | None:
    target = (base / relative).resolve()
    if not target.is_relative_to(base.resolve()) or not target.is_file():
        return None
    return target


def add_http_routes(chat: Blueprint, channel: WebChatInput) -> None:
    @chat.get("/chat")
    async def page(_: Request) -> HTTPResponse:
        return await static_file("chat.html")

    @chat.get("/chat/static/<path:path>")
    async def static(_: Request, path: str) -> HTTPResponse:
        return await static_file(path)

    @chat.get("/chat/vendor/<package>/<path:path>")
    async def vendor(_: Request, package: str, path: str) -> HTTPResponse:
        built = VENDOR_PACKAGES.get(package)
        target = safe_file(NODE_MODULES / package / built, path) if built else None
        if target is None:
            return response.json({"error": "no such file"}, status=404)
        return await response.file(target, headers={"Cache-Control": "max-age=3600"})

    @chat.exception(NotSignedIn, Refused, BackendRefused)
    async def refused(_: Request, error: NotSignedIn | Refused | BackendRefused) -> HTTPResponse:
        return refuse(error.status, str(error))

    @chat.exception(BackendUnavailable)
    async def unreachable(_: Request, error: BackendUnavailable) -> HTTPResponse:
        log.warning("the action server did not answer: %s", error)
        return refuse(503, UNREACHABLE)

    @chat.post("/chat/session")
    async def sign_in(request: Request) -> HTTPResponse:
        body = json_object(request, 'Send JSON: {"username": …, "password": …}.')
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise Refused(400, "Both 'username' and 'password' are required.")
        if not username.strip() or not password or len(username) > 64 or len(password) > 200:
            raise Refused(400, "Both 'username' and 'password' are required.")
        agent = request.headers.get("User-Agent", "")
        info = await channel.backend.sign_in(username.strip(), password, agent)
        identity = Identity(info["user"], info["company"], tuple(info["roles"]), info["session_id"])
        ttl = seconds_until(info["expires_at"])
        token = issue_token(channel.authenticator.secret, identity, kind="session", ttl_seconds=ttl)
        public = {k: v for k, v in info.items() if k != "session_id"}
        return response.json({**public, "token": token})

    @chat.delete("/chat/session")
    async def sign_out(request: Request) -> HTTPResponse:
        identity = await channel.identify(request)
        if identity.session is None:
            raise Refused(400, "An API token has no session to end.")
        await channel.backend.end_session(identity.session)
        for socket_id in channel.sockets_of_session.pop(identity.session, set()):
            await channel.sio.disconnect(socket_id)
        return response.empty(status=204)

    @chat.get("/chat/me")
    async def me(request: Request) -> HTTPResponse:
        identity = await channel.identify(request)
        info = await channel.backend.session(identity.session) if identity.session else None
        return response.json(
            {
                "user": identity.user,
                "full_name": info["full_name"] if info else identity.user,
                "company": identity.company,
                "roles": list(identity.roles),
            }
        )

    @chat.get("/chat/history")
    async def conversation_history(request: Request) -> HTTPResponse:
        identity = await channel.identify(request)
        session_id = checked_session_id(request.args.get("session_id"))
        tracker = await tracker_of(request, f"{identity.user}:{session_id}")
        messages = history(tracker) if tracker else []
        return response.json({"session_id": session_id, "messages": messages})

    @chat.post("/chat/feedback")
    async def feedback(request: Request) -> HTTPResponse:
        identity = await channel.identify(request)
        body = json_object(request, "Send JSON: {session_id, message_id, rating}.")
        session_id = checked_session_id(body.get("session_id"))
        message_id, rating = body.get("message_id"), body.get("rating")
        if rating not in ("up", "down") or not isinstance(message_id, str):
            raise Refused(400, "'rating' must be 'up' or 'down' with a 'message_id'.")
        conversation_id = f"{identity.user}:{session_id}"
        tracker = await tracker_of(request, conversation_id)
        text = find_bot_text(tracker, message_id) if tracker else None
        if text is None:
            raise Refused(404, "There is no such bot message in your conversation.")
        await channel.backend.feedback(
            user=identity.user,
            company=identity.company,
            conversation_id=conversation_id,
            message_id=message_id,
            rating=rating,
            message_text=text,
        )
        return response.json({"ok": True})

    @chat.get("/chat/alerts")
    async def alerts(request: Request) -> HTTPResponse:
        identity = await channel.identify(request)
        unread = await channel.backend.unread_alerts(identity.user, identity.company)
        return response.json({"unread": unread})


async def static_file(relative: str) -> HTTPResponse:
    target = safe_file(STATIC_DIR, relative)
    if target is None:
        return response.json({"error": "no such file"}, status=404)
    return await response.file(target, headers={"Cache-Control": "no-cache"})


def refuse(status: int, message: str) -> HTTPResponse:
    REQUESTS.labels("webchat", str(status)).inc()
    return response.json({"error": message}, status=status)


async def tracker_of(request: Request, conversation_id: str) -> Any:
    agent = request.app.ctx.agent
    if agent is None or agent.tracker_store is None:
        return None
    return await agent.tracker_store.retrieve(conversation_id)
