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

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.auth import Identity, verify_stream_chunk
from connectors.identity import Authenticator, NotSignedIn
from connectors.metrics import MESSAGE_SECONDS, REQUESTS
from connectors.streaming import (
    StreamClosed,
    TokenRelay,
    parse_chunk,
    relay_while,
    shared_relay,
    sse,
    stream_callback_url,
)
from connectors.unreachable import answering

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

    def __init__(
        self, authenticator: Authenticator | None = None, relay: TokenRelay | None = None
    ) -> None:
        self.authenticator = authenticator or Authenticator()
        self.relay = relay or shared_relay()

    @property
    def secret(self) -> bytes:
        return self.authenticator.secret

    async def authenticate(self, request: Request) -> Identity:
        try:
            return await self.authenticator.identify_header(request.headers.get("Authorization"))
        except NotSignedIn as error:
            raise RequestError(error.status, str(error)) from error

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

    async def user_message(
        self,
        request: Request,
        collector: CollectingOutputChannel,
        stream: dict[str, str] | None = None,
    ) -> tuple[str, UserMessage]:
        """The sender and the message of an authenticated, well-formed request."""
        identity = await self.authenticate(request)
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

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = answering(on_new_message)
        webhook = Blueprint("erp_webhook", __name__)

        @webhook.get("/")
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.post("/webhook")
        async def receive(request: Request) -> HTTPResponse:
            started = time.perf_counter()
            collector = CollectingOutputChannel()
            try:
                sender, message = await self.user_message(request, collector)
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
                stream = {"id": stream_id, "callback": stream_callback_url()}
                sender, message = await self.user_message(request, collector, stream)
            except RequestError as error:
                self.relay.close(stream_id)
                REQUESTS.labels(self.name(), str(error.status)).inc()
                return response.json({"error": str(error)}, status=error.status)
            reply = await request.respond(
                content_type="text/event-stream; charset=utf-8",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
            try:
                await relay_while(
                    self.relay,
                    stream_id,
                    on_new_message(message),
                    lambda text: reply.send(sse("token", {"text": text})),
                )
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
