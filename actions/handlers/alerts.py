"""Alerts in the chat: the listing with buttons, and read, dismiss and act by id.

Acting on an alert that starts a confirmed write leaves the write's draft in
the same slots `action_start_write` fills, so the write form carries on from
there exactly as after a typed write request: it asks what is missing, shows
the summary, and nothing changes before the user confirms.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.erp.alerts.state import AlertReply
from actions.erp.answers import Answer
from actions.handlers.common import call_service, identity, run_capability, send_reply
from actions.handlers.reads import ReadAction
from actions.handlers.writes import FORM, cleared, draft_events, say

ALERT_ENTITY = "alert_id"
# the listing offers buttons for this many alerts; more would bury the table
BUTTONED_ALERTS = 3
WHICH_ALERT = (
    "Which alert? Give its number, for example “dismiss alert #12”, "
    "or ask “any alerts?” to see them with their numbers."
)
_NUMBER_RE = re.compile(r"\d+")
# the number in a message the extractor missed it in: "#12", "alert 12", "alert no. 12"
_TEXT_ID_RE = re.compile(r"(?:#|\balert\s*(?:no\.?|number|#)?)\s*(\d+)", re.IGNORECASE)


def alert_buttons(answer: Answer) -> list[dict[str, Any]]:
    """Act, Dismiss and (while unread) Mark read for the first alerts of the table."""
    if answer.outcome != "ok" or not answer.payloads:
        return []
    buttons: list[dict[str, Any]] = []
    for row in answer.payloads[0].get("rows", [])[:BUTTONED_ALERTS]:
        number = row.get("id")
        if number is None:
            continue
        entity = json.dumps({ALERT_ENTITY: str(number)})
        buttons.append({"title": f"Act on #{number}", "payload": f"/alert_act{entity}"})
        buttons.append({"title": f"Dismiss #{number}", "payload": f"/alert_dismiss{entity}"})
        if row.get("status") == "unread":
            buttons.append({"title": f"Mark #{number} read", "payload": f"/alert_read{entity}"})
    return buttons


def alert_id_from(tracker: Tracker) -> int | None:
    """The alert number the message names ("#12", "alert 12", "12"), if any."""
    for entity in (tracker.latest_message or {}).get("entities", []):
        if entity.get("entity") != ALERT_ENTITY:
            continue
        match = _NUMBER_RE.search(str(entity.get("value", "")))
        if match:
            return int(match.group())
    match = _TEXT_ID_RE.search((tracker.latest_message or {}).get("text") or "")
    return int(match.group(1)) if match else None


class ActionAlerts(ReadAction):
    capability = "alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        answer = await run_capability(self.name(), self.capability, tracker)
        buttons = alert_buttons(answer)
        send_reply(
            dispatcher, answer.text, buttons, self.capability, answer.outcome, answer.payloads
        )
        return []


class AlertStatusAction(Action, ABC):
    """Marks one alert read or dismissed; the service checks it is the user's."""

    @property
    @abstractmethod
    def method(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        alert_id = alert_id_from(tracker)
        if alert_id is None:
            dispatcher.utter_message(text=WHICH_ALERT)
            return []
        user, company = identity(tracker)
        reply: AlertReply = await call_service(self.name(), self.method, alert_id, user, company)
        dispatcher.utter_message(text=reply.text)
        return []


class ActionAlertRead(AlertStatusAction):
    method = "mark_read"

    def name(self) -> str:
        return "action_alert_read"


class ActionAlertDismiss(AlertStatusAction):
    method = "dismiss"

    def name(self) -> str:
        return "action_alert_dismiss"


class ActionAlertAct(Action):
    """Does what an alert suggests; a write it starts goes on in the write form."""

    def name(self) -> str:
        return "action_alert_act"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        alert_id = alert_id_from(tracker)
        if alert_id is None:
            dispatcher.utter_message(text=WHICH_ALERT)
            return _untouched(tracker)
        user, company = identity(tracker)
        reply: AlertReply = await call_service(self.name(), "act", alert_id, user, company)
        dispatcher.utter_message(text=reply.text)
        write = reply.write
        if reply.outcome != "done" or write is None or write.outcome != "collect":
            return _untouched(tracker)
        if write.text:  # e.g. the product was discontinued since the alert was raised
            say(dispatcher, tracker, write)
        # a new write replaces the one in progress, as a typed write request does
        return [
            *cleared(),
            SlotSet("requested_slot", None),
            *draft_events(write.command, write.draft),
        ]


def _untouched(tracker: Tracker) -> list[dict[str, Any]]:
    """No write started: a write form in progress goes on where it was; otherwise
    the form that the rules run next must find no command and end at once."""
    if tracker.active_loop.get("name") == FORM:
        return []
    return [SlotSet("write_command", None)]
