"""The real speech engines: word error rate bounds and a round trip to reply audio.

Bounds sit a little above what tests/voice/evaluate.py measured (README,
Voice section), so a change that makes recognition clearly worse (another
model, lost prompt, broken resampling or normalisation) fails here.
Takes about half a minute: pocketsphinx is not fast on long clips.
"""

import io
import sys
import wave
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from connectors.voice.audio import decode  # noqa: E402
from connectors.voice.spoken import normalise  # noqa: E402
from tests.voice import evaluate  # noqa: E402
from tests.voice.speech import synthesise  # noqa: E402

# measured: faster-whisper 0.034, pocketsphinx 0.19 on the 15 real clips;
# faster-whisper 0.37 on the 11 synthesised commands in two voices
WHISPER_REAL_CLIPS = 0.08
SPHINX_REAL_CLIPS = 0.25
WHISPER_SYNTHESISED_COMMANDS = 0.45


@pytest.fixture(scope="module")
def whisper() -> evaluate.SpeechToText:
    return evaluate.load_engine("faster-whisper")


@pytest.fixture(scope="module")
def clips() -> list[evaluate.Clip]:
    return evaluate.shared_clips()


def test_whisper_on_the_real_recordings(whisper, clips) -> None:
    results = evaluate.transcribe(whisper, clips)
    assert evaluate.clip_wer(results) <= WHISPER_REAL_CLIPS
    # the FLAC (44.1 kHz stereo, 24-bit) and its 16 kHz mono WAV are heard alike
    by_clip = {r["clip"]: r["heard"] for r in results}
    assert evaluate.clip_words(by_clip["jfk.flac"]) == evaluate.clip_words(
        by_clip["jfk_16k_mono.wav"]
    )


def test_pocketsphinx_on_the_real_recordings(clips) -> None:
    sphinx = evaluate.load_engine("pocketsphinx")
    assert evaluate.clip_wer(evaluate.transcribe(sphinx, clips)) <= SPHINX_REAL_CLIPS


def test_whisper_on_synthesised_erp_commands(whisper) -> None:
    commands = evaluate.synthesised_clips("spoken_commands.csv")
    assert evaluate.command_wer(evaluate.transcribe(whisper, commands)) <= (
        WHISPER_SYNTHESISED_COMMANDS
    )


def test_round_trip_from_a_recording_to_reply_audio(whisper) -> None:
    from connectors.voice.engines import Pyttsx3

    heard = whisper.transcribe(decode(synthesise("what's our cash balance"), 30))
    assert normalise(heard).lower().rstrip("?.") == "what's our cash balance"
    speaker = Pyttsx3()
    speaker.load()
    with wave.open(
        io.BytesIO(speaker.synthesise("Cash balance as of today: taka 12500."))
    ) as reply:
        assert reply.getframerate() == 22_050 and reply.getnframes() / 22_050 > 1.5
    # and the reply itself is intelligible
    again = whisper.transcribe(decode(speaker.synthesise("Cash balance as of today."), 30))
    assert "cash balance" in again.lower()
