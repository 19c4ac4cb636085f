"""The action server's internal routes, as the Rasa server's channels call them.

One aiohttp session per process, opened on first use inside the running
event loop (never at import). Calls carry the internal key derived from the
shared secret; see `actions/internal_api.py` for the other side.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.auth import internal_key
from bot.config import Settings, load_settings

TIMEOUT = aiohttp.ClientTimeout(total=10)


class BackendUnavailable(Exception):
    """The action server did not answer: the caller says the ERP is unreachable."""


class BackendRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ERPBackend:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self._key = internal_key(self.settings.secret_key())
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                base_url=self.settings.actions_url,
                timeout=TIMEOUT,
                headers={"X-Internal-Key": self._key},
            )
        return self._session

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._client().request(method, path, **kwargs) as reply:
                body = await reply.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise BackendUnavailable(str(error)) from error
        if reply.status >= 400:
            message = body.get("error") if isinstance(body, dict) else None
            raise BackendRefused(reply.status, message or f"refused ({reply.status})")
        return body

    async def sign_in(self, username: str, password: str, user_agent: str) -> dict[str, Any]:
        body = {"username": username, "password": password, "user_agent": user_agent}
        return await self._call("POST", "/internal/sign-in", json=body)

    async def session(self, session_id: str) -> dict[str, Any] | None:
        try:
            return await self._call("GET", f"/internal/sessions/{session_id}")
        except BackendRefused as refused:
            if refused.status == 404:
                return None
            raise

    async def end_session(self, session_id: str) -> None:
        await self._call("DELETE", f"/internal/sessions/{session_id}")

    async def feedback(self, **fields: str) -> None:
        await self._call("POST", "/internal/feedback", json=fields)

    async def feedback_for_review(
        self,
        reviewer: str,
        company: str,
        rating: str | None,
        limit: int,
        offset: int,
        conversation_id: str | None = None,
    ) -> dict[str, Any]:
        params = {"reviewer": reviewer, "company": company, "limit": limit, "offset": offset}
        if rating:
            params["rating"] = rating
        if conversation_id:
            params["conversation_id"] = conversation_id
        return await self._call("GET", "/internal/feedback", params=params)

    async def personal_data(
        self, administrator: str, company: str, user: str, *, erase: bool = False
    ) -> dict[str, Any]:
        """A user's memories and ratings (a privacy export), or their deletion (counts)."""
        params = {"administrator": administrator, "company": company, "user": user}
        method = "DELETE" if erase else "GET"
        return await self._call(method, "/internal/personal-data", params=params)

    async def unread_alerts(self, user: str, company: str) -> int:
        body = await self._call(
            "GET", "/internal/alerts/unread", params={"user": user, "company": company}
        )
        return int(body["unread"])

    async def current_conversation(self, user: str, company: str) -> str | None:
        """The web chat session this user was last in (another device resumes it)."""
        body = await self._call(
            "GET", "/internal/chat-conversation", params={"user": user, "company": company}
        )
        return body.get("session_id")

    async def set_current_conversation(self, user: str, company: str, session_id: str) -> None:
        await self._call(
            "PUT",
            "/internal/chat-conversation",
            params={"user": user, "company": company},
            json={"session_id": session_id},
        )

    async def record_turns(self, turns: list[dict[str, Any]]) -> None:
        """Hand finished turns to the action server, which stores them with its own timings."""
        await self._call("POST", "/internal/turns", json={"turns": turns})

    async def operations(self, reviewer: str, company: str, since: str) -> dict[str, Any]:
        """Turn records and alert activity of the company since a date (the operations page)."""
        params = {"reviewer": reviewer, "company": company, "since": since}
        return await self._call("GET", "/internal/operations", params=params)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
