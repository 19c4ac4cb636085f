"""A conversation's events as turns a trainer reads: what the user said and
how it was understood, which slots were set, which actions ran, what the
bot replied.

Turn 0 holds what happened before the first user message (the session
start); turn N>0 starts at the N-th user message. Story exports count
turns the same way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.studio.conversations import parse_of


def iso_time(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


HIDDEN_ACTIONS = frozenset({"action_listen", "action_session_start"})


def split_turns(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    turns: list[list[dict[str, Any]]] = [[]]
    for event in events:
        if event.get("event") == "user":
            turns.append([])
        turns[-1].append(event)
    return turns


def message_id(timestamp: float | None) -> str:
    # the id the web chat gives a bot message, so feedback finds its turn
    return f"{timestamp or 0:.6f}"


def describe(index: int, events: list[dict[str, Any]], feedback: dict[str, str]) -> dict[str, Any]:
    turn: dict[str, Any] = {
        "index": index,
        "timestamp": iso_time(events[0].get("timestamp")) if events else None,
        "user": None,
        "slots": {},
        "actions": [],
        "bot": [],
    }
    for event in events:
        kind = event.get("event")
        if kind == "user":
            turn["user"] = user_part(event)
        elif kind == "slot":
            turn["slots"][event.get("name")] = event.get("value")
        elif kind == "action" and event.get("name") not in HIDDEN_ACTIONS:
            turn["actions"].append(
                {
                    "name": event.get("name"),
                    "confidence": event.get("confidence"),
                    "policy": event.get("policy"),
                }
            )
        elif kind == "bot":
            data = event.get("data") or {}
            bot_id = message_id(event.get("timestamp"))
            turn["bot"].append(
                {
                    "message_id": bot_id,
                    "text": event.get("text"),
                    "buttons": data.get("buttons") or data.get("quick_replies") or [],
                    "custom": data.get("custom"),
                    "feedback": feedback.get(bot_id),
                }
            )
    return turn


def user_part(event: dict[str, Any]) -> dict[str, Any]:
    parse = event.get("parse_data") or {}
    intent, confidence, _ = parse_of(event)
    return {
        "text": event.get("text"),
        "message_id": event.get("message_id"),
        "intent": intent,
        "confidence": confidence,
        "intent_ranking": [
            {"name": r.get("name"), "confidence": r.get("confidence")}
            for r in (parse.get("intent_ranking") or [])[:5]
        ],
        "entities": [
            {
                k: e.get(k)
                for k in ("entity", "value", "start", "end", "confidence_entity", "extractor")
            }
            for e in parse.get("entities") or []
        ],
    }


def visible(turn: dict[str, Any]) -> bool:
    return bool(turn["user"] or turn["bot"] or turn["actions"])
