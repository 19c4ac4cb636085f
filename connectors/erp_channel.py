"""Authenticated HTTP channel: Rasa's REST channel plus a bearer token.

`POST /webhooks/erp/webhook` with `Authorization: Bearer <token>` and a body
`{"sender", "message", "metadata"?}` answers with the REST channel's list of
`{recipient_id, text?, buttons?, custom?}`. The identity in the token, never
the body, decides who is speaking: it overwrites `metadata["identity"]`, and
the conversation id is namespaced by user so that nobody can write into
another user's conversation.

`POST /webhooks/erp/stream` takes the same request and answers with
server-sent events: `token` events carry a local LLM's text as it is
generated, then one `message` event per bot message in the REST shape, then
`done` (`connectors/streaming.py`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.auth import Identity, InvalidToken, bearer_token, verify_stream_chunk, verify_token
from bot.config import load_settings
from connectors.metrics import MESSAGE_SECONDS, REQUESTS
from connectors.streaming import StreamClosed, TokenRelay, parse_chunk, sse

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,100}$")


class RequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def conversation_id(identity: Identity, sender: str) -> str:
    return f"{identity.user}:{sender}"


class AuthenticatedRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "erp"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def __init__(self, secret: bytes | None = None, relay: TokenRelay | None = None) -> None:
        self._secret = secret
        self.relay = relay or TokenRelay()

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = load_settings().secret_key()
        return self._secret

    def authenticate(self, request: Request) -> Identity:
        token = bearer_token(request.headers.get("Authorization"))
        if token is None:
            raise RequestError(401, "Missing bearer token: send 'Authorization: Bearer <token>'.")
        try:
            return verify_token(self.secret, token)
        except InvalidToken as error:
            raise RequestError(401, f"Invalid token: {error}.") from error

    @staticmethod
    def parse_body(request: Request) -> tuple[str, str, dict[str, Any]]:
        try:
            body = request.json
        except Exception as error:  # sanic raises InvalidUsage on bad JSON
            raise RequestError(400, "The body must be JSON.") from error
        if not isinstance(body, dict):
            raise RequestError(400, "The body must be a JSON object.")
        sender = body.get("sender", "default")
        message = body.get("message")
        metadata = body.get("metadata") or {}
        if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
            raise RequestError(400, "'sender' must be 1-100 letters, digits or _.:@- characters.")
        if not isinstance(message, str) or not message.strip():
            raise RequestError(400, "'message' must be a non-empty string.")
        if len(message) > MAX_MESSAGE_CHARS:
            raise RequestError(400, f"'message' is longer than {MAX_MESSAGE_CHARS} characters.")
        if not isinstance(metadata, dict):
            raise RequestError(400, "'metadata' must be a JSON object.")
        # identity and streams are the channel's to set, never the sender's
        metadata = {k: v for k, v in metadata.items() if k not in ("identity", "stream")}
        return sender, message.strip(), metadata

    def user_message(
        self,
        request: Request,
        collector: CollectingOutputChannel,
        stream: dict[str, str] | None = None,
    ) -> tuple[str, UserMessage]:
        """The sender and the message of an authenticated, well-formed request."""
        identity = self.authenticate(request)
        sender, text, metadata = self.parse_body(request)
        metadata["identity"] = identity.as_metadata()
        if stream:
            metadata["stream"] = stream
        message = UserMessage(
            text,
            collector,
            conversation_id(identity, sender),
            input_channel=self.name(),
            metadata=metadata,
        )
        return sender, message

    def stream_callback(self) -> str:
        return f"{load_settings().rasa_url}/webhooks/{self.name()}/stream/tokens"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("erp_webhook", __name__)

        @webhook.get("/")
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.post("/webhook")
        async def receive(request: Request) -> HTTPResponse:
            started = time.perf_counter()
            collector = CollectingOutputChannel()
            try:
                sender, message = self.user_message(request, collector)
            except RequestError as error:
                REQUESTS.labels(self.name(), str(error.status)).inc()
                return response.json({"error": str(error)}, status=error.status)
            await on_new_message(message)
            replies = [{**m, "recipient_id": sender} for m in collector.messages]
            MESSAGE_SECONDS.labels(self.name()).observe(time.perf_counter() - started)
            REQUESTS.labels(self.name(), "200").inc()
            return response.json(replies)

        @webhook.post("/stream")
        async def receive_streaming(request: Request) -> HTTPResponse | None:
            started = time.perf_counter()
            collector = CollectingOutputChannel()
            try:
                stream_id = self.relay.open()
            except StreamClosed:
                return response.json({"error": "Too many answers at once; retry."}, status=503)
            try:
                stream = {"id": stream_id, "callback": self.stream_callback()}
                sender, message = self.user_message(request, collector, stream)
            except RequestError as error:
                self.relay.close(stream_id)
                REQUESTS.labels(self.name(), str(error.status)).inc()
                return response.json({"error": str(error)}, status=error.status)
            reply = await request.respond(
                content_type="text/event-stream; charset=utf-8",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
            try:
                await self.relay_answer(stream_id, on_new_message(message), reply.send)
                for bot_message in collector.messages:
                    await reply.send(sse("message", {**bot_message, "recipient_id": sender}))
                await reply.send(sse("done", {}))
                REQUESTS.labels(self.name(), "200").inc()
            except ConnectionError:
                log.info("a streaming client left before its answer was complete")
            except Exception:
                log.exception("handling a streamed message failed")
                await reply.send(sse("error", {"error": "The message could not be handled."}))
            finally:
                self.relay.close(stream_id)
                MESSAGE_SECONDS.labels(self.name()).observe(time.perf_counter() - started)
            await reply.eof()
            return None

        @webhook.post("/stream/tokens")
        async def receive_tokens(request: Request) -> HTTPResponse:
            signature = request.headers.get("X-Stream-Signature", "")
            if not verify_stream_chunk(self.secret, request.body, signature):
                return response.json({"error": "Bad or missing stream signature."}, status=401)
            try:
                stream_id, text = parse_chunk(request.json)
                self.relay.push(stream_id, text)
            except (ValueError, TypeError) as error:
                return response.json({"error": f"Malformed chunk: {error}."}, status=400)
            except StreamClosed:
                return response.json({"error": "No such stream (finished?)."}, status=404)
            return response.json({"ok": True})

        return webhook

    async def relay_answer(
        self,
        stream_id: str,
        handling: Awaitable[Any],
        send: Callable[[str], Awaitable[Any]],
    ) -> None:
        """Send each chunk posted for this stream until Rasa has handled the message.

        The action server posts every chunk before its action returns, so the
        chunks left in the queue when handling ends are the last ones.
        """
        queue = self.relay.queue(stream_id)
        task = asyncio.ensure_future(handling)
        while not task.done():
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                await send(sse("token", {"text": getter.result()}))
            else:
                getter.cancel()  # an item it was woken for stays in the queue
        while not queue.empty():
            await send(sse("token", {"text": queue.get_nowait()}))
        task.result()
