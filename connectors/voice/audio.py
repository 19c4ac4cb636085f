"""Uploaded audio, decoded and checked: 16 kHz mono float samples or a clear refusal.

PyAV (FFmpeg's decoders, bundled in its wheel) reads the container from the
bytes themselves, never from a file name or the client's content type, which
browsers and telephony gateways get wrong often enough. Decoding stops as
soon as the audio runs past the length limit, so a small file that expands
into hours of samples costs no more than the limit.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000  # what both speech engines are trained on
# FFmpeg's names for the containers accepted, and how to call them in a message.
# MP4/M4A is what Safari's MediaRecorder produces.
FORMATS = {
    "wav": "WAV",
    "matroska,webm": "WebM",
    "ogg": "OGG",
    "mp3": "MP3",
    "flac": "FLAC",
    "mov,mp4,m4a,3gp,3g2,mj2": "MP4/M4A",
}
ACCEPTED = "WAV, WebM/Opus, OGG (Opus or Vorbis), MP3, FLAC or M4A"
# Below this much sound there is nothing to transcribe ("I didn't catch that").
MIN_SPEECH_SECONDS = 0.2
# The loudest 30 ms window of real speech, even quiet speech, is far above
# -50 dBFS; room noise and digital silence are below it.
SILENCE_DBFS = -50.0
_WINDOW = SAMPLE_RATE * 30 // 1000


class AudioRejected(Exception):
    """The upload is not audio we accept; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32 in [-1, 1], mono, SAMPLE_RATE
    source_format: str

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    def loudest_dbfs(self) -> float:
        """The RMS level of the loudest 30 ms window, in dB below full scale."""
        if len(self.samples) < _WINDOW:
            return -120.0
        usable = self.samples[: len(self.samples) // _WINDOW * _WINDOW].astype(np.float64)
        rms = np.sqrt(np.mean(usable.reshape(-1, _WINDOW) ** 2, axis=1)).max()
        return float(20 * np.log10(max(rms, 1e-6)))

    def has_speech(self) -> bool:
        """False for empty, too short or silent audio: not worth a transcription."""
        return self.seconds >= MIN_SPEECH_SECONDS and self.loudest_dbfs() > SILENCE_DBFS

    def pcm16(self) -> bytes:
        """Little-endian 16-bit PCM, as pocketsphinx and WAV files want it."""
        return (np.clip(self.samples, -1, 1) * 32767).astype("<i2").tobytes()


def decode(data: bytes, max_seconds: float) -> Audio:
    """Decode any accepted container to 16 kHz mono, or raise AudioRejected."""
    import av  # imported here so that the channel module loads without PyAV

    if not data:
        raise AudioRejected(400, "The 'audio' file is empty.")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.error.FFmpegError, ValueError, OSError) as error:
        raise AudioRejected(415, f"That is not an audio file we can read ({ACCEPTED}).") from error
    with container:
        label = FORMATS.get(container.format.name)
        if label is None or not container.streams.audio:
            raise AudioRejected(
                415, f"Unsupported audio format '{container.format.name}': send {ACCEPTED}."
            )
        if container.duration and container.duration / 1_000_000 > max_seconds + 0.5:
            raise too_long(container.duration / 1_000_000, max_seconds)
        samples = _resampled(container, max_seconds)
    return Audio(samples, label)


def _resampled(container: object, max_seconds: float) -> np.ndarray:
    import av

    stream = container.streams.audio[0]  # type: ignore[attr-defined]
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    limit = int((max_seconds + 0.5) * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        for frame in container.decode(stream):  # type: ignore[attr-defined]
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1)
                chunks.append(chunk)
                total += len(chunk)
            if total > limit:
                raise too_long(total / SAMPLE_RATE, max_seconds, at_least=True)
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    except av.error.FFmpegError as error:
        if not chunks:
            raise AudioRejected(415, f"The audio could not be decoded ({ACCEPTED}).") from error
        # a truncated upload (a recording cut short) still has its first part
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    if len(samples) > limit:
        raise too_long(len(samples) / SAMPLE_RATE, max_seconds)
    return samples.astype(np.float32, copy=False)


def too_long(seconds: float, max_seconds: float, at_least: bool = False) -> AudioRejected:
    length = f"{'over ' if at_least else ''}{seconds:.1f} s"
    return AudioRejected(
        413, f"The audio is {length} long; the limit is {max_seconds:g} s. Ask one question."
    )


def wav_bytes(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """A mono 16-bit WAV file of float samples (for tests and silent replies)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()
