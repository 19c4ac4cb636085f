"""The action server's side of streamed answers, against a local HTTP listener."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from actions.handlers.streaming import StreamTarget, TokenForwarder
from bot.auth import verify_stream_chunk

SECRET = b"forwarder-test"


class Listener(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if verify_stream_chunk(SECRET, body, self.headers.get("X-Stream-Signature", "")):
            Listener.received.append(json.loads(body))
        self.send_response(Listener.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def callback() -> Iterator[str]:
    Listener.received, Listener.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tokens"
    server.shutdown()


def test_tokens_arrive_signed_batched_and_complete(callback: str) -> None:
    target = StreamTarget("s1", callback)
    with TokenForwarder(target, SECRET, batch_seconds=60) as forward:
        for token in ["The", " hotel", " limit", " is", " BDT 12,000."]:
            forward(token)
    # the first token goes out at once, the rest wait for the batch or the end
    assert [c["text"] for c in Listener.received] == ["The", " hotel limit is BDT 12,000."]
    assert {c["stream"] for c in Listener.received} == {"s1"}


def test_a_client_that_left_stops_the_posting(callback: str) -> None:
    Listener.status = 404
    with TokenForwarder(StreamTarget("gone", callback), SECRET, batch_seconds=0) as forward:
        for token in ["a", "b", "c"]:
            forward(token)
        assert forward.sent_chunks == 0
    assert len(Listener.received) == 1  # one refused post, then nothing more
