"""The Rasa server's own HTTP API, as the studio calls it (token auth).

The studio lives inside that server, but it goes through the public API
for what `rasa interactive` does through it too (parse, predict, execute,
load a model): one documented way, and the same checks as any client.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=120)


class RasaUnavailable(Exception):
    """The Rasa HTTP API did not answer, or answered with an error."""

    def __init__(self, message: str, status: int = 503) -> None:
        super().__init__(message)
        self.status = status


class RasaAPI:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self._token = token
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # opened on first use, inside the running event loop (never at import)
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(base_url=self.base_url, timeout=TIMEOUT)
        return self._session

    async def call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        query = {"token": self._token, **(params or {})}
        try:
            async with self._client().request(method, path, json=json, params=query) as reply:
                body = await reply.json(content_type=None) if reply.status != 204 else None
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RasaUnavailable(f"The Rasa server did not answer: {error}") from error
        if reply.status >= 400:
            message = body.get("message") if isinstance(body, dict) else None
            raise RasaUnavailable(message or f"Rasa refused ({reply.status})", reply.status)
        return body

    @staticmethod
    def conversation(conversation_id: str) -> str:
        return f"/conversations/{quote(conversation_id, safe='')}"

    async def status(self) -> dict[str, Any]:
        return await self.call("GET", "/status")

    async def parse(self, text: str) -> dict[str, Any]:
        return await self.call("POST", "/model/parse", json={"text": text})

    async def load_model(self, model_file: str) -> None:
        await self.call("PUT", "/model", json={"model_file": model_file})

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        return await self.call("GET", self.conversation(conversation_id) + "/tracker")

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> Any:
        path = self.conversation(conversation_id) + "/tracker/events"
        return await self.call("POST", path, json=events, params={"include_events": "NONE"})

    async def replace_events(self, conversation_id: str, events: list[dict[str, Any]]) -> Any:
        path = self.conversation(conversation_id) + "/tracker/events"
        return await self.call("PUT", path, json=events, params={"include_events": "NONE"})

    async def predict(self, conversation_id: str) -> dict[str, Any]:
        return await self.call("POST", self.conversation(conversation_id) + "/predict")

    async def execute(self, conversation_id: str, action: str) -> dict[str, Any]:
        path = self.conversation(conversation_id) + "/execute"
        return await self.call(
            "POST", path, json={"name": action}, params={"include_events": "NONE"}
        )

    async def story(self, conversation_id: str) -> str:
        # returns YAML text, not JSON
        try:
            async with self._client().get(
                self.conversation(conversation_id) + "/story", params={"token": self._token}
            ) as reply:
                text = await reply.text()
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise RasaUnavailable(f"The Rasa server did not answer: {error}") from error
        if reply.status >= 400:
            raise RasaUnavailable(f"Rasa refused ({reply.status})", reply.status)
        return text

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
