"""Shared by the studio training tests: a workspace copy, settings, a fake Rasa, a live app.

The workspace is a temporary copy of the project's Rasa files, so that no
test ever writes to data/; the code (nlu_models/, the Rasa environment)
stays the repository's.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.auth import Identity, issue_token  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.studio.context import Studio  # noqa: E402
from connectors.identity import Authenticator  # noqa: E402

SECRET = b"k"
API_TOKEN = "rasa-test-token"
PROJECT_FILES = ("config.yml", "domain.yml", "data", "tests/stories", "tests/nlu/heldout.yml")
_names = itertools.count()


def copy_project(target: Path) -> Path:
    for name in PROJECT_FILES:
        source, dest = REPO / name, target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            shutil.copy2(source, dest)
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def studio_env(monkeypatch: Any, workspace: Path, var_dir: Path, rasa_port: int = 1) -> Settings:
    """Point the studio at `workspace` and `var_dir` (and a Rasa on `rasa_port`)."""
    monkeypatch.setenv("STUDIO_WORKSPACE", str(workspace))
    monkeypatch.setenv("ERP_VAR_DIR", str(var_dir))
    monkeypatch.setenv("RASA_PORT", str(rasa_port))
    monkeypatch.setenv("RASA_API_TOKEN", API_TOKEN)
    return load_settings()


def make_studio(settings: Settings) -> Studio:
    return Studio(settings, Authenticator(secret=SECRET))


def token(roles: tuple[str, ...] = ("trainer",), user: str = "t") -> str:
    return issue_token(SECRET, Identity(user, "padma", roles))


def bearer(roles: tuple[str, ...] = ("trainer",)) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(roles)}"}


@dataclass
class FakeRasa:
    """Rasa's HTTP API as far as activation uses it; records every request."""

    loaded: str | None = None
    fail_with: int | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/model", self.put_model)
        app.router.add_get("/status", self.status)
        return app

    async def put_model(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(
            {"method": "PUT", "path": "/model", "query": dict(request.query), "json": body}
        )
        if self.fail_with:
            return web.json_response({"message": "cannot load"}, status=self.fail_with)
        self.loaded = body["model_file"]
        return web.Response(status=204)

    async def status(self, request: web.Request) -> web.Response:
        return web.json_response({"model_file": self.loaded, "model_id": "x"})


@contextlib.asynccontextmanager
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa(port=free_port())
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", fake.port)
    await site.start()
    try:
        yield fake
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def live_studio(studio_input: Any) -> AsyncIterator[aiohttp.ClientSession]:
    """The studio blueprint in a Sanic app on a free port, and a client session for it."""
    from rasa.core.channels.channel import register
    from sanic import Sanic

    app = Sanic(f"studio_training_test_{next(_names)}")
    # mounted the way `rasa run` mounts every channel of credentials.yml
    register([studio_input], app, route="/webhooks/")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
        await studio_input.studio.rasa.close()
