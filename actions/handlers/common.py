"""What every action needs: the service, the caller's identity, and replies."""

from __future__ import annotations

import asyncio
import json
import time
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
    """The signed-in user and company, from slots only the session start sets."""
    return tracker.get_slot("erp_user"), tracker.get_slot("erp_company")


def request_from(tracker: Tracker) -> Request:
    message = tracker.latest_message or {}
    entities: dict[str, list[str]] = {}
    for entity in message.get("entities", []):
        value = entity.get("value")
        if isinstance(value, str | int | float) and str(value).strip():
            entities.setdefault(entity["entity"], []).append(str(value))
    return Request(text=message.get("text") or "", entities=entities)


async def run_capability(action: str, capability: str, tracker: Tracker) -> Answer:
    """Run a service call in a worker thread so the event loop stays free."""
    user, company = identity(tracker)
    started = time.perf_counter()
    answer = await asyncio.to_thread(
        get_service().ask, capability, user, company, request_from(tracker)
    )
    ACTION_SECONDS.labels(action, answer.outcome).observe(time.perf_counter() - started)
    ACTION_OUTCOMES.labels(action, answer.outcome).inc()
    return answer


def send_answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, capability: str, answer: Answer
) -> None:
    buttons = _candidate_buttons(tracker, answer) if answer.candidates else []
    dispatcher.utter_message(text=answer.text, buttons=buttons or None)
    if answer.payloads:
        dispatcher.utter_message(
            json_message={
                "kind": "erp.answer",
                "capability": capability,
                "outcome": answer.outcome,
                "payloads": answer.payloads,
            }
        )


def _candidate_buttons(tracker: Tracker, answer: Answer) -> list[dict[str, Any]]:
    """One button per candidate that asks the same question with that name."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    entities = {e["entity"]: e.get("value") for e in message.get("entities", [])}
    ambiguous = next(
        (
            name
            for name in NAME_ENTITIES
            if entities.get(name) and str(entities[name]) in answer.text
        ),
        next((name for name in NAME_ENTITIES if entities.get(name)), None),
    )
    if not intent or not ambiguous:
        return []
    buttons = []
    for candidate in answer.candidates:
        chosen = {**{k: v for k, v in entities.items() if isinstance(v, str)}, ambiguous: candidate}
        buttons.append({"title": candidate, "payload": f"/{intent}{json.dumps(chosen)}"})
    return buttons
