"""Everything a studio route needs, created once per Rasa server.

Parts that need the running server (its tracker store database, its event
loop) are created on first use, never at import; those that block are
first touched inside `Studio.blocking`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from bot.auth import Identity
from bot.config import Settings
from bot.studio.activation import ModelRefused, switch_model
from bot.studio.conversations import ConversationIndex
from bot.studio.evaluation import Evaluations
from bot.studio.http import Refused, trainer
from bot.studio.interactive import InteractiveSessions
from bot.studio.jobs import Jobs
from bot.studio.marks import MarkStore
from bot.studio.models import ModelRegistry
from bot.studio.rasa_api import RasaAPI
from bot.studio.texts import TrainingTexts
from bot.studio.workspace import Workspace, workspace_for
from bot.supervisor import RASA_PYTHON, base_environment
from connectors.backend import ERPBackend
from connectors.identity import Authenticator

if TYPE_CHECKING:
    from bot.studio.datafiles import DataFiles

T = TypeVar("T")


class Studio:
    def __init__(self, settings: Settings, authenticator: Authenticator) -> None:
        self.settings = settings
        self.authenticator = authenticator
        # the Sanic app serving the studio, set when the server starts
        self.app: Any = None

    async def trainer(self, request: Any) -> Identity:
        return await trainer(request, self.authenticator)

    async def blocking(self, work: Callable[..., T], *args: Any) -> T:
        """Run database and file work off the event loop."""
        return await asyncio.to_thread(work, *args)

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
        return ModelRegistry(self.workspace, self.rasa, self.load_model)

    async def load_model(self, path: Path) -> None:
        """Switch the server this studio runs in; Rasa's `PUT /model` when it runs
        outside one (an app without an agent, as in the API tests)."""
        if self.app is None or getattr(self.app.ctx, "agent", None) is None:
            await self.rasa.load_model(str(path))
            return
        try:
            await switch_model(self.app, path)
        except ModelRefused as error:
            raise Refused(422, str(error)) from error

    @cached_property
    def evaluations(self) -> Evaluations:
        return Evaluations(self.workspace)

    @cached_property
    def data(self) -> DataFiles:
        # imported here: it loads Rasa's readers, which only the data routes need
        from bot.studio.datafiles import DataFiles

        return DataFiles(self.workspace)

    @cached_property
    def interactive(self) -> InteractiveSessions:
        return InteractiveSessions(self.rasa)

    @property
    def backend(self) -> ERPBackend:
        return self.authenticator.backend

    @cached_property
    def tracker_engine(self) -> sa.engine.Engine:
        # the database Rasa's SQL tracker store writes (endpoints.yml)
        url = self.settings.tracker_store_url.replace("postgres://", "postgresql://", 1)
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            options["connect_args"] = {"timeout": 30}
        return sa.create_engine(url, **options)

    @cached_property
    def index(self) -> ConversationIndex:
        return ConversationIndex(self.tracker_engine)

    @cached_property
    def marks(self) -> MarkStore:
        return MarkStore(self.tracker_engine)

    @cached_property
    def training_texts(self) -> TrainingTexts:
        return TrainingTexts(self.workspace.nlu_dir)

    async def inbox_accepted(self, identity: Identity, entry_ids: Sequence[str]) -> None:
        """Examples saved from the NLU inbox leave it."""
        if entry_ids:
            ids = list(entry_ids)
            await self.blocking(self.marks.decide, identity.company, ids, "accepted", identity.user)
