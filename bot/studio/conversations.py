"""What users really asked: an index over the tracker store's events.

Rasa's SQL tracker store keeps one row per event (`events`: sender_id,
type_name, timestamp, intent_name, action_name, data as JSON). The index
reads those rows once, then only the new ones (by id) on each call, and
keeps one small summary per conversation and one inbox entry per distinct
user text, so that filtering thousands of conversations needs no
re-parsing. Every Rasa server builds its own from the shared table.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bot.privacy import last_erasure
from bot.studio.texts import normalised, text_id
from connectors.turns import FALLBACK_ACTIONS, FALLBACK_INTENTS

BATCH = 2000
# conversations the studio itself makes (interactive learning) never reach the inbox
STUDIO_PREFIX = "studio-"

EVENTS = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


@dataclass
class Summary:
    id: str
    started_at: float
    last_at: float
    channel: str | None = None
    user: str | None = None
    company: str | None = None
    turns: int = 0
    min_confidence: float | None = None
    fallback: bool = False
    first_message: str = ""
    intents: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)


@dataclass
class InboxEntry:
    id: str
    text: str
    company: str
    intent: str | None
    confidence: float
    entities: list[dict[str, Any]]
    count: int
    last_seen: float
    conversation_id: str


@dataclass
class TurnStat:
    """One user message and how it went, for the operations page."""

    company: str | None
    started_at: float
    intent: str | None
    fallback: bool
    capability: str | None = None  # the first action that answered it
    replied_at: float | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.replied_at is None else self.replied_at - self.started_at


def identity_of(event: dict[str, Any]) -> dict[str, Any]:
    metadata = event.get("metadata") or {}
    identity = metadata.get("identity") if isinstance(metadata, dict) else None
    return identity if isinstance(identity, dict) else {}


def parse_of(event: dict[str, Any]) -> tuple[str | None, float | None, list[dict[str, Any]]]:
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    confidence = intent.get("confidence")
    entities = [
        {k: e.get(k) for k in ("entity", "value", "start", "end")}
        for e in parse.get("entities") or []
        if isinstance(e, dict) and "start" in e and "end" in e
    ]
    return intent.get("name"), float(confidence) if confidence is not None else None, entities


def is_typed_text(text: str | None) -> bool:
    """A message the user typed or said, not a button's payload ("/intent{...}")."""
    return bool(text) and not text.startswith("/")  # type: ignore[union-attr]


class ConversationIndex:
    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._erasure = 0
        self._reset()

    def _reset(self) -> None:
        self._last_id = 0
        self._summaries: dict[str, Summary] = {}
        self._inbox: dict[tuple[str, str], InboxEntry] = {}
        self._turns: list[TurnStat] = []
        self._open_turns: dict[str, TurnStat] = {}

    def sync(self) -> None:
        """Read the events written since the last call (blocking: run it in a thread).

        After a user's conversations were deleted (bot/privacy.py) the index
        starts over, so nothing of them stays in memory.
        """
        with self._lock:
            with self.engine.connect() as connection:
                erasure = last_erasure(connection)
            if erasure != self._erasure:
                self._reset()
                self._erasure = erasure
            while True:
                rows = self._rows_after(self._last_id)
                for row in rows:
                    self._apply(row)
                    self._last_id = row.id
                if len(rows) < BATCH:
                    return

    def _rows_after(self, last_id: int) -> list[Any]:
        query = sa.select(EVENTS).where(EVENTS.c.id > last_id).order_by(EVENTS.c.id).limit(BATCH)
        with self.engine.connect() as connection:
            if not sa.inspect(connection).has_table("events"):
                return []
            return list(connection.execute(query))

    def _apply(self, row: Any) -> None:
        timestamp = row.timestamp or 0.0
        summary = self._summaries.get(row.sender_id)
        if summary is None:
            summary = Summary(row.sender_id, started_at=timestamp, last_at=timestamp)
            self._summaries[row.sender_id] = summary
        summary.last_at = max(summary.last_at, timestamp)
        turn = self._open_turns.get(row.sender_id)
        if row.type_name == "user":
            self._apply_user(summary, json.loads(row.data or "{}"), timestamp)
        elif row.type_name == "action" and row.action_name:
            if row.action_name != "action_listen":
                summary.actions.add(row.action_name)
                if turn is not None and turn.capability is None:
                    turn.capability = row.action_name
            if row.action_name in FALLBACK_ACTIONS:
                summary.fallback = True
                if turn is not None:
                    turn.fallback = True
        elif row.type_name == "bot" and turn is not None:
            turn.replied_at = timestamp

    def _apply_user(self, summary: Summary, event: dict[str, Any], timestamp: float) -> None:
        identity = identity_of(event)
        summary.user = summary.user or identity.get("user")
        summary.company = summary.company or identity.get("company")
        summary.channel = summary.channel or event.get("input_channel")
        summary.turns += 1
        intent, confidence, entities = parse_of(event)
        text = event.get("text") or ""
        if not summary.first_message:
            summary.first_message = text[:200]
        if intent:
            summary.intents.add(intent)
        if intent in FALLBACK_INTENTS:
            summary.fallback = True
        if not summary.id.startswith(STUDIO_PREFIX):
            turn = TurnStat(summary.company, timestamp, intent, intent in FALLBACK_INTENTS)
            self._turns.append(turn)
            self._open_turns[summary.id] = turn
        if confidence is not None and is_typed_text(text):
            low = summary.min_confidence
            summary.min_confidence = confidence if low is None else min(low, confidence)
        company = identity.get("company")
        if company and is_typed_text(text) and not summary.id.startswith(STUDIO_PREFIX):
            self._add_to_inbox(summary.id, company, text, intent, confidence, entities, timestamp)

    def _add_to_inbox(
        self,
        conversation_id: str,
        company: str,
        text: str,
        intent: str | None,
        confidence: float | None,
        entities: list[dict[str, Any]],
        timestamp: float,
    ) -> None:
        key = (company, text_id(text))
        entry = self._inbox.get(key)
        if entry is None:
            entry = InboxEntry(key[1], text, company, intent, 0.0, entities, 0, 0.0, "")
            self._inbox[key] = entry
        entry.count += 1
        if timestamp >= entry.last_seen:  # the latest model's reading counts
            entry.text, entry.intent, entry.entities = text, intent, entities
            entry.confidence = confidence or 0.0
            entry.last_seen, entry.conversation_id = timestamp, conversation_id

    def summaries(self, company: str) -> list[Summary]:
        with self._lock:
            return [s for s in self._summaries.values() if s.company == company]

    def summary(self, conversation_id: str) -> Summary | None:
        with self._lock:
            return self._summaries.get(conversation_id)

    def inbox(self, company: str) -> list[InboxEntry]:
        with self._lock:
            return [e for (c, _), e in self._inbox.items() if c == company]

    def turn_stats(self, company: str, since: float) -> list[TurnStat]:
        with self._lock:
            return [t for t in self._turns if t.company == company and t.started_at >= since]

    def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every event of one conversation, oldest first (blocking)."""
        query = (
            sa.select(EVENTS.c.data)
            .where(EVENTS.c.sender_id == conversation_id)
            .order_by(EVENTS.c.id)
        )
        with self.engine.connect() as connection:
            return [json.loads(data or "{}") for (data,) in connection.execute(query)]


def not_in(training_texts: set[str], entries: Iterable[InboxEntry]) -> Iterator[InboxEntry]:
    return (e for e in entries if normalised(e.text) not in training_texts)
