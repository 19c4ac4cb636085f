"""Everything a studio route needs, created once per Rasa server.

Parts that need the running server (its tracker store, its event loop) are
created on first use, never at import.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from bot.auth import Identity
from bot.config import Settings
from bot.studio.http import trainer
from bot.studio.rasa_api import RasaAPI
from bot.studio.workspace import Workspace, workspace_for
from connectors.identity import Authenticator


class Studio:
    def __init__(self, settings: Settings, authenticator: Authenticator) -> None:
        self.settings = settings
        self.authenticator = authenticator

    async def trainer(self, request: Any) -> Identity:
        return await trainer(request, self.authenticator)

    @cached_property
    def workspace(self) -> Workspace:
        return workspace_for(self.settings)

    @cached_property
    def rasa(self) -> RasaAPI:
        return RasaAPI(self.settings.rasa_url, self.settings.rasa_api_token())
