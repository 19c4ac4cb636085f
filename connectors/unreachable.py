"""Every channel's way into Rasa: each message measured, and never left unanswered.

Rasa logs a custom action that could not be called and goes on without its
events, so the user would get no reply at all. Every channel hands its
messages to Rasa through `answering(on_new_message)`: if a turn sent no bot
message, or a call to the action server failed, and the action server does
not answer its health check, the user is told the ERP cannot be reached.
The message itself is in the tracker store, and the next one is answered as
soon as the action server is back (Rasa calls it afresh for each action).

The same wrapper gives the message its request id (in its metadata, where
the action server finds it) and measures it as a turn (connectors/turns.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.config import load_settings
from bot.logs import REQUEST_ID, new_request_id
from connectors.turns import CURRENT_TURN, Turn, finish, instrument_rasa, turn_queue

log = logging.getLogger(__name__)

UNREACHABLE = "I can't reach the ERP right now. Please try again in a moment."
HEALTH_TIMEOUT = aiohttp.ClientTimeout(total=2)


class CountingOutput(OutputChannel):
    """The channel's own output, counting what the bot sends through it."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:  # type: ignore[override]  # channel-specific responses use it
        return self.inner.name()

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)


async def action_server_answers(url: str | None = None) -> bool:
    url = url or f"{load_settings().actions_url}/health"
    try:
        async with (
            aiohttp.ClientSession(timeout=HEALTH_TIMEOUT) as session,
            session.get(url) as reply,
        ):
            return reply.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


def answering(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[None]]:
    instrument_rasa()

    async def handle(message: UserMessage) -> None:
        request_id = new_request_id()
        message.metadata = {**(message.metadata or {}), "request_id": request_id}
        identity = message.metadata.get("identity") or {}
        turn = Turn(request_id, message.input_channel or "", identity.get("company"))
        request_token, turn_token = REQUEST_ID.set(request_id), CURRENT_TURN.set(turn)
        output = CountingOutput(message.output_channel)
        message.output_channel = output
        try:
            await on_new_message(message)
            # a failed call can leave Rasa's fallback as the only reply: say why
            silent_or_failed = output.sent == 0 or turn.failed_actions
            if silent_or_failed and not await action_server_answers():
                log.warning(
                    "the action server is down: told the user so",
                    extra={"sender_id": message.sender_id},
                )
                turn.unreachable = True
                await output.inner.send_response(message.sender_id, {"text": UNREACHABLE})
        finally:
            turn.replies = output.sent
            turn_queue().put(finish(turn))
            CURRENT_TURN.reset(turn_token)
            REQUEST_ID.reset(request_token)
        turn_queue().flush_soon()

    return handle
