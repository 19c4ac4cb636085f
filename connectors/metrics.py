"""Prometheus metrics of the Rasa server process, shared by the channels."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

MESSAGE_SECONDS = Histogram(
    "erp_channel_message_seconds",
    "Time from receiving a user message to having the bot's replies.",
    ["channel"],
    buckets=(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10),
)
REQUESTS = Counter(
    "erp_channel_requests_total", "Channel requests by HTTP status.", ["channel", "status"]
)
VOICE_SECONDS = Histogram(
    "erp_voice_stage_seconds",
    "Time the voice channel spends decoding, transcribing and synthesising.",
    ["stage"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5),
)
