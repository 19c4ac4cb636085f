"""Routes at the root of the Rasa server: Prometheus metrics.

Rasa mounts every channel under `/webhooks/<url_prefix>`, joined with
`urljoin`, so a channel whose prefix is `/` is mounted at the root. This is
the supported way to add routes to `rasa run` without replacing its server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse


class OperationsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "operations"

    def url_prefix(self) -> str:
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        operations = Blueprint("operations", __name__)

        @operations.get("/metrics")
        async def metrics(_: Request) -> HTTPResponse:
            return response.raw(generate_latest(), content_type=CONTENT_TYPE_LATEST)

        return operations
