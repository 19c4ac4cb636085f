"""Bot messages in the web chat's shape, live and from the tracker store.

Both paths give a bot message the same id (its `BotUttered` timestamp), so
feedback given on a message shown live and on the same message restored
from history lands on one record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

Emit = Callable[[str, dict[str, Any]], Awaitable[None]]


def message_id(timestamp: float | None) -> str:
    return f"{timestamp or 0:.6f}"


def quick_replies(buttons: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [
        {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")}
        for b in buttons or []
    ]


def bot_message(message: dict[str, Any]) -> dict[str, Any]:
    """A Rasa bot message (text, buttons, custom, ...) as one `bot_uttered` event."""
    shaped: dict[str, Any] = {"id": message_id(message.get("timestamp"))}
    if message.get("text"):
        shaped["text"] = message["text"]
    buttons = message.get("buttons") or message.get("quick_replies")
    if buttons:
        shaped["quick_replies"] = quick_replies(buttons)
    for key in ("custom", "image", "attachment"):
        if message.get(key):
            shaped[key] = message[key]
    return shaped


class WebChatOutput(OutputChannel):
    """Sends one user message's replies to its conversation's room, numbered."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.stream_id: str | None = None  # set when a draft was streamed for this turn

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        shaped = bot_message(message)
        if self.stream_id and shaped.get("text"):
            # the answer of record replaces the streamed draft, once
            shaped["stream_id"], self.stream_id = self.stream_id, None
        await self.emit("bot_uttered", shaped)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})


class IdentifiedCollector(CollectingOutputChannel):
    """Collects replies for an HTTP answer, each with the id feedback names it by."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        before = len(self.messages)
        await super().send_response(recipient_id, dict(message))  # it pops what it sends
        for collected in self.messages[before:]:
            collected["id"] = message_id(message.get("timestamp"))


def history(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    """The conversation as the chat shows it, oldest first.

    A button click was sent as its payload; it is shown by the button's title,
    as the user saw it.
    """
    messages: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for event in tracker.events:
        if isinstance(event, UserUttered) and event.text:
            text = titles.get(event.text, event.text)
            messages.append(
                {
                    "id": message_id(event.timestamp),
                    "sender": "user",
                    "text": text,
                    "timestamp": event.timestamp,
                }
            )
        elif isinstance(event, BotUttered):
            shaped = bot_message(event.message())
            if "quick_replies" in shaped:
                titles = {b["payload"]: b["title"] for b in shaped["quick_replies"]}
                shaped["buttons"] = [
                    {"title": b["title"], "payload": b["payload"]} for b in shaped["quick_replies"]
                ]
            if len(shaped) > 1:  # more than its id: something to show
                messages.append({**shaped, "sender": "bot", "timestamp": event.timestamp})
    return messages


def find_bot_text(tracker: DialogueStateTracker, wanted_id: str) -> str | None:
    """The text of the bot message with this id, or None when there is none."""
    for event in tracker.events:
        if isinstance(event, BotUttered) and message_id(event.timestamp) == wanted_id:
            return event.text or ""
    return None
