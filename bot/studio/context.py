"""Everything a studio route needs, created once per Rasa server.

Parts that need the running server (its tracker store, its event loop) are
created on first use, never at import.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from bot.auth import Identity
from bot.config import Settings
from bot.studio.evaluation import Evaluations
from bot.studio.http import trainer
from bot.studio.jobs import Jobs
from bot.studio.models import ModelRegistry
from bot.studio.rasa_api import RasaAPI
from bot.studio.workspace import Workspace, workspace_for
from bot.supervisor import RASA_PYTHON, base_environment
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

    @cached_property
    def jobs(self) -> Jobs:
        workspace = self.workspace
        env = base_environment(self.settings)
        # custom components (nlu_models/) import from the code, whatever the workspace
        env["PYTHONPATH"] = str(workspace.code_root)
        return Jobs(
            workspace.state_dir, workspace.code_root / RASA_PYTHON, cwd=workspace.root, env=env
        )

    @cached_property
    def models(self) -> ModelRegistry:
        return ModelRegistry(self.workspace, self.rasa)

    @cached_property
    def evaluations(self) -> Evaluations:
        return Evaluations(self.workspace)
