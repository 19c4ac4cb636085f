"""`python -m bot voice`: a command-line client of the voice channel, for testing.

`bot voice FILE --user NAME` posts a recording to `POST /webhooks/voice/webhook`
with that demo user's token (from var/demo_tokens.json), prints what was
heard and the assistant's replies, and writes the spoken reply to a WAV file.
`bot voice --live` records questions from a microphone, when there is one.
"""

from __future__ import annotations

import base64
import io
import json
import sys
import threading
import wave
from pathlib import Path
from typing import Any

import httpx

from bot.config import Settings

LIVE_RATE = 16_000
LIVE_MAX_SECONDS = 30  # the channel's default limit


class VoiceClientError(Exception):
    """Something the user can fix; the message says what."""


def token_for(settings: Settings, user: str) -> str:
    path = settings.demo_tokens_path
    if not path.exists():
        raise VoiceClientError(
            f"No {path}: start the assistant with `make run` (or run `python -m bot tokens`)."
        )
    tokens = json.loads(path.read_text())
    if user not in tokens:
        known = ", ".join(sorted(tokens))
        raise VoiceClientError(f"No demo user {user!r} in {path}; choose one of: {known}")
    return tokens[user]["token"]


def ask(url: str, token: str, audio: bytes, filename: str, sender: str) -> dict[str, Any]:
    """Post one recording; the channel's JSON reply, or VoiceClientError with its error."""
    try:
        reply = httpx.post(
            f"{url.rstrip('/')}/webhooks/voice/webhook",
            files={"audio": (filename, audio, "application/octet-stream")},
            data={"sender": sender},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
    except httpx.HTTPError as error:
        raise VoiceClientError(
            f"Could not reach the assistant at {url} ({error}); is `make run` running?"
        ) from error
    try:
        body = reply.json()
    except ValueError:
        body = {"error": reply.text[:200]}
    if reply.status_code != 200:
        raise VoiceClientError(f"The voice channel said {reply.status_code}: {body.get('error')}")
    return body


def save_reply(body: dict[str, Any], out: Path) -> float | None:
    """Write the reply audio to `out`; its length in seconds (None when there was none)."""
    if not body.get("audio"):
        return None
    audio = base64.b64decode(body["audio"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(audio)
    with wave.open(io.BytesIO(audio)) as reader:
        return reader.getnframes() / reader.getframerate()


def describe(body: dict[str, Any], out: Path, seconds: float | None) -> str:
    lines = [f"You said:    {body.get('transcript') or '(nothing heard)'}"]
    if body.get("message") and body["message"] != body.get("transcript"):
        lines.append(f"Understood:  {body['message']}")
    for message in body.get("messages", []):
        if message.get("text"):
            text = message["text"].replace("\n", "\n             ")
            lines.append(f"Assistant:   {text}")
        for button in message.get("buttons") or []:
            lines.append(f"  [button]   {button.get('title')}")
        for payload in (message.get("custom") or {}).get("payloads", []):
            lines.append(f"  [{payload.get('type', 'payload')}]")
    if seconds is None:
        lines.append("Reply audio: none (speech synthesis unavailable)")
    else:
        lines.append(f"Reply audio: {out} ({seconds:.1f} s)")
    return "\n".join(lines)


def run_file(
    settings: Settings, path: Path, user: str, out: Path, sender: str, url: str, as_json: bool
) -> None:
    if not path.is_file():
        raise VoiceClientError(f"No such audio file: {path}")
    body = ask(url, token_for(settings, user), path.read_bytes(), path.name, sender)
    seconds = save_reply(body, out)
    print(json.dumps(body, indent=2) if as_json else describe(body, out, seconds))


# --- live: a microphone, if there is one ----------------------------------------


def find_microphone() -> Any:
    """The sounddevice module with a default input device, or VoiceClientError saying why not."""
    try:
        import sounddevice
    except (ImportError, OSError) as error:  # OSError: PortAudio (libportaudio2) missing
        raise VoiceClientError(
            f"No microphone support here ({error}); install libportaudio2 (make setup)."
        ) from error
    try:
        device = sounddevice.query_devices(kind="input")
    except sounddevice.PortAudioError:
        device = None
    if not device or device.get("max_input_channels", 0) < 1:
        raise VoiceClientError(
            "No microphone found: this machine has no audio input device. "
            "Record a file elsewhere and run `python -m bot voice FILE`."
        )
    return sounddevice


def record(sounddevice: Any) -> bytes:
    """Record from Enter to Enter (at most LIVE_MAX_SECONDS); a WAV file."""
    chunks: list[bytes] = []
    stop = threading.Event()

    def collect(data: Any, _frames: int, _time: Any, _status: Any) -> None:
        if sum(len(c) for c in chunks) < LIVE_RATE * 2 * LIVE_MAX_SECONDS:
            chunks.append(bytes(data))
        else:
            stop.set()

    with sounddevice.RawInputStream(
        samplerate=LIVE_RATE, channels=1, dtype="int16", callback=collect
    ):
        waiter = threading.Thread(target=lambda: (input(), stop.set()), daemon=True)
        waiter.start()
        stop.wait()
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(LIVE_RATE)
        writer.writeframes(b"".join(chunks))
    return out.getvalue()


def run_live(settings: Settings, user: str, out: Path, sender: str, url: str) -> None:
    sounddevice = find_microphone()
    token = token_for(settings, user)
    print("Press Enter, ask your question, press Enter again. Ctrl-C to stop.")
    try:
        while True:
            input("[Enter to speak] ")
            print("Listening... (Enter to stop)")
            audio = record(sounddevice)
            body = ask(url, token, audio, "live.wav", sender)
            print(describe(body, out, save_reply(body, out)))
    except (KeyboardInterrupt, EOFError):
        print()


def main(settings: Settings, args: Any) -> None:
    url = args.url or settings.rasa_url
    try:
        if args.live:
            run_live(settings, args.user, args.out, args.sender, url)
        elif args.file is None:
            raise VoiceClientError("Give an audio file, or --live to use a microphone.")
        else:
            run_file(settings, args.file, args.user, args.out, args.sender, url, args.json)
    except VoiceClientError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
