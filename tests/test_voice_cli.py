"""`python -m bot voice`: the client's own decisions, without a server.

tests/e2e/test_voice.py runs it against the real servers.
"""

from __future__ import annotations

import base64
import json
import sys
import types
from pathlib import Path

import pytest

from bot import voice
from bot.config import load_settings
from tests.voice.speech import pcm_wav


def settings_in(tmp_path: Path):
    return load_settings({"ERP_VAR_DIR": str(tmp_path)})


def test_tokens_come_from_the_demo_tokens_file(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    with pytest.raises(voice.VoiceClientError, match="make run"):
        voice.token_for(settings, "padma.finance")
    settings.demo_tokens_path.write_text(json.dumps({"padma.finance": {"token": "t0k"}}))
    assert voice.token_for(settings, "padma.finance") == "t0k"
    with pytest.raises(voice.VoiceClientError, match=r"choose one of: padma\.finance"):
        voice.token_for(settings, "nobody")


def fake_sounddevice(devices: dict | Exception) -> types.ModuleType:
    module = types.ModuleType("sounddevice")

    class PortAudioError(Exception):
        pass

    def query_devices(kind: str | None = None) -> dict:
        if isinstance(devices, Exception):
            raise PortAudioError(str(devices))
        return devices

    module.PortAudioError = PortAudioError
    module.query_devices = query_devices
    return module


def test_live_mode_says_clearly_when_there_is_no_microphone(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice(Exception("device -1")))
    with pytest.raises(voice.VoiceClientError, match="No microphone found"):
        voice.find_microphone()
    output_only = {"name": "speakers", "max_input_channels": 0}
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice(output_only))
    with pytest.raises(voice.VoiceClientError, match="No microphone found"):
        voice.find_microphone()
    microphone = {"name": "USB mic", "max_input_channels": 1}
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice(microphone))
    assert voice.find_microphone().query_devices()["name"] == "USB mic"


def test_live_mode_without_portaudio(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails
    with pytest.raises(voice.VoiceClientError, match="libportaudio2"):
        voice.find_microphone()


def wav(seconds: float) -> bytes:
    return pcm_wav(b"\0\0" * int(22_050 * seconds), 22_050)


def test_the_reply_is_printed_and_saved(tmp_path: Path) -> None:
    body = {
        "transcript": "What's the status of P.O. 2025-42?",
        "message": "What's the status of PO-2025-0042?",
        "messages": [
            {"recipient_id": "me", "text": "Purchase order PO-2025-0042 is received."},
            {"recipient_id": "me", "custom": {"payloads": [{"type": "table"}]}},
        ],
        "audio": base64.b64encode(wav(2.5)).decode(),
    }
    out = tmp_path / "nested" / "reply.wav"
    seconds = voice.save_reply(body, out)
    assert seconds == pytest.approx(2.5) and out.read_bytes()[:4] == b"RIFF"
    printed = voice.describe(body, out, seconds)
    assert "You said:    What's the status of P.O. 2025-42?" in printed
    assert "Understood:  What's the status of PO-2025-0042?" in printed
    assert "Assistant:   Purchase order PO-2025-0042 is received." in printed
    assert "[table]" in printed and "(2.5 s)" in printed
    assert voice.save_reply({**body, "audio": None}, out) is None


def test_an_unreachable_server_is_explained() -> None:
    with pytest.raises(voice.VoiceClientError, match="is `make run` running"):
        voice.ask("http://127.0.0.1:9", "t", b"RIFF", "a.wav", "me")
