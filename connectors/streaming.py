"""Relaying a local LLM's tokens to the client while the answer is generated.

Rasa's action protocol returns an action's messages only when the action
ends, so generated text takes a side path: the channel opens a stream and
names it in the message metadata (`{"stream": {"id", "callback"}}`, which
only channels set); the action server posts batches of text, signed with the
shared secret, to the callback; the channel hands them to the waiting client
in order. The final messages still arrive through Rasa as usual and are the
answer of record: when the grounding check rejects what the model wrote,
they replace the streamed draft.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from bot.config import load_settings

MAX_OPEN_STREAMS = 1000
MAX_CHUNK_CHARS = 4000


class StreamClosed(Exception):
    pass


class TokenRelay:
    """Open streams of one Rasa server process, each a queue of text chunks."""

    def __init__(self) -> None:
        self._queues: dict[str, asyncio.Queue[str]] = {}

    def open(self) -> str:
        if len(self._queues) >= MAX_OPEN_STREAMS:
            raise StreamClosed("too many answers are streaming at once")
        stream_id = secrets.token_urlsafe(16)
        self._queues[stream_id] = asyncio.Queue()
        return stream_id

    def push(self, stream_id: str, text: str) -> None:
        queue = self._queues.get(stream_id)
        if queue is None:
            raise StreamClosed(stream_id)
        queue.put_nowait(text)

    def queue(self, stream_id: str) -> asyncio.Queue[str]:
        return self._queues[stream_id]

    def close(self, stream_id: str) -> None:
        self._queues.pop(stream_id, None)

    def __contains__(self, stream_id: str) -> bool:
        return stream_id in self._queues


def parse_chunk(body: Any) -> tuple[str, str]:
    """`{"stream": id, "text": chunk}` from the action server, checked."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    stream_id, text = body.get("stream"), body.get("text")
    if not isinstance(stream_id, str) or not stream_id:
        raise ValueError("'stream' must name a stream")
    if not isinstance(text, str) or not text or len(text) > MAX_CHUNK_CHARS:
        raise ValueError(f"'text' must be 1-{MAX_CHUNK_CHARS} characters")
    return stream_id, text


def sse(event: str, data: Any) -> str:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@lru_cache(maxsize=1)
def stream_callback_url() -> str:
    """Where the action server posts a stream's chunks: the HTTP channel's route,
    which feeds the shared relay for every channel of this process."""
    return f"{load_settings().rasa_url}/webhooks/erp/stream/tokens"


@lru_cache(maxsize=1)
def shared_relay() -> TokenRelay:
    """One relay per Rasa server process: every channel's streams, one callback route."""
    return TokenRelay()


async def relay_while(
    relay: TokenRelay,
    stream_id: str,
    handling: Awaitable[Any],
    send: Callable[[str], Awaitable[Any]],
) -> None:
    """Hand on each chunk posted for this stream until Rasa has handled the message.

    The action server posts every chunk before its action returns, so the
    chunks left in the queue when handling ends are the last ones.
    """
    queue = relay.queue(stream_id)
    task = asyncio.ensure_future(handling)
    while not task.done():
        getter = asyncio.ensure_future(queue.get())
        done, _ = await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            await send(getter.result())
        else:
            getter.cancel()  # an item it was woken for stays in the queue
    while not queue.empty():
        await send(queue.get_nowait())
    task.result()
