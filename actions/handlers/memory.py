"""Per-user memory: remember, forget and list; the work happens in the ERP service."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handlers.common import call_service, identity, request_from, send_answer


class ActionRemember(Action):
    def name(self) -> str:
        return "action_remember"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        user, company = identity(tracker)
        answer = await call_service(self.name(), "remember", user, company, request_from(tracker))
        send_answer(dispatcher, tracker, "memory", answer)
        return []


class ActionForget(Action):
    def name(self) -> str:
        return "action_forget"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        user, company = identity(tracker)
        answer = await call_service(self.name(), "forget", user, company, request_from(tracker))
        send_answer(dispatcher, tracker, "memory", answer)
        return []


class ActionListMemory(Action):
    def name(self) -> str:
        return "action_list_memory"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        user, company = identity(tracker)
        answer = await call_service(self.name(), "list_memory", user, company)
        send_answer(dispatcher, tracker, "memory", answer)
        return []
