"""Interactive learning, as `rasa interactive` does it, over Rasa's HTTP API.

At each turn the trainer sees how the model read the message and confirms
or corrects it; the corrected reading is logged (`/messages` with parse
data, which also fills slots from entities); then, action by action, the
trainer confirms or corrects the predicted next action, which is executed
(`/execute`) until the bot listens again.

The session's conversation starts with the trainer's identity in
`session_started_metadata`, as a channel's first message would carry it, so
actions run with the trainer's company and permissions.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel

from bot.auth import Identity
from bot.studio.rasa_api import RasaAPI

SESSION_SECONDS = 4 * 3600
MAX_SESSIONS_PER_TRAINER = 5
MAX_ACTIONS_PER_TURN = 10
INTENT = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
ENTITY = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
ACTION = re.compile(r"^[a-z][a-z0-9_]{0,79}$")


class SessionRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Session:
    id: str
    owner: Identity
    created: float
    examples: list[dict[str, Any]] = field(default_factory=list)
    actions_this_turn: int = 0
    # every action of the running model's domain, from the last prediction
    known_actions: set[str] = field(default_factory=set)


def checked_entities(text: str, raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 20:
        raise SessionRefused(400, "'entities' must be a list of at most 20 spans.")
    spans: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise SessionRefused(400, "Each entity is {start, end, entity, value?}.")
        start, end, name = item.get("start"), item.get("end"), item.get("entity")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise SessionRefused(400, "An entity's start and end must lie inside the text.")
        if not isinstance(name, str) or not ENTITY.match(name):
            raise SessionRefused(400, "An entity name is lower-case letters, digits and _.")
        value = item.get("value", text[start:end])
        if not isinstance(value, str | int | float):
            raise SessionRefused(400, "An entity's value must be text or a number.")
        spans.append({"start": start, "end": end, "entity": name, "value": value})
    spans.sort(key=lambda s: s["start"])
    if any(a["end"] > b["start"] for a, b in itertools.pairwise(spans)):
        raise SessionRefused(400, "Entity spans must not overlap.")
    return spans


def prediction_of(reply: dict[str, Any]) -> dict[str, Any]:
    scores = sorted(reply.get("scores") or [], key=lambda s: s.get("score", 0), reverse=True)
    ranking = [{"action": s["action"], "confidence": s["score"]} for s in scores[:10]]
    top = ranking[0] if ranking else {"action": "action_listen", "confidence": 0.0}
    return {**top, "policy": reply.get("policy"), "ranking": ranking}


async def start_conversation(agent: Any, sid: str, metadata: dict[str, Any]) -> None:
    """Start the session as a channel's first message does: Rasa runs our
    action_session_start with this metadata, which sets who is speaking. (The
    HTTP API has no way to pass metadata, and `/execute action_session_start`
    does not fill `session_started_metadata`.)"""
    async with agent.lock_store.lock(sid):
        tracker = await agent.processor.fetch_tracker_and_update_session(
            sid, CollectingOutputChannel(), metadata
        )
        await agent.processor.save_tracker(tracker)


class InteractiveSessions:
    def __init__(self, rasa: RasaAPI) -> None:
        self.rasa = rasa
        self._sessions: dict[str, Session] = {}

    def _expire(self) -> None:
        cutoff = time.time() - SESSION_SECONDS
        for sid in [s.id for s in self._sessions.values() if s.created < cutoff]:
            del self._sessions[sid]

    def get(self, sid: str, identity: Identity) -> Session:
        self._expire()
        session = self._sessions.get(sid)
        if session is None or session.owner.user != identity.user:
            raise SessionRefused(404, "There is no such interactive session of yours.")
        return session

    async def start(self, identity: Identity, agent: Any) -> Session:
        self._expire()
        own = [s for s in self._sessions.values() if s.owner.user == identity.user]
        if len(own) >= MAX_SESSIONS_PER_TRAINER:
            oldest = min(own, key=lambda s: s.created)
            del self._sessions[oldest.id]
        sid = f"studio-{identity.user}-{secrets.token_hex(6)}"
        await start_conversation(agent, sid, {"identity": identity.as_metadata()})
        session = Session(sid, identity, time.time())
        self._sessions[sid] = session
        return session

    async def parse(self, session: Session, text: str) -> dict[str, Any]:
        parse = await self.rasa.parse(text)
        return {
            "text": text,
            "intent": parse.get("intent"),
            "intent_ranking": (parse.get("intent_ranking") or [])[:10],
            "entities": [
                {k: e.get(k) for k in ("entity", "value", "start", "end", "confidence_entity")}
                for e in parse.get("entities") or []
            ],
        }

    async def message(
        self, session: Session, text: str, intent: str, entities: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Log the user message as the trainer confirmed it; the next action's prediction."""
        if not INTENT.match(intent):
            raise SessionRefused(400, "An intent name is lower-case letters, digits and _.")
        parse_data = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "intent_ranking": [{"name": intent, "confidence": 1.0}],
            "entities": entities,
        }
        path = self.rasa.conversation(session.id) + "/messages"
        await self.rasa.call(
            "POST",
            path,
            json={"sender": "user", "text": text, "parse_data": parse_data},
            params={"include_events": "NONE"},
        )
        session.examples.append({"text": text, "intent": intent, "entities": entities})
        session.actions_this_turn = 0
        return {"prediction": await self._predict(session)}

    async def _predict(self, session: Session) -> dict[str, Any]:
        reply = await self.rasa.predict(session.id)
        session.known_actions = {s["action"] for s in reply.get("scores") or []}
        return prediction_of(reply)

    async def act(self, session: Session, action: str) -> dict[str, Any]:
        """Run the confirmed (or corrected) action; the next prediction, or None once
        the bot listens."""
        if not ACTION.match(action):
            raise SessionRefused(400, "An action name is lower-case letters, digits and _.")
        if session.known_actions and action not in session.known_actions:
            raise SessionRefused(400, f"The model knows no action called {action!r}.")
        if action != "action_listen" and session.actions_this_turn >= MAX_ACTIONS_PER_TURN:
            raise SessionRefused(
                409, f"{MAX_ACTIONS_PER_TURN} actions in one turn: confirm action_listen."
            )
        reply = await self.rasa.execute(session.id, action)
        messages = [
            {k: m.get(k) for k in ("text", "buttons", "custom") if m.get(k) is not None}
            for m in reply.get("messages") or []
        ]
        if action == "action_listen":
            return {"messages": messages, "prediction": None}
        session.actions_this_turn += 1
        return {"messages": messages, "prediction": await self._predict(session)}

    async def events(self, session: Session) -> list[dict[str, Any]]:
        tracker = await self.rasa.call(
            "GET", self.rasa.conversation(session.id) + "/tracker", params={"include_events": "ALL"}
        )
        return tracker.get("events") or []

    def end(self, session: Session) -> None:
        self._sessions.pop(session.id, None)
