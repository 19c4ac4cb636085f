"""A browser-less web chat client over Socket.IO, for end-to-end and load tests."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import socketio

from tests.e2e.harness import RunningStack


def sign_in(stack: RunningStack, username: str) -> str:
    """A browser session token for a demo user, through the sign-in endpoint."""
    password = stack.tokens[username]["password"]
    reply = httpx.post(
        f"{stack.settings.rasa_url}/chat/session",
        json={"username": username, "password": password},
        timeout=10,
    )
    reply.raise_for_status()
    return reply.json()["token"]


class ChatClient:
    def __init__(
        self,
        stack: RunningStack,
        token: str,
        session_id: str | None = None,
        *,
        new_device: bool = False,
    ) -> None:
        """`new_device`: the client knows no conversation and takes the one the server gives."""
        self.url = stack.settings.rasa_url
        self.token = token
        self.new_device = new_device
        self.session_id = session_id or uuid.uuid4().hex
        self.events: list[tuple[str, Any]] = []
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Any) -> None:
        self.events.append((event, data))

    async def connect(self, last_seq: int | None = None, as_rasa_webchat: bool = False) -> None:
        """As our page connects, or as the rasa-webchat package does: it cannot set
        Socket.IO auth (the token goes in the URL) and knows only Rasa's shapes."""
        if as_rasa_webchat:
            await self.sio.connect(f"{self.url}?token={self.token}", transports=["websocket"])
        else:
            await self.sio.connect(self.url, auth={"token": self.token}, transports=["websocket"])
        request: dict[str, Any] = {} if self.new_device else {"session_id": self.session_id}
        if not as_rasa_webchat:
            request["client"] = "erp-webchat"
        if last_seq is not None:
            request["last_seq"] = last_seq
        await self.sio.emit("session_request", request)
        await self.wait_for(lambda: self.of("session_confirm"))
        self.session_id = self.of("session_confirm")[-1]["session_id"]

    async def say(self, text: str, client_id: str | None = None, **custom: Any) -> str:
        client_id = client_id or uuid.uuid4().hex
        await self.sio.emit(
            "user_uttered",
            {
                "message": text,
                "session_id": self.session_id,
                "client_id": client_id,
                "customData": custom,
            },
        )
        return client_id

    async def ask(self, text: str, timeout: float = 30) -> list[dict[str, Any]]:
        """Send a message and wait until its turn ends (typing off); its bot messages."""
        before = len(self.events)
        await self.say(text)
        await self.wait_for(
            lambda: any(e == "bot_typing" and not d["typing"] for e, d in self.events[before:]),
            timeout,
        )
        return [d for e, d in self.events[before:] if e == "bot_uttered"]

    def of(self, kind: str) -> list[Any]:
        return [data for event, data in self.events if event == kind]

    @property
    def last_seq(self) -> int:
        numbered = [d["seq"] for _, d in self.events if isinstance(d, dict) and "seq" in d]
        return max(numbered, default=0)

    async def wait_for(self, condition: Any, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; events so far: {self.events[-6:]}")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
