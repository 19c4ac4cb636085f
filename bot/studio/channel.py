"""The training studio, served by the Rasa server at /studio.

A channel in the sense of `credentials.yml` only so that Rasa mounts its
blueprint; it never hands a message to the bot itself. Every API route
lives in `routes/`, one module per area, and checks the caller's role first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import load_settings
from bot.studio.context import Studio
from bot.studio.http import Refused
from bot.studio.rasa_api import RasaUnavailable
from bot.studio.routes import (
    conversations,
    feedback,
    inbox,
    interactive,
    nlu,
    operations,
    privacy,
    stories,
    training,
)
from connectors.backend import BackendRefused, BackendUnavailable
from connectors.identity import Authenticator, NotSignedIn

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
ROUTE_MODULES = (
    conversations,
    inbox,
    nlu,
    stories,
    training,
    interactive,
    feedback,
    operations,
    privacy,
)


class StudioInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "studio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def __init__(self, authenticator: Authenticator | None = None) -> None:
        self.studio = Studio(load_settings(), authenticator or Authenticator())
        self.studio.workspace  # noqa: B018  (a wrong STUDIO_WORKSPACE stops the start-up)

    def url_prefix(self) -> str:
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        studio = Blueprint("studio")
        add_page_routes(studio)

        @studio.listener("before_server_start")
        async def remember_app(app: Any, _: Any) -> None:
            self.studio.app = app

        @studio.exception(Refused, NotSignedIn, BackendRefused, RasaUnavailable)
        async def refused(_: Request, error: Exception) -> HTTPResponse:
            return response.json({"error": str(error)}, status=getattr(error, "status", 400))

        @studio.exception(BackendUnavailable)
        async def unreachable(_: Request, error: BackendUnavailable) -> HTTPResponse:
            log.warning("the action server did not answer: %s", error)
            return response.json({"error": "The action server is not answering."}, status=503)

        for module in ROUTE_MODULES:
            module.add_routes(studio, self.studio)
        return studio


def add_page_routes(studio: Blueprint) -> None:
    @studio.get("/studio")
    async def page(_: Request) -> HTTPResponse:
        return await static_file("studio.html")

    @studio.get("/studio/static/<path:path>")
    async def static(_: Request, path: str) -> HTTPResponse:
        return await static_file(path)


async def static_file(relative: str) -> HTTPResponse:
    target = (STATIC_DIR / relative).resolve()
    if not target.is_relative_to(STATIC_DIR) or not target.is_file():
        return response.json({"error": "no such file"}, status=404)
    return await response.file(target, headers={"Cache-Control": "no-cache"})
