"""What every action needs: the service, the caller's identity, and replies."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import Any

from prometheus_client import Counter, Histogram
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.erp.answers import Answer
from actions.erp.context import Request
from actions.erp.service import ERPService
from actions.erp.writes.protocol import Policy
from bot.config import load_settings

IDENTITY_SLOTS = ("erp_user", "erp_company")
NAME_ENTITIES = ("customer", "supplier", "product", "warehouse")

ACTION_SECONDS = Histogram(
    "erp_action_seconds",
    "Time to run an ERP action, including the database work.",
    ["action", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
ACTION_OUTCOMES = Counter("erp_action_total", "ERP actions run, by outcome.", ["action", "outcome"])


@lru_cache(maxsize=1)
def get_service() -> ERPService:
    """One service per process, created on first use rather than at import."""
    settings = load_settings()
    policy = Policy(
        ttl=timedelta(seconds=settings.confirmation_ttl_seconds),
        writes_per_minute=settings.writes_per_minute,
    )
    return ERPService(settings.database_url, policy=policy)


def identity(tracker: Tracker) -> tuple[str | None, str | None]:
    """The signed-in user and company, from slots only the session start sets.

    When the session started while the ERP database was down, the slots are
    empty; the identity the channel put on the latest message (it overwrites
    whatever a sender sends) stands in, and the service checks it as always.
    """
    user, company = tracker.get_slot("erp_user"), tracker.get_slot("erp_company")
    if user and company:
        return user, company
    claimed = channel_identity(tracker)
    return claimed.get("user"), claimed.get("company")


def channel_identity(tracker: Tracker) -> dict[str, Any]:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata")
            claimed = metadata.get("identity") if isinstance(metadata, dict) else None
            return claimed if isinstance(claimed, dict) else {}
    return {}


def request_from(tracker: Tracker) -> Request:
    message = tracker.latest_message or {}
    entities: dict[str, list[str]] = {}
    for entity in message.get("entities", []):
        value = entity.get("value")
        if isinstance(value, str | int | float) and str(value).strip():
            entities.setdefault(entity["entity"], []).append(str(value))
    return Request(text=message.get("text") or "", entities=entities)


async def timed_call(action: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run blocking service work in a worker thread, so the event loop stays free.

    The result (an Answer, a WriteReply or a KnowledgeAnswer) carries the
    outcome the metrics count.
    """
    started = time.perf_counter()
    result = await asyncio.to_thread(function, *args, **kwargs)
    ACTION_SECONDS.labels(action, result.outcome).observe(time.perf_counter() - started)
    ACTION_OUTCOMES.labels(action, result.outcome).inc()
    return result


async def call_service(action: str, method: str, *args: Any) -> Any:
    """One ERP service call, timed and counted."""
    return await timed_call(action, getattr(get_service(), method), *args)


async def run_capability(action: str, capability: str, tracker: Tracker) -> Answer:
    user, company = identity(tracker)
    return await call_service(action, "ask", capability, user, company, request_from(tracker))


def send_answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, capability: str, answer: Answer
) -> None:
    buttons = candidate_buttons(tracker, answer.text, answer.candidates)
    send_reply(dispatcher, answer.text, buttons, capability, answer.outcome, answer.payloads)


def send_reply(
    dispatcher: CollectingDispatcher,
    text: str,
    buttons: list[dict[str, Any]],
    capability: str | None,
    outcome: str,
    payloads: list[dict[str, Any]],
) -> None:
    """The text (with buttons) and, for screens, the structured payloads as custom JSON."""
    if text:
        dispatcher.utter_message(text=text, buttons=buttons or None)
    if payloads:
        dispatcher.utter_message(
            json_message={
                "kind": "erp.answer",
                "capability": capability,
                "outcome": outcome,
                "payloads": payloads,
            }
        )


def candidate_buttons(
    tracker: Tracker,
    text: str,
    candidates: list[str],
    *,
    intent: str | None = None,
    fallback_entity: str | None = None,
) -> list[dict[str, Any]]:
    """One button per candidate name: the latest message again, with that name in it.

    The name replaced is the one the reply quotes, else the first name in the
    message, else `fallback_entity`; `intent` defaults to the message's own.
    """
    if not candidates:
        return []
    message = tracker.latest_message or {}
    intent = intent or (message.get("intent") or {}).get("name")
    entities = {
        e["entity"]: e["value"]
        for e in message.get("entities", [])
        if isinstance(e.get("value"), str)
    }
    named = [name for name in NAME_ENTITIES if entities.get(name)]
    ambiguous = next((name for name in named if entities[name] in text), None)
    ambiguous = ambiguous or (named[0] if named else fallback_entity)
    if not intent or not ambiguous:
        return []
    return [
        {
            "title": candidate,
            "payload": f"/{intent}{json.dumps({**entities, ambiguous: candidate})}",
        }
        for candidate in candidates
    ]
