"""Authenticated HTTP channel: Rasa's REST channel plus a bearer token.

`POST /webhooks/erp/webhook` with `Authorization: Bearer <token>` and a body
`{"sender", "message", "metadata"?}` answers with the REST channel's list of
`{recipient_id, text?, buttons?, custom?}`. The identity in the token, never
the body, decides who is speaking: it overwrites `metadata["identity"]`, and
the conversation id is namespaced by user so that nobody can write into
another user's conversation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.auth import Identity, InvalidToken, bearer_token, verify_token
from bot.config import load_settings
from connectors.metrics import MESSAGE_SECONDS, REQUESTS

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

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret

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
        return sender, message.strip(), metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("erp_webhook", __name__)

        @webhook.get("/")
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.post("/webhook")
        async def receive(request: Request) -> HTTPResponse:
            started = time.perf_counter()
            try:
                identity = self.authenticate(request)
                sender, text, metadata = self.parse_body(request)
            except RequestError as error:
                REQUESTS.labels(self.name(), str(error.status)).inc()
                return response.json({"error": str(error)}, status=error.status)
            metadata = {**metadata, "identity": identity.as_metadata()}
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    conversation_id(identity, sender),
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )
            replies = [{**m, "recipient_id": sender} for m in collector.messages]
            MESSAGE_SECONDS.labels(self.name()).observe(time.perf_counter() - started)
            REQUESTS.labels(self.name(), "200").inc()
            return response.json(replies)

        return webhook
