"""Generated text to the channel that is waiting for it, as it is produced.

A channel that can stream (`connectors/erp_channel.py`, `/stream`) names a
stream and its callback in the message metadata. The knowledge action then
passes a `TokenForwarder` as the LLM's token sink: it runs in the worker
thread that generates, batches tokens for a few milliseconds and posts them,
signed with the shared secret. A client that has gone away costs nothing
more than one refused post: the forwarder then stops trying.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
from rasa_sdk import Tracker

from bot.auth import sign_stream_chunk

log = logging.getLogger(__name__)

BATCH_SECONDS = 0.04


@dataclass(frozen=True)
class StreamTarget:
    stream_id: str
    callback: str


def stream_target(tracker: Tracker) -> StreamTarget | None:
    """The stream the channel opened for the latest message, if any."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    stream = metadata.get("stream")
    if not isinstance(stream, dict):
        return None
    stream_id, callback = stream.get("id"), stream.get("callback")
    if not isinstance(stream_id, str) or not isinstance(callback, str):
        return None
    if not callback.startswith(("http://", "https://")):
        return None
    return StreamTarget(stream_id, callback)


class TokenForwarder:
    """A token sink that posts batches of text to a streaming channel."""

    def __init__(
        self, target: StreamTarget, secret: bytes, batch_seconds: float = BATCH_SECONDS
    ) -> None:
        self.target = target
        self.secret = secret
        self.batch_seconds = batch_seconds
        self.sent_chunks = 0
        self._buffer: list[str] = []
        self._last_post = 0.0
        self._gone = False
        self._client = httpx.Client(timeout=2.0)

    def __call__(self, text: str) -> None:
        self._buffer.append(text)
        if time.monotonic() - self._last_post >= self.batch_seconds:
            self.flush()

    def flush(self) -> None:
        if not self._buffer or self._gone:
            return
        body = json.dumps({"stream": self.target.stream_id, "text": "".join(self._buffer)})
        self._buffer.clear()
        raw = body.encode()
        headers = {
            "Content-Type": "application/json",
            "X-Stream-Signature": sign_stream_chunk(self.secret, raw),
        }
        try:
            reply = self._client.post(self.target.callback, content=raw, headers=headers)
        except httpx.HTTPError as error:
            log.info("stopped streaming an answer: %s", error)
            self._gone = True
            return
        self._last_post = time.monotonic()
        if reply.status_code != 200:
            log.info("stopped streaming an answer: the channel said %s", reply.status_code)
            self._gone = True
            return
        self.sent_chunks += 1

    def __enter__(self) -> TokenForwarder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> Any:
        try:
            self.flush()
        finally:
            self._client.close()
        return None
