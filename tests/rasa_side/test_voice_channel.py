"""The voice channel on the Rasa server's side, without servers or speech models.

Audio validation (formats, empty, silent, garbage, too long), the spoken-form
normalisation, engine selection from credentials, and the channel's answers
with stand-in engines. tests/rasa_side/test_voice_accuracy.py runs the real
engines; tests/e2e/test_voice.py goes over HTTP to the real servers.
"""

import asyncio
import base64
import io
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.auth import Identity  # noqa: E402
from connectors.identity import Authenticator  # noqa: E402
from connectors.voice import VoiceInput, engines  # noqa: E402
from connectors.voice.audio import SAMPLE_RATE, AudioRejected, decode, wav_bytes  # noqa: E402
from connectors.voice.channel import NOT_CAUGHT, spoken_text  # noqa: E402
from connectors.voice.spoken import normalise, speakable  # noqa: E402
from tests.voice.speech import _encode  # noqa: E402


def tone(seconds: float, rate: int = SAMPLE_RATE, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def stereo_wav(seconds: float, rate: int = 44_100) -> bytes:
    mono = (tone(seconds, rate) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(np.repeat(mono, 2).tobytes())
    return out.getvalue()


# --- audio -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("ogg", "OGG"), ("webm", "WebM"), ("mp3", "MP3"), ("flac", "FLAC"), ("m4a", "MP4/M4A")],
)
def test_compressed_formats_decode_to_16_khz_mono(encoding: str, label: str) -> None:
    audio = decode(_encode(wav_bytes(tone(1.5)), encoding), max_seconds=30)
    assert audio.source_format == label
    assert abs(audio.seconds - 1.5) < 0.1  # codec padding is a few ms
    assert audio.has_speech()


def test_stereo_44k_wav_is_resampled_and_mixed_down() -> None:
    audio = decode(stereo_wav(2.0), max_seconds=30)
    assert audio.source_format == "WAV" and audio.samples.dtype == np.float32
    assert abs(len(audio.samples) - 2 * SAMPLE_RATE) < 200
    # a 0.3 sine is -13.5 dBFS; FFmpeg's downmix adds both channels at -3 dB
    assert -11 < audio.loudest_dbfs() < -10


def test_silence_and_very_short_audio_have_no_speech() -> None:
    assert not decode(wav_bytes(np.zeros(SAMPLE_RATE * 2)), 30).has_speech()
    assert not decode(wav_bytes(tone(2, level=0.001)), 30).has_speech()  # -63 dBFS hum
    assert not decode(wav_bytes(tone(0.1)), 30).has_speech()
    assert not decode(wav_bytes(np.zeros(0)), 30).has_speech()  # a header and nothing else


@pytest.mark.parametrize(
    ("data", "status", "says"),
    [
        (b"", 400, "empty"),
        (b"hello, this is a text file and not a recording\n" * 20, 415, "not an audio file"),
        (bytes(range(256)) * 40, 415, "not an audio file"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 400, 415, ""),
    ],
)
def test_garbage_is_refused_clearly(data: bytes, status: int, says: str) -> None:
    with pytest.raises(AudioRejected) as refused:
        decode(data, 30)
    assert refused.value.status == status and says in str(refused.value)


def test_containers_that_are_not_accepted_are_named() -> None:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="au") as sink:  # Sun audio: decodable, but not accepted
        stream = sink.add_stream("pcm_s16be", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), dtype="<i2"), format="s16")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            sink.mux(packet)
    with pytest.raises(AudioRejected, match="Unsupported audio format 'au'") as refused:
        decode(out.getvalue(), 30)
    assert refused.value.status == 415


def test_too_long_audio_is_refused_before_it_is_all_decoded() -> None:
    with pytest.raises(AudioRejected, match="limit is 30 s") as refused:
        decode(wav_bytes(np.zeros(SAMPLE_RATE * 45)), 30)
    assert refused.value.status == 413
    # a WAV whose header hides its length is still stopped while decoding
    long_ogg = _encode(wav_bytes(tone(12)), "ogg")
    with pytest.raises(AudioRejected, match="limit is 10 s"):
        decode(long_ogg, 10)


