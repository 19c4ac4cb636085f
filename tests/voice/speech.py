"""Test speech: questions synthesised with espeak-ng, re-encoded as a browser or phone would.

Standard library only, so that the end-to-end tests and the benchmark
(actions environment) can use it; re-encoding needs PyAV, which lives in the
Rasa environment, so there it runs this module as a script.
`make setup` installs espeak-ng (scripts/system-packages.sh).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venvs" / "rasa" / "bin" / "python"
# Voices and speed for synthesised questions: two accents, at a speaking pace.
VOICES = ("en-us", "en-gb")
RATE = 150
# container, codec and sample rate of each re-encoding
ENCODINGS = {
    "ogg": ("ogg", "libopus", 48_000),
    "webm": ("webm", "libopus", 48_000),
    "mp3": ("mp3", "libmp3lame", 44_100),
    "flac": ("flac", "flac", 16_000),
    "m4a": ("mp4", "aac", 44_100),  # what Safari's MediaRecorder makes
}


def synthesise(text: str, voice: str = VOICES[0], rate: int = RATE) -> bytes:
    """A WAV file (22,050 Hz mono) of espeak-ng saying `text`."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed: run `make setup`")
    return subprocess.run(
        [espeak, "-v", voice, "-s", str(rate), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout


def pcm_wav(frames: bytes, rate: int) -> bytes:
    """16-bit mono PCM frames as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return out.getvalue()


def wav_seconds(data: bytes) -> float:
    """Length of a PCM WAV; from its size, since espeak-ng's --stdout header has none."""
    with wave.open(io.BytesIO(data)) as reader:
        frame_bytes = reader.getnchannels() * reader.getsampwidth()
        return (len(data) - 44) / frame_bytes / reader.getframerate()


def transcode(wav: bytes, encoding: str) -> bytes:
    """The WAV re-encoded (ogg and webm: Opus; mp3; flac; m4a: AAC)."""
    try:
        import av  # noqa: F401
    except ImportError:
        return subprocess.run(
            [str(RASA_PYTHON), "-m", "tests.voice.speech", encoding],
            input=wav,
            check=True,
            capture_output=True,
            cwd=ROOT,
        ).stdout
    return _encode(wav, encoding)


def _encode(wav: bytes, encoding: str) -> bytes:
    import av

    container_format, codec, rate = ENCODINGS[encoding]
    out = io.BytesIO()
    with av.open(io.BytesIO(wav)) as source, av.open(out, "w", format=container_format) as sink:
        stream = sink.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(
            format=stream.codec_context.codec.audio_formats[0].name, layout="mono", rate=rate
        )
        for frame in source.decode(audio=0):
            for resampled in resampler.resample(frame):
                sink.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            sink.mux(stream.encode(resampled))
        sink.mux(stream.encode(None))
    return out.getvalue()


if __name__ == "__main__":
    sys.stdout.buffer.write(_encode(sys.stdin.buffer.read(), sys.argv[1]))
