"""What the web chat channel keeps per conversation, in this process.

A sequence number on every event sent to the conversation's room, the last
events (so a client that reconnects gets what it missed), the client ids of
recent messages (so a message resent after a reconnect is handled once), and
a lock taken in arrival order (so messages are handled, and answered, in the
order they were sent).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

REPLAY_EVENTS = 500
REMEMBERED_CLIENT_IDS = 500
MAX_CONVERSATIONS = 10_000


@dataclass
class Conversation:
    conversation_id: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    seq: int = 0
    sent: deque[tuple[int, str, dict[str, Any]]] = field(
        default_factory=lambda: deque(maxlen=REPLAY_EVENTS)
    )
    client_ids: OrderedDict[str, None] = field(default_factory=OrderedDict)
    # sockets of clients that only know Rasa's message shapes (rasa-webchat)
    plain_sockets: set[str] = field(default_factory=set)

    def record(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Number an outgoing event and keep it for replay."""
        self.seq += 1
        numbered = {**data, "seq": self.seq}
        self.sent.append((self.seq, event, numbered))
        return numbered

    def missed(self, last_seq: int) -> list[tuple[str, dict[str, Any]]]:
        return [(event, data) for seq, event, data in self.sent if seq > last_seq]

    def first_time(self, client_id: str | None) -> bool:
        """False for a client id seen before: the message was already handled."""
        if not client_id:
            return True
        if client_id in self.client_ids:
            return False
        self.client_ids[client_id] = None
        if len(self.client_ids) > REMEMBERED_CLIENT_IDS:
            self.client_ids.popitem(last=False)
        return True


class Conversations:
    """The conversations this process has seen lately, least recent dropped first."""

    def __init__(self, limit: int = MAX_CONVERSATIONS) -> None:
        self.limit = limit
        self._items: OrderedDict[str, Conversation] = OrderedDict()

    def get(self, conversation_id: str) -> Conversation:
        conversation = self._items.get(conversation_id)
        if conversation is None:
            conversation = Conversation(conversation_id)
            self._items[conversation_id] = conversation
            if len(self._items) > self.limit:
                self._drop_idle()
        self._items.move_to_end(conversation_id)
        return conversation

    def _drop_idle(self) -> None:
        for key, conversation in list(self._items.items()):
            if len(self._items) <= self.limit:
                return
            if not conversation.lock.locked():
                del self._items[key]
