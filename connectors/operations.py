"""Routes at the root of the Rasa server: Prometheus metrics and health.

Rasa mounts every channel under `/webhooks/<url_prefix>`, joined with
`urljoin`, so a channel whose prefix is `/` is mounted at the root. This is
the supported way to add routes to `rasa run` without replacing its server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
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

        @operations.get("/health")
        async def health(request: Request) -> HTTPResponse:
            checks = await health_checks(request.app.ctx.agent)
            healthy = all(check["ok"] for check in checks.values())
            body = {"status": "ok" if healthy else "degraded", "checks": checks}
            return response.json(body, status=200 if healthy else 503)

        return operations


async def timed_check(check: Callable[[], Awaitable[str]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check(), timeout=3)
        ok = True
    except Exception as error:  # a health check reports every failure, it never raises
        detail, ok = f"{type(error).__name__}: {error}", False
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


async def health_checks(agent: Any) -> dict[str, dict[str, Any]]:
    """The model, the tracker store's database, the lock store and the action server."""

    async def model() -> str:
        if agent is None or not agent.is_ready():
            raise RuntimeError("no model is loaded")
        return agent.model_name or "loaded"

    async def tracker_store() -> str:
        store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)
        engine = getattr(store, "engine", None)
        if engine is None:
            return type(store).__name__
        await asyncio.to_thread(_select_one, engine)
        return engine.dialect.name

    async def lock_store() -> str:
        red = getattr(agent.lock_store, "red", None)
        if red is not None:
            await asyncio.to_thread(red.ping)
            return "redis"
        return type(agent.lock_store).__name__

    async def action_server() -> str:
        url = agent.action_endpoint.url.rsplit("/", 1)[0] + "/health"
        timeout = aiohttp.ClientTimeout(total=3)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as reply:
            if reply.status != 200:
                raise RuntimeError(f"answered {reply.status}")
        return "ok"

    names = ("model", "tracker_store", "lock_store", "action_server")
    results = await asyncio.gather(
        *(timed_check(c) for c in (model, tracker_store, lock_store, action_server))
    )
    return dict(zip(names, results, strict=True))


def _select_one(engine: Any) -> None:
    import sqlalchemy as sa

    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
