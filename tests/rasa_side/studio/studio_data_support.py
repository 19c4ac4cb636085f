"""What the studio's data-file tests share: a throw-away copy of the project's
files (the repository's data is never edited) and a minimal ASGI client for
the studio's Sanic routes (Rasa's environment has no sanic-testing)."""

from __future__ import annotations

import itertools
import json
import shutil
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.studio.datafiles import DataFiles  # noqa: E402
from bot.studio.workspace import Workspace  # noqa: E402

PROJECT_FILES = ("domain.yml", "config.yml", "data", "tests/stories")
_app_numbers = itertools.count()


def copy_project(target: Path) -> Path:
    """A copy of the project's domain, config, data and test stories under `target`."""
    for name in PROJECT_FILES:
        source, destination = REPO / name, target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            shutil.copy2(source, destination)
    return target


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root by relative path, to show that nothing was written."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def data_files(root: Path, state: Path) -> DataFiles:
    return DataFiles(Workspace(root=root, state_dir=state))


def without_lines(text: str, added: list[str]) -> str:
    """`text` with each of `added` (whole lines, newline included) removed once."""
    lines = text.splitlines(keepends=True)
    for line in added:
        lines.remove(line)
    return "".join(lines)


def studio_app(secret: bytes) -> tuple[Any, Any]:
    """A Sanic app with only the studio's blueprint (settings from the environment)."""
    from rasa.core.channels.channel import register
    from sanic import Sanic

    from bot.studio.channel import StudioInput
    from connectors.identity import Authenticator

    app = Sanic(f"studio_data_{next(_app_numbers)}")
    channel = StudioInput(authenticator=Authenticator(secret=secret))
    # mounted as `rasa run` mounts every channel (its blueprint's prefix replaced by "/")
    register([channel], app, route="/webhooks/")
    return app, channel.studio


class AsgiClient:
    """Sends one HTTP request at a time to a Sanic app through its ASGI interface."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.started = False

    async def _start(self) -> None:
        await self.app._startup()  # Sanic.test_mode is set in conftest.py
        self.started = True

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw: bytes | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        if not self.started:
            await self._start()
        body = (
            raw if raw is not None else b"" if json_body is None else json.dumps(json_body).encode()
        )
        headers = [(b"host", b"studio.test"), (b"content-length", str(len(body)).encode())]
        if body:
            headers.append((b"content-type", b"application/json"))
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("studio.test", 80),
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return status, json.loads(content) if content else None
