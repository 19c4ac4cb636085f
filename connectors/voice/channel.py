"""Voice channel: an audio question in, the transcript, the bot's messages and reply audio out.

`POST /webhooks/voice/webhook`, `Authorization: Bearer <token>` as on the
HTTP channel, multipart/form-data with the recording in the field `audio`
(WAV, WebM/Opus, OGG, MP3; FLAC and M4A too) and optionally `sender`.
The reply is `{"transcript", "message", "messages", "audio"}`: what the
speech engine heard, the text given to the assistant after spoken numbers
and references were normalised, the bot's messages in the REST channel's
shape, and the spoken reply as a base64 WAV (null if speech synthesis failed).

Silent, empty or unintelligible audio gets "I didn't catch that" (spoken
too) without reaching the assistant; malformed requests get 4xx JSON.
Identity, conversation ids and metadata work as on the HTTP channel.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.auth import Identity
from connectors.erp_channel import (
    SENDER_PATTERN,
    AuthenticatedRestInput,
    RequestError,
    conversation_id,
)
from connectors.identity import Authenticator
from connectors.metrics import MESSAGE_SECONDS, REQUESTS, VOICE_SECONDS
from connectors.unreachable import answering
from connectors.voice import engines
from connectors.voice.audio import Audio, AudioRejected, decode
from connectors.voice.spoken import normalise, speakable
from connectors.webchat.messages import IdentifiedCollector

log = logging.getLogger(__name__)

NOT_CAUGHT = "Sorry, I didn't catch that. Could you say it again?"
DEFAULTS: dict[str, Any] = {
    "speech_to_text": {"engine": "faster-whisper", "fallback": "pocketsphinx"},
    "text_to_speech": {"engine": "pyttsx3"},
    "max_seconds": 30,  # one question, not a dictation
    "max_bytes": 10_000_000,
    "max_spoken_chars": 600,
}


@dataclass
class VoiceReply:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


class VoiceInput(AuthenticatedRestInput):
    @classmethod
    def name(cls) -> str:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(credentials or {})

    def __init__(
        self, settings: dict[str, Any] | None = None, authenticator: Authenticator | None = None
    ) -> None:
        super().__init__(authenticator=authenticator)
        settings = {**DEFAULTS, **(settings or {})}
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise engines.EngineConfigError(f"voice: unknown settings {', '.join(sorted(unknown))}")
        # Unknown engine names fail here, when Rasa starts, not at the first request.
        self.stt_workers = [
            engines.Worker(e) for e in engines.speech_to_text(settings["speech_to_text"])
        ]
        self.tts_workers = [engines.Worker(engines.text_to_speech(settings["text_to_speech"]))]
        self.max_seconds = float(settings["max_seconds"])
        self.max_bytes = int(settings["max_bytes"])
        self.max_spoken_chars = int(settings["max_spoken_chars"])
        self._loading: asyncio.Future | None = None
        self.stt: engines.Worker | None = None
        self.tts: engines.Worker | None = None
        self.unavailable: dict[str, str] = {}

    # --- engines: loaded once, off the event loop --------------------------------

    def _load_all(self) -> None:
        for kind, workers in (
            ("speech_to_text", self.stt_workers),
            ("text_to_speech", self.tts_workers),
        ):
            started = time.perf_counter()
            try:
                worker, skipped = engines.load_first(workers)
            except engines.EngineUnavailable as error:
                self.unavailable[kind] = str(error)
                log.error("voice channel: no %s engine could load: %s", kind, error)
                continue
            for problem in skipped:
                log.warning("voice channel: %s fell back (%s)", kind, problem)
            setattr(self, "stt" if kind == "speech_to_text" else "tts", worker)
            log.info(
                "voice channel: %s engine %s loaded in %.2f s",
                kind,
                worker.engine.name,
                time.perf_counter() - started,
            )

    def start_loading(self) -> asyncio.Future:
        """Load the engines in a thread, once; every request awaits the same load."""
        if self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.to_thread(self._load_all))
        return self._loading

    # --- one request ---------------------------------------------------------------

    async def respond(
        self,
        identity: Identity,
        upload: bytes | None,
        sender: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> VoiceReply:
        """Everything after authentication and form parsing; no Sanic in here."""
        if upload is None:
            return VoiceReply(400, {"error": "Send the recording as multipart field 'audio'."})
        if len(upload) > self.max_bytes:
            limit = self.max_bytes / 1_000_000
            return VoiceReply(413, {"error": f"The audio file is larger than {limit:g} MB."})
        await self.start_loading()
        if self.stt is None:
            reason = self.unavailable.get("speech_to_text", "not loaded")
            return VoiceReply(503, {"error": f"Speech recognition is not available: {reason}."})
        try:
            audio = await self._timed("decode", asyncio.to_thread(decode, upload, self.max_seconds))
        except AudioRejected as error:
            return VoiceReply(error.status, {"error": str(error)})
        transcript = await self._transcribe(audio)
        message = normalise(transcript)
        if not re.search(r"\w", message):
            replies = [{"recipient_id": sender, "text": NOT_CAUGHT}]
        else:
            collector = IdentifiedCollector()
            await on_new_message(
                UserMessage(
                    message,
                    collector,
                    conversation_id(identity, sender),
                    input_channel=self.name(),
                    metadata={"identity": identity.as_metadata(), "voice": {"heard": transcript}},
                )
            )
            replies = [{**m, "recipient_id": sender} for m in collector.messages]
        body = {
            "transcript": transcript,
            "message": message,
            "messages": replies,
            "audio": await self._speak(replies),
        }
        return VoiceReply(200, body)

    async def _transcribe(self, audio: Audio) -> str:
        if not audio.has_speech():
            return ""
        assert self.stt is not None
        return await self._timed("speech_to_text", self.stt.run(self.stt.engine.transcribe, audio))

    async def _speak(self, replies: list[dict[str, Any]]) -> str | None:
        """The replies read aloud as a base64 WAV; None if there is nothing to say or no engine."""
        text = speakable(spoken_text(replies), self.max_spoken_chars)
        if not text or self.tts is None:
            return None
        try:
            wav = await self._timed(
                "text_to_speech", self.tts.run(self.tts.engine.synthesise, text)
            )
        except Exception:
            # the assistant has answered (and may have started a write): send the text anyway
            log.exception("voice channel: speech synthesis failed")
            return None
        return base64.b64encode(wav).decode("ascii")

    @staticmethod
    async def _timed(stage: str, work: Awaitable[Any]) -> Any:
        started = time.perf_counter()
        try:
            return await work
        finally:
            VOICE_SECONDS.labels(stage).observe(time.perf_counter() - started)

    # --- HTTP ------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = answering(on_new_message)
        voice = Blueprint("voice_webhook", __name__)

        @voice.listener("after_server_start")
        async def load_engines(_app: Any, _loop: Any) -> None:
            self.start_loading()  # in the background: the server answers meanwhile

        @voice.get("/")
        async def health(_: Request) -> HTTPResponse:
            loaded = self._loading is not None and self._loading.done()
            return response.json(
                {
                    "status": "ok",
                    "speech_to_text": self.stt.engine.name if self.stt else None,
                    "text_to_speech": self.tts.engine.name if self.tts else None,
                    "loaded": loaded,
                    "unavailable": self.unavailable,
                }
            )

        @voice.post("/webhook")
        async def receive(request: Request) -> HTTPResponse:
            started = time.perf_counter()
            try:
                identity = await self.authenticate(request)
                upload, sender = self.parse_form(request)
                reply = await self.respond(identity, upload, sender, on_new_message)
            except RequestError as error:
                reply = VoiceReply(error.status, {"error": str(error)})
            except Exception:
                log.exception("voice channel: handling a recording failed")
                reply = VoiceReply(500, {"error": "The recording could not be handled."})
            REQUESTS.labels(self.name(), str(reply.status)).inc()
            if reply.status == 200:
                MESSAGE_SECONDS.labels(self.name()).observe(time.perf_counter() - started)
            return response.json(reply.body, status=reply.status)

        return voice

    @staticmethod
    def parse_form(request: Request) -> tuple[bytes | None, str]:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise RequestError(
                400, "Send multipart/form-data with the recording in the field 'audio'."
            )
        files = request.files or {}
        form = request.form or {}
        if "audio" not in files and "audio" in form:
            raise RequestError(400, "'audio' must be a file upload, not a text field.")
        upload = files.get("audio")
        sender = form.get("sender") or "default"
        if not SENDER_PATTERN.match(sender):
            raise RequestError(400, "'sender' must be 1-100 letters, digits or _.:@- characters.")
        return (upload.body if upload is not None else None), sender


def spoken_text(replies: list[dict[str, Any]]) -> str:
    """What to read aloud: every text message, then the choices its buttons offer."""
    parts: list[str] = []
    for reply in replies:
        if reply.get("text"):
            parts.append(str(reply["text"]))
        titles = [b.get("title") for b in reply.get("buttons") or [] if b.get("title")]
        if titles:
            parts.append("You can say: " + ", or ".join(titles) + ".")
    return "\n".join(parts)
