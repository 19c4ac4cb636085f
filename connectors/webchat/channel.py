"""The web chat channel: Socket.IO in real time, plus the HTTP routes of `routes.py`.

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
A `session_request` without a session id (another device, a cleared
browser) joins the conversation the user was last in, kept per user and
company in the ERP database, so it resumes with its history everywhere.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic
from sanic.request import Request
from socketio import AsyncServer

from bot.auth import CHAT_SESSION_ID, Identity
from connectors.backend import BackendRefused, BackendUnavailable, ERPBackend
from connectors.identity import Authenticator, NotSignedIn
from connectors.metrics import MESSAGE_SECONDS
from connectors.streaming import StreamClosed, relay_while, shared_relay, stream_callback_url
from connectors.unreachable import answering
from connectors.webchat.conversations import Conversation, Conversations
from connectors.webchat.messages import WebChatOutput
from connectors.webchat.routes import UNREACHABLE, add_http_routes

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
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
        on_new_message = answering(on_new_message)
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        self.sio = sio
        chat = SocketBlueprint(sio, self.socketio_path, "webchat", __name__)
        self._register_socket_events(sio, on_new_message)

        add_http_routes(chat, self)
        return chat

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
            state = await sio.get_session(sid)
            identity = state.get("identity")
            session = identity.session if identity else None
            sockets = self.sockets_of_session.get(session) if session else None
            if sockets is not None:
                sockets.discard(sid)
                if not sockets:  # a finished session leaves nothing behind
                    del self.sockets_of_session[session]
            if state.get("session_id"):
                conversation_id = f"{state['identity'].user}:{state['session_id']}"
                self.conversations.get(conversation_id).plain_sockets.discard(sid)

        @sio.on("session_request")
        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            state = await sio.get_session(sid)
            session_id = await self._conversation_to_join(state["identity"], data.get("session_id"))
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
            metadata["stream"] = {"id": stream_id, "callback": stream_callback_url()}
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

    async def _conversation_to_join(self, identity: Identity, requested: Any) -> str:
        """The client's conversation; else the one this user was last in (another
        device, a cleared browser), else a new one. It becomes the user's current one."""
        session_id = (
            requested if isinstance(requested, str) and CHAT_SESSION_ID.match(requested) else None
        )
        if session_id is None:
            try:
                session_id = await self.backend.current_conversation(
                    identity.user, identity.company
                )
            except (BackendRefused, BackendUnavailable):
                session_id = None  # the ERP is away: a new conversation rather than none
        session_id = session_id or uuid.uuid4().hex
        try:
            await self.backend.set_current_conversation(identity.user, identity.company, session_id)
        except (BackendRefused, BackendUnavailable) as problem:
            log.info("could not record the current conversation: %s", problem)
        return session_id

    async def _send_alert_count(self, sio: AsyncServer, room: str, identity: Identity) -> None:
        try:
            unread = await self.backend.unread_alerts(identity.user, identity.company)
        except (BackendRefused, BackendUnavailable):
            return  # the badge keeps its last count; the next poll retries
        await sio.emit("alerts", {"unread": unread}, room=room)
