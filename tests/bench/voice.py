"""Voice: from a 3-second spoken question to the first byte of the reply audio.

The question is synthesised with espeak-ng and padded to exactly 3 s, then
posted to the voice channel as a client would. The reply is one JSON body
with the audio in it, produced only once the audio is synthesised, so the
first byte of the response is the first byte of the reply audio. The
server's stage histograms (`/metrics`) say where the time went.
"""

from __future__ import annotations

import io
import json
import re
import time
import wave
from typing import Any

import httpx

from tests.bench.common import RUN, percentile
from tests.e2e.harness import RunningStack
from tests.voice.speech import pcm_wav, synthesise

QUESTION = "how much do we owe our suppliers this month"
SECONDS = 3.0
USER = "padma.finance"
TARGET_MS = 1500
STAGES = ("decode", "speech_to_text", "text_to_speech")


def three_second_question() -> bytes:
    """The question as 16-bit mono WAV, cut or padded with silence to SECONDS."""
    with wave.open(io.BytesIO(synthesise(QUESTION))) as reader:
        rate = reader.getframerate()
        frames = reader.readframes(reader.getnframes())
    wanted = int(SECONDS * rate) * 2
    return pcm_wav(frames[:wanted] + b"\0" * max(0, wanted - len(frames)), rate)


def wait_until_loaded(stack: RunningStack, timeout: float = 120) -> dict[str, Any]:
    """The engines load in the background after start-up; measure only once they have."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = httpx.get(f"{stack.settings.rasa_url}/webhooks/voice/", timeout=5).json()
        if status["loaded"]:
            return status
        time.sleep(0.2)
    raise RuntimeError("the voice engines did not load")


def stage_totals(stack: RunningStack) -> dict[str, tuple[float, float]]:
    """(sum of seconds, count) per voice stage, from the Rasa server's /metrics."""
    metrics = httpx.get(f"{stack.settings.rasa_url}/metrics", timeout=10).text
    totals = {}
    for stage in STAGES:
        found = {
            kind: float(value)
            for kind, value in re.findall(
                rf'erp_voice_stage_seconds_(sum|count)\{{stage="{stage}"\}} (\S+)', metrics
            )
        }
        totals[stage] = (found.get("sum", 0.0), found.get("count", 0.0))
    return totals


def one_question(client: httpx.Client, stack: RunningStack, audio: bytes, sender: str) -> dict:
    started = time.perf_counter()
    with client.stream(
        "POST",
        f"{stack.settings.rasa_url}/webhooks/voice/webhook",
        files={"audio": ("question.wav", audio, "audio/wav")},
        data={"sender": sender},
        headers={"Authorization": f"Bearer {stack.token(USER)}"},
    ) as reply:
        chunks = reply.iter_bytes()
        first = next(chunks)
        first_byte = time.perf_counter() - started
        body = first + b"".join(chunks)
    total = time.perf_counter() - started
    ok = reply.status_code == 200 and b'"audio":"UklGR' in body  # base64 of "RIFF"
    heard = json.loads(body).get("transcript") if ok else None
    return {"first_byte_ms": first_byte * 1000, "total_ms": total * 1000, "ok": ok, "heard": heard}


def voice_bench(stack: RunningStack, repeats: int) -> dict[str, Any]:
    engines = wait_until_loaded(stack)
    audio = three_second_question()
    samples = []
    with httpx.Client(timeout=60) as client:
        warmup = one_question(client, stack, audio, f"bench-voice-{RUN}-warmup")
        before = stage_totals(stack)
        for i in range(repeats):
            samples.append(one_question(client, stack, audio, f"bench-voice-{RUN}-{i // 10}"))
    after = stage_totals(stack)
    first = [s["first_byte_ms"] for s in samples]
    stages = {
        stage: round(1000 * (after[stage][0] - before[stage][0]) / n, 1)
        for stage in STAGES
        if (n := after[stage][1] - before[stage][1])
    }
    return {
        "question": QUESTION,
        "question_seconds": SECONDS,
        "heard": warmup["heard"],
        "speech_to_text": engines["speech_to_text"],
        "text_to_speech": engines["text_to_speech"],
        "n": len(samples),
        "failed": sum(not s["ok"] for s in samples),
        "first_byte_p50_ms": round(percentile(first, 50), 1),
        "first_byte_p95_ms": round(percentile(first, 95), 1),
        "total_p50_ms": round(percentile([s["total_ms"] for s in samples], 50), 1),
        "target_ms": TARGET_MS,
        "stage_mean_ms": stages,
    }
