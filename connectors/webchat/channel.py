"""The web chat channel: sign-in, the chat page, and Socket.IO in real time.

Socket.IO speaks the rasa-webchat protocol (`session_request` →
`session_confirm`, `user_uttered` → `bot_uttered`), so that package works
against this server as it is, plus events of our own that other clients
ignore: `user_echo`, `bot_typing`, `bot_stream` (a streamed draft) and
`alerts`. Every event sent to a conversation is numbered; a client that
reconnects names the last number it saw and gets the rest again.

A socket must present a valid token (Socket.IO `auth: {token}`, or
`?token=` in the connection URL for clients that cannot set `auth`), and
every message is checked again, so a session signed out elsewhere stops at
once. The conversation id is `<user>:<session_id>`, as on the HTTP channel.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.auth import Identity, issue_token
from bot.config import ROOT, load_settings
from connectors.backend import BackendRefused, BackendUnavailable, ERPBackend
from connectors.identity import Authenticator, NotSignedIn
from connectors.metrics import MESSAGE_SECONDS, REQUESTS
from connectors.streaming import StreamClosed, relay_while, shared_relay
from connectors.webchat.conversations import Conversation, Conversations
from connectors.webchat.messages import WebChatOutput, find_bot_text, history

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
NODE_MODULES = ROOT / "node_modules"
# only these npm packages are served, and only their built files
VENDOR_PACKAGES = {"socket.io-client": "dist", "rasa-webchat": "lib"}
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_MESSAGE_CHARS = 2000
UNREACHABLE = "I can't reach the ERP right now. Please try again in a moment."
# what our own page names itself in session_request; any other client gets Rasa's shapes
OUR_CLIENT = "erp-webchat"


class SocketBlueprint(Blueprint):
    """A blueprint that also attaches the Socket.IO server (as Rasa's own channel does)."""

    def __init__(self, sio: AsyncServer, path: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.sio = sio
        self.ctx.socketio_path = path

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        self.ctx.sio.attach(app, self.ctx.socketio_path)
        super().register(app, options)


def page_context(custom: Any) -> dict[str, str]:
    """Which module and page the user is on, from the client's customData."""
    page = custom.get("page") if isinstance(custom, dict) else None
    if not isinstance(page, dict):
        return {}
    context = {}
    for key, limit in (("module", 40), ("path", 200)):
        value = page.get(key)
        if isinstance(value, str) and value and len(value) <= limit:
            context[key] = value
    return context


def rasa_shape(message: dict[str, Any]) -> dict[str, Any] | None:
    """A bot message as Rasa's own Socket.IO channel sends it: rasa-webchat
    drops a message with any other key (our ids, numbers and stream ids)."""
    shaped = {k: message[k] for k in ("text", "quick_replies", "attachment") if k in message}
    return shaped if shaped.get("text") or shaped.get("attachment") else None


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
    if not isinstance(value, str) or not SESSION_ID.match(value):
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


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(socketio_path=credentials.get("socketio_path", "/socket.io"))

    def __init__(
        self,
        socketio_path: str = "/socket.io",
        authenticator: Authenticator | None = None,
    ) -> None:
        self.socketio_path = socketio_path
        self.authenticator = authenticator or Authenticator()
        self.conversations = Conversations()
        self.relay = shared_relay()
        self.sio: AsyncServer | None = None
        # web session id -> socket ids, to close a signed-out session's sockets
        self.sockets_of_session: dict[str, set[str]] = {}

    def url_prefix(self) -> str:
        return "/"

    @property
    def backend(self) -> ERPBackend:
        return self.authenticator.backend

    # ------------------------------------------------------------ HTTP

    async def identify(self, request: Request) -> Identity:
        return await self.authenticator.identify_header(request.headers.get("Authorization"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        self.sio = sio
        chat = SocketBlueprint(sio, self.socketio_path, "webchat", __name__)
        self._register_socket_events(sio, on_new_message)

        @chat.get("/chat")
        async def page(_: Request) -> HTTPResponse:
            return await self._static("chat.html")

        @chat.get("/chat/static/<path:path>")
        async def static(_: Request, path: str) -> HTTPResponse:
            return await self._static(path)

        @chat.get("/chat/vendor/<package>/<path:path>")
        async def vendor(_: Request, package: str, path: str) -> HTTPResponse:
            built = VENDOR_PACKAGES.get(package)
            target = safe_file(NODE_MODULES / package / built, path) if built else None
            if target is None:
                return response.json({"error": "no such file"}, status=404)
            return await response.file(target, headers={"Cache-Control": "max-age=3600"})

        @chat.exception(NotSignedIn, Refused, BackendRefused)
        async def refused(
            _: Request, error: NotSignedIn | Refused | BackendRefused
        ) -> HTTPResponse:
            return self._refuse(error.status, str(error))

        @chat.exception(BackendUnavailable)
        async def unreachable(_: Request, error: BackendUnavailable) -> HTTPResponse:
            log.warning("the action server did not answer: %s", error)
            return self._refuse(503, UNREACHABLE)

        @chat.post("/chat/session")
        async def sign_in(request: Request) -> HTTPResponse:
            body = json_object(request, 'Send JSON: {"username": …, "password": …}.')
            username, password = body.get("username"), body.get("password")
            if not isinstance(username, str) or not isinstance(password, str):
                raise Refused(400, "Both 'username' and 'password' are required.")
            if not username.strip() or not password or len(username) > 64 or len(password) > 200:
                raise Refused(400, "Both 'username' and 'password' are required.")
            agent = request.headers.get("User-Agent", "")
            info = await self.backend.sign_in(username.strip(), password, agent)
            identity = Identity(
                info["user"], info["company"], tuple(info["roles"]), info["session_id"]
            )
            ttl = seconds_until(info["expires_at"])
            token = issue_token(
                self.authenticator.secret, identity, kind="session", ttl_seconds=ttl
            )
            public = {k: v for k, v in info.items() if k != "session_id"}
            return response.json({**public, "token": token})

        @chat.delete("/chat/session")
        async def sign_out(request: Request) -> HTTPResponse:
            identity = await self.identify(request)
            if identity.session is None:
                raise Refused(400, "An API token has no session to end.")
            await self.backend.end_session(identity.session)
            for socket_id in self.sockets_of_session.pop(identity.session, set()):
                await sio.disconnect(socket_id)
            return response.empty(status=204)

        @chat.get("/chat/me")
        async def me(request: Request) -> HTTPResponse:
            identity = await self.identify(request)
            info = await self.backend.session(identity.session) if identity.session else None
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
            identity = await self.identify(request)
            session_id = checked_session_id(request.args.get("session_id"))
            tracker = await self._tracker(request, f"{identity.user}:{session_id}")
            messages = history(tracker) if tracker else []
            return response.json({"session_id": session_id, "messages": messages})

        @chat.post("/chat/feedback")
        async def feedback(request: Request) -> HTTPResponse:
            identity = await self.identify(request)
            body = json_object(request, "Send JSON: {session_id, message_id, rating}.")
            session_id = checked_session_id(body.get("session_id"))
            message_id, rating = body.get("message_id"), body.get("rating")
            if rating not in ("up", "down") or not isinstance(message_id, str):
                raise Refused(400, "'rating' must be 'up' or 'down' with a 'message_id'.")
            conversation_id = f"{identity.user}:{session_id}"
            tracker = await self._tracker(request, conversation_id)
            text = find_bot_text(tracker, message_id) if tracker else None
            if text is None:
                raise Refused(404, "There is no such bot message in your conversation.")
            await self.backend.feedback(
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
            identity = await self.identify(request)
            unread = await self.backend.unread_alerts(identity.user, identity.company)
            return response.json({"unread": unread})

        return chat

    async def _static(self, relative: str) -> HTTPResponse:
        target = safe_file(STATIC_DIR, relative)
        if target is None:
            return response.json({"error": "no such file"}, status=404)
        return await response.file(target, headers={"Cache-Control": "no-cache"})

    @staticmethod
    def _refuse(status: int, message: str) -> HTTPResponse:
        REQUESTS.labels("webchat", str(status)).inc()
        return response.json({"error": message}, status=status)

    @staticmethod
    async def _tracker(request: Request, conversation_id: str) -> Any:
        agent = request.app.ctx.agent
        if agent is None or agent.tracker_store is None:
            return None
        return await agent.tracker_store.retrieve(conversation_id)

    # ------------------------------------------------------------ Socket.IO

    def _register_socket_events(
        self, sio: AsyncServer, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        @sio.on("connect")
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> None:
            token = (auth or {}).get("token") if isinstance(auth, dict) else None
            if not token:
                query = parse_qs(environ.get("QUERY_STRING", ""))
                token = (query.get("token") or [None])[0]
            try:
                identity = await self.authenticator.identify(token)
            except NotSignedIn as error:
                raise ConnectionRefusedError(str(error)) from error
            await sio.save_session(sid, {"identity": identity, "token": token})
            if identity.session:
                self.sockets_of_session.setdefault(identity.session, set()).add(sid)

        @sio.on("disconnect")
        async def disconnect(sid: str) -> None:
            for sockets in self.sockets_of_session.values():
                sockets.discard(sid)
            state = await sio.get_session(sid)
            if state.get("session_id"):
                conversation_id = f"{state['identity'].user}:{state['session_id']}"
                self.conversations.get(conversation_id).plain_sockets.discard(sid)

        @sio.on("session_request")
        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
                session_id = uuid.uuid4().hex
            state = await sio.get_session(sid)
            conversation_id = f"{state['identity'].user}:{session_id}"
            state["session_id"] = session_id
            await sio.save_session(sid, state)
            conversation = self.conversations.get(conversation_id)
            plain = data.get("client") != OUR_CLIENT
            if plain:
                conversation.plain_sockets.add(sid)
            await sio.enter_room(sid, conversation_id)
            await sio.emit("session_confirm", {"session_id": session_id}, room=sid)
            last_seq = data.get("last_seq")
            if isinstance(last_seq, int) and last_seq >= 0:
                for event, payload in conversation.missed(last_seq):
                    shaped = rasa_shape(payload) if plain and event == "bot_uttered" else payload
                    if shaped is not None and (event == "bot_uttered" or not plain):
                        await sio.emit(event, shaped, room=sid)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: Any) -> None:
            await self._handle(sio, sid, data, on_new_message)

    async def _handle(
        self,
        sio: AsyncServer,
        sid: str,
        data: Any,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        state = await sio.get_session(sid)
        session_id = state.get("session_id")
        if not session_id:
            await sio.emit("error", {"error": "Send session_request first."}, room=sid)
            return
        identity: Identity = state["identity"]
        conversation = self.conversations.get(f"{identity.user}:{session_id}")
        # taken before any other await: messages are handled in the order they came
        async with conversation.lock:
            await self._handle_in_order(sio, sid, state, conversation, data, on_new_message)

    async def _handle_in_order(
        self,
        sio: AsyncServer,
        sid: str,
        state: dict[str, Any],
        conversation: Conversation,
        data: Any,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        started = time.perf_counter()
        room = conversation.conversation_id
        data = data if isinstance(data, dict) else {}
        text, client_id = data.get("message"), data.get("client_id")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE_CHARS:
            await sio.emit("error", {"error": "A message must be 1-2000 characters."}, room=sid)
            return
        if not conversation.first_time(client_id if isinstance(client_id, str) else None):
            return
        try:
            identity = await self.authenticator.identify(state["token"])
        except NotSignedIn as error:
            await sio.emit("error", {"error": str(error), "signed_out": True}, room=sid)
            await sio.disconnect(sid)
            return

        async def emit(event: str, payload: dict[str, Any]) -> None:
            numbered = conversation.record(event, payload)
            plain = list(conversation.plain_sockets)
            await sio.emit(event, numbered, room=room, skip_sid=plain or None)
            shaped = rasa_shape(numbered) if event == "bot_uttered" else None
            for socket_id in plain if shaped else []:
                await sio.emit(event, shaped, to=socket_id)

        echo_id = client_id if isinstance(client_id, str) and client_id else uuid.uuid4().hex
        await emit("user_echo", {"id": echo_id, "text": text.strip(), "client_id": client_id})
        await sio.emit("bot_typing", {"typing": True}, room=room)
        output = WebChatOutput(emit)
        metadata: dict[str, Any] = {"identity": identity.as_metadata()}
        context = page_context(data.get("customData"))
        if context:
            metadata["context"] = context
        try:
            stream_id = self.relay.open()
        except StreamClosed:
            stream_id = None
        if stream_id:
            metadata["stream"] = {"id": stream_id, "callback": self.stream_callback()}
        message = UserMessage(
            text.strip(), output, room, input_channel=self.name(), metadata=metadata
        )

        async def send_chunk(chunk: str) -> None:
            output.stream_id = stream_id
            await sio.emit("bot_stream", {"stream_id": stream_id, "text": chunk}, room=room)

        try:
            if stream_id:
                await relay_while(self.relay, stream_id, on_new_message(message), send_chunk)
            else:
                await on_new_message(message)
        except Exception:
            log.exception("handling a web chat message failed")
            await emit("bot_uttered", {"id": f"error-{time.time():.6f}", "text": UNREACHABLE})
        finally:
            if stream_id:
                self.relay.close(stream_id)
            await sio.emit("bot_typing", {"typing": False}, room=room)
            MESSAGE_SECONDS.labels(self.name()).observe(time.perf_counter() - started)
        await self._send_alert_count(sio, room, identity)

    async def _send_alert_count(self, sio: AsyncServer, room: str, identity: Identity) -> None:
        try:
            unread = await self.backend.unread_alerts(identity.user, identity.company)
        except (BackendRefused, BackendUnavailable):
            return  # the badge keeps its last count; the next poll retries
        await sio.emit("alerts", {"unread": unread}, room=room)

    def stream_callback(self) -> str:
        # the HTTP channel's route feeds the shared relay for every channel
        return f"{load_settings().rasa_url}/webhooks/erp/stream/tokens"
