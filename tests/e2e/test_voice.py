"""End to end: spoken questions through the voice channel of the real servers.

The questions are synthesised with espeak-ng (tests/voice/speech.py), sent as
WAV and re-encoded as a browser (WebM/Opus) or a phone gateway (OGG/Opus,
MP3) would send them, transcribed by the engines credentials.yml configures
and answered by the real action server; the reply audio is checked to be a
WAV file of the answer's length.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import ROOT
from tests.e2e.chat_client import sign_in
from tests.e2e.harness import DEFAULT_VAR_DIR, RunningStack, running_stack, text_of
from tests.voice.speech import pcm_wav, synthesise, transcode

pytestmark = pytest.mark.e2e

USER = "padma.finance"


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with running_stack(DEFAULT_VAR_DIR) as running:
        yield running


def voice_url(stack: RunningStack) -> str:
    return f"{stack.settings.rasa_url}/webhooks/voice/webhook"


def ask(
    stack: RunningStack,
    audio: bytes | None,
    filename: str = "question.wav",
    sender: str = "voice-e2e",
    token: str | None = None,
) -> httpx.Response:
    files = {"audio": (filename, audio, "application/octet-stream")} if audio is not None else None
    token = stack.token(USER) if token is None else token
    return httpx.post(
        voice_url(stack),
        files=files,
        data={"sender": sender},
        headers={"Authorization": f"Bearer {token}"} if token else {},
        timeout=60,
    )


def seconds(audio: bytes) -> float:
    """The length of a mono 16-bit WAV file."""
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    with wave.open(io.BytesIO(audio)) as reader:
        assert reader.getnchannels() == 1 and reader.getsampwidth() == 2
        return reader.getnframes() / reader.getframerate()


def reply_wav(body: dict[str, Any]) -> bytes:
    return base64.b64decode(body["audio"], validate=True)


def test_a_spoken_cash_question_gets_a_spoken_cash_answer(stack: RunningStack) -> None:
    reply = ask(stack, synthesise("what's our cash balance"), sender="voice-cash")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert "cash balance" in body["transcript"].lower()
    text = text_of(body["messages"])
    assert "Cash balance as of" in text and "BDT" in text
    assert all(m["recipient_id"] == "voice-cash" for m in body["messages"])
    # the answer read aloud: at least a second per ten words of it
    assert seconds(reply_wav(body)) > len(text.split()) / 10


@pytest.mark.parametrize("encoding", ["webm", "ogg", "mp3"])
def test_compressed_recordings_are_understood(stack: RunningStack, encoding: str) -> None:
    spoken = synthesise("what is the status of P O twenty twenty five dash forty two")
    reply = ask(stack, transcode(spoken, encoding), f"question.{encoding}", f"voice-{encoding}")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    # spoken digits reach the NLU as the reference it knows
    assert "PO-2025-0042" in body["message"], body
    assert "PO-2025-0042" in text_of(body["messages"])
    assert seconds(reply_wav(body)) > 1


def test_silence_is_not_sent_to_the_assistant(stack: RunningStack) -> None:
    silence = pcm_wav(b"\0\0" * 32_000, 16_000)
    reply = ask(stack, silence, sender="voice-silence")
    assert reply.status_code == 200
    body = reply.json()
    assert body["transcript"] == "" and "didn't catch that" in text_of(body["messages"])
    assert seconds(reply_wav(body)) > 1


def test_requests_without_a_valid_token_are_refused(stack: RunningStack) -> None:
    audio = synthesise("hello")
    assert ask(stack, audio, token="").status_code == 401
    refused = ask(stack, audio, token="not-a-token")
    assert refused.status_code == 401 and "Invalid token" in refused.json()["error"]


@pytest.mark.parametrize(
    ("request_kwargs", "status", "says"),
    [
        ({"data": {"sender": "x"}}, 400, "multipart"),  # a plain form, no file
        ({"files": {"other": ("a.wav", b"RIFF")}}, 400, "field 'audio'"),
        ({"files": {"audio": ("a.wav", b"")}}, 400, "empty"),
        ({"files": {"audio": ("a.wav", b"this is not audio at all" * 40)}}, 415, "not an audio"),
        ({"json": {"message": "hi"}}, 400, "multipart"),
    ],
)
def test_malformed_requests_get_clear_errors(
    stack: RunningStack, request_kwargs: dict[str, Any], status: int, says: str
) -> None:
    headers = {"Authorization": f"Bearer {stack.token(USER)}"}
    reply = httpx.post(voice_url(stack), headers=headers, timeout=30, **request_kwargs)
    assert reply.status_code == status, reply.text
    assert says in reply.json()["error"]


def test_too_long_recordings_are_refused(stack: RunningStack) -> None:
    reply = ask(stack, pcm_wav(b"\x10\x00" * 8_000 * 40, 8_000))
    assert reply.status_code == 413 and "limit is 30 s" in reply.json()["error"]
    bad_sender = httpx.post(
        voice_url(stack),
        files={"audio": ("a.wav", synthesise("hi"))},
        data={"sender": "no spaces allowed"},
        headers={"Authorization": f"Bearer {stack.token(USER)}"},
    )
    assert bad_sender.status_code == 400


def test_the_voice_client_command(stack: RunningStack, tmp_path: Path) -> None:
    question = tmp_path / "question.wav"
    question.write_bytes(synthesise("what's our cash balance"))
    out = tmp_path / "reply.wav"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ERP_VAR_DIR": str(stack.settings.var_dir),
        "RASA_PORT": str(stack.settings.rasa_port),
    }
    command = [sys.executable, "-m", "bot", "voice", str(question), "--user", USER]
    done = subprocess.run(
        [*command, "--out", str(out), "--json"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert "Cash balance as of" in text_of(body["messages"])
    assert seconds(out.read_bytes()) > 1
    printed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert "You said:" in printed.stdout and "Cash balance as of" in printed.stdout
    unknown = subprocess.run([*command[:-1], "nobody"], env=env, capture_output=True, text=True)
    assert unknown.returncode != 0 and "nobody" in unknown.stderr


def test_a_spoken_reply_can_be_rated_in_the_web_chat(stack: RunningStack) -> None:
    """Voice and typed turns share the web chat's conversation; replies carry the id
    feedback names them by."""
    token = sign_in(stack, USER)
    reply = ask(stack, synthesise("what's our cash balance"), sender="spoken-chat-01", token=token)
    assert reply.status_code == 200, reply.text
    messages = reply.json()["messages"]
    assert messages and all(m.get("id") for m in messages)
    rated = httpx.post(
        f"{stack.settings.rasa_url}/chat/feedback",
        json={"session_id": "spoken-chat-01", "message_id": messages[0]["id"], "rating": "up"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert rated.status_code == 200, rated.text