def test_a_truncated_upload_keeps_what_arrived() -> None:
    whole = _encode(wav_bytes(tone(3)), "mp3")
    audio = decode(whole[: len(whole) // 2], 30)
    assert 1.0 < audio.seconds < 2.0


# --- spoken forms ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heard", "written"),
    [
        # document references, spoken (pocketsphinx) and as Whisper writes them
        (
            "what is the status of P O twenty twenty five dash forty two",
            "what is the status of PO-2025-0042",
        ),
        ("What's the status of P.O. 2025-42?", "What's the status of PO-2025-0042?"),
        ("status of po twenty twenty five oh oh four two", "status of PO-2025-0042"),
        ("status of PO 2025 42", "status of PO-2025-0042"),
        ("Status of PO-2025-0042.", "Status of PO-2025-0042."),
        (
            "approve purchase order twenty twenty five dash forty two",
            "approve purchase order PO-2025-0042",
        ),
        ("post invoice twenty twenty five dash four five six", "post invoice INV-2025-00456"),
        ("post I N V twenty twenty five four hundred fifty six", "post INV-2025-00456"),
        (
            "status of sales order twenty twenty-five dash one two three",
            "status of sales order SO-2025-00123",
        ),
        ("receipt R C P T twenty twenty five dash two three four", "receipt RCPT-2025-00234"),
        ("every P O worth more than seven lakh taka", "every PO worth more than 7 lakh taka"),
        # amounts: the NLU's patterns want 12,500 and "2 lakh"
        (
            "show purchase orders over twelve thousand five hundred",
            "show purchase orders over 12,500",
        ),
        ("POs over 12500 from Karim Steel", "POs over 12,500 from Karim Steel"),
        (
            "received fifty thousand taka from Meghna Textiles",
            "received 50,000 taka from Meghna Textiles",
        ),
        ("we paid Bengal Cotton two lakh", "we paid Bengal Cotton 2 lakh"),
        ("two lakh fifty thousand taka", "250,000 taka"),
        ("over two point five million", "over 2.5 million"),
        ("over fifty k", "over 50k"),
        # quantities keep the training data's form: "120 units", "two dozen"
        ("one hundred and twenty units of cotton yarn", "120 units of cotton yarn"),
        ("five units of A4 paper", "5 units of A4 paper"),
        ("make it two dozen", "make it two dozen"),
        # years and quarters
        ("sales in twenty twenty four", "sales in 2024"),
        ("sales in two thousand twenty four", "sales in 2024"),
        ("q three sales", "Q3 sales"),
        # words that are numbers only by accident stay words
        (
            "is Lucky Seven Garments one of our customers",
            "is Lucky Seven Garments one of our customers",
        ),
        ("how does three way matching work", "how does three way matching work"),
        ("the one for SO-2025-00242", "the one for SO-2025-00242"),
        ("so what is our cash balance", "so what is our cash balance"),
        ("one two three", "one two three"),
        ("next two weeks", "next two weeks"),
        ("", ""),
    ],
)
def test_spoken_forms_become_what_the_nlu_knows(heard: str, written: str) -> None:
    assert normalise(heard) == written


def test_the_normalised_forms_are_what_the_entity_patterns_find() -> None:
    from nlu_models.erp_rules import find_regex_entities

    found = find_regex_entities(
        normalise(
            "received twelve thousand five hundred taka for P O twenty twenty five dash forty two"
        )
    )
    assert {(m.label, m.value) for m in found} >= {
        ("amount", "12,500 taka"),
        ("document_ref", "PO-2025-0042"),
    }


def test_replies_are_made_speakable() -> None:
    reply = (
        "**Cash balance** as of 1 Dec 2026: BDT 12,34,567.00\n"
        "- Dhaka Bank: BDT 1,00,000.00\n"
        "- PO-2025-0042 pending"
    )
    assert speakable(reply) == (
        "Cash balance as of 1 Dec 2026: taka 1234567. Dhaka Bank: taka 100000. "
        "P O 2025 dash 42 pending."
    )
    long = "This sentence is quite long. " * 50
    spoken = speakable(long, max_chars=100)
    assert len(spoken) < 160 and spoken.endswith("The full answer is in the text reply.")
    buttons = [
        {"text": "Approve PO-2026-0468?", "buttons": [{"title": "Confirm"}, {"title": "Cancel"}]}
    ]
    assert spoken_text(buttons) == "Approve PO-2026-0468?\nYou can say: Confirm, or Cancel."


# --- engine selection ------------------------------------------------------------


def test_engines_are_chosen_by_name_with_a_fallback() -> None:
    chosen = engines.speech_to_text(
        {"engine": "faster-whisper", "beam_size": 2, "fallback": "pocketsphinx"}
    )
    assert [e.name for e in chosen] == ["faster-whisper", "pocketsphinx"]
    assert chosen[0].beam_size == 2
    assert engines.text_to_speech({"engine": "pyttsx3", "rate": 150}).rate == 150


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"engine": "vosk"}, "unknown engine 'vosk'; choose one of faster-whisper, pocketsphinx"),
        ({}, "unknown engine None"),
        ({"engine": "faster-whisper", "beams": 3}, "unexpected keyword argument 'beams'"),
        ({"engine": "faster-whisper", "beam_size": "many"}, "invalid literal"),
        ({"engine": "pocketsphinx", "fallback": "google"}, "fallback: unknown engine 'google'"),
    ],
)
def test_engine_settings_errors_say_what_is_wrong(settings: dict, says: str) -> None:
    with pytest.raises(engines.EngineConfigError, match=says.replace("(", r"\(")):
        engines.speech_to_text(settings)


