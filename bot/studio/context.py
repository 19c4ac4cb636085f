"""Everything a studio route needs, created once per Rasa server.

Parts that need the running server (its tracker store, its event loop) are
created on first use, never at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.auth import Identity
from bot.config import Settings
from bot.studio.http import trainer
from bot.studio.rasa_api import RasaAPI
from bot.studio.workspace import Workspace, workspace_for
from connectors.identity import Authenticator

if TYPE_CHECKING:
    from bot.studio.datafiles import DataFiles


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

    @cached_property
    def data(self) -> DataFiles:
        # imported here: it loads Rasa's readers, which only the data routes need
        from bot.studio.datafiles import DataFiles

        return DataFiles(self.workspace)

    async def inbox_accepted(self, identity: Identity, ids: Sequence[str]) -> None:
        """Marks NLU inbox items accepted once their examples are saved (marks.py does it)."""