def test_the_channel_refuses_unknown_settings_and_engines_at_start_up() -> None:
    with pytest.raises(engines.EngineConfigError, match="unknown settings max_minutes"):
        VoiceInput({"max_minutes": 3})
    with pytest.raises(
        engines.EngineConfigError, match="text_to_speech: unknown engine 'festival'"
    ):
        VoiceInput({"text_to_speech": {"engine": "festival"}})


def test_a_missing_whisper_model_is_never_downloaded(tmp_path: Path) -> None:
    engine = engines.FasterWhisper(model=str(tmp_path / "tiny.en"))
    with pytest.raises(engines.EngineUnavailable, match="no Whisper model"):
        engine.load()


def test_the_first_engine_that_loads_is_used() -> None:
    class Broken:
        name = "broken"

        def load(self) -> None:
            raise engines.EngineUnavailable("no model here")

    class Fine:
        name = "fine"

        def load(self) -> None:
            pass

    worker, skipped = engines.load_first([engines.Worker(Broken()), engines.Worker(Fine())])
    assert worker.engine.name == "fine" and worker.loaded
    assert skipped == ["broken: no model here"]
    with pytest.raises(engines.EngineUnavailable, match="broken: no model here"):
        engines.load_first([engines.Worker(Broken())])


# --- the channel, with stand-in engines ----------------------------------------------


class FakeSpeech:
    name = "fake-stt"

    def __init__(self, heard: str) -> None:
        self.heard = heard
        self.calls = 0

    def load(self) -> None:
        pass

    def transcribe(self, audio: object) -> str:
        self.calls += 1
        return self.heard


class FakeVoice:
    name = "fake-tts"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.said: list[str] = []

    def load(self) -> None:
        pass

    def synthesise(self, text: str) -> bytes:
        if self.fail:
            raise RuntimeError("espeak died")
        self.said.append(text)
        return wav_bytes(tone(0.5), 22_050)


def channel(heard: str = "", tts_fails: bool = False) -> VoiceInput:
    voice = VoiceInput(authenticator=Authenticator(secret=b"s"))
    voice.stt_workers = [engines.Worker(FakeSpeech(heard))]
    voice.tts_workers = [engines.Worker(FakeVoice(tts_fails))]
    return voice


IDENTITY = Identity("padma.finance", "padma", ("finance_manager",))


def respond(voice: VoiceInput, upload: bytes | None, replies: list[dict] | None = None):
    received = []

    async def on_new_message(message) -> None:
        received.append(message)
        for reply in replies or [{"text": "Cash balance as of today: BDT 12,500.00."}]:
            if "buttons" in reply:
                await message.output_channel.send_text_with_buttons(
                    message.sender_id, reply["text"], reply["buttons"]
                )
            else:
                await message.output_channel.send_text_message(message.sender_id, reply["text"])

    reply = asyncio.run(voice.respond(IDENTITY, upload, "kiosk-1", on_new_message))
    return reply, received


def test_a_question_reaches_the_assistant_normalised_with_the_verified_identity() -> None:
    voice = channel("What's the status of P.O. 2025-42?")
    reply, received = respond(voice, wav_bytes(tone(1)))
    assert reply.status == 200
    (message,) = received
    assert message.text == "What's the status of PO-2025-0042?"
    assert message.sender_id == "padma.finance:kiosk-1" and message.input_channel == "voice"
    assert message.metadata["identity"] == IDENTITY.as_metadata()
    assert reply.body["transcript"] == "What's the status of P.O. 2025-42?"
    assert reply.body["message"] == "What's the status of PO-2025-0042?"
    assert reply.body["messages"] == [
        {"recipient_id": "kiosk-1", "text": "Cash balance as of today: BDT 12,500.00."}
    ]
    audio = base64.b64decode(reply.body["audio"])
    with wave.open(io.BytesIO(audio)) as reader:
        assert reader.getframerate() == 22_050
    assert voice.tts.engine.said == ["Cash balance as of today: taka 12500."]


def test_silence_is_answered_without_transcribing_or_asking_the_assistant() -> None:
    voice = channel("you")  # what Whisper tends to hallucinate on silence
    reply, received = respond(voice, wav_bytes(np.zeros(SAMPLE_RATE)))
    assert reply.status == 200 and not received
    assert voice.stt.engine.calls == 0
    assert reply.body["transcript"] == "" and reply.body["messages"][0]["text"] == NOT_CAUGHT
    assert reply.body["audio"]


def test_nothing_understood_is_not_sent_either() -> None:
    reply, received = respond(channel("..."), wav_bytes(tone(1)))
    assert not received and reply.body["messages"][0]["text"] == NOT_CAUGHT


@pytest.mark.parametrize(
    ("upload", "status", "says"),
    [
        (None, 400, "multipart field 'audio'"),
        (b"x" * 10_000_001, 413, "larger than 10 MB"),
        (b"not audio" * 100, 415, "not an audio file"),
        (wav_bytes(np.zeros(SAMPLE_RATE * 31)), 413, "limit is 30 s"),
    ],
)
def test_bad_uploads_get_4xx_errors(upload: bytes | None, status: int, says: str) -> None:
    reply, received = respond(channel("hello"), upload)
    assert reply.status == status and says in reply.body["error"] and not received


def test_a_failed_synthesis_still_returns_the_answer() -> None:
    reply, received = respond(channel("what's our cash balance"), wav_bytes(tone(1)), None)
    assert reply.body["audio"]
    voice = channel("what's our cash balance", tts_fails=True)
    reply, received = respond(voice, wav_bytes(tone(1)))
    assert reply.status == 200 and received and reply.body["audio"] is None
    assert reply.body["messages"][0]["text"].startswith("Cash balance")


def test_buttons_are_read_out_as_choices() -> None:
    voice = channel("approve P O twenty twenty six dash four six eight")
    replies = [
        {"text": "Approve PO-2026-0468?", "buttons": [{"title": "Confirm", "payload": "/affirm"}]}
    ]
    _, received = respond(voice, wav_bytes(tone(1)), replies)
    assert received[0].text == "approve PO-2026-0468"
    assert voice.tts.engine.said == ["Approve P O 2026 dash 468? You can say: Confirm."]


def test_no_speech_engine_means_503_not_a_crash() -> None:
    class Broken(FakeSpeech):
        def load(self) -> None:
            raise OSError("libctranslate2.so: cannot open shared object file")

    voice = channel()
    voice.stt_workers = [engines.Worker(Broken(""))]
    reply, _ = respond(voice, wav_bytes(tone(1)))
    assert reply.status == 503 and "libctranslate2" in reply.body["error"]
