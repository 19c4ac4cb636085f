"""Confirmed writes: thin adapters between the write form and the ERP service.

The service decides everything (what a field means, whether a draft is
complete, whether a confirmation may execute); these actions only move the
draft between the tracker and the service and say what the service said.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.erp.writes import COMMANDS
from actions.erp.writes.protocol import WriteReply
from actions.handlers.common import (
    call_service,
    candidate_buttons,
    identity,
    request_from,
    send_reply,
)
from actions.handlers.questions import choice_buttons, question

FORM = "write_form"
# every field any command asks for; the form's slot for field f is w_f
FIELDS = tuple(dict.fromkeys(name for command in COMMANDS.values() for name in command.fields))
# intents whose message is an answer to the form's question, whatever entities it has
ANSWER_INTENTS = frozenset({"inform", "nlu_fallback", "out_of_scope"})
SURE_OF_DIGRESSION = 0.6
NOT_SURE = (
    "I'm not sure what that refers to. Tell me what you'd like to do, for example "
    "“approve PO-2026-0468” or “record a receipt”, or type 'help'."
)


def _slot(field: str) -> str:
    return f"w_{field}"


def draft_events(command: str | None, draft: dict[str, Any]) -> list[dict[str, Any]]:
    """The tracker's copy of a draft: the whole draft plus one slot per field."""
    events = [SlotSet("write_command", command), SlotSet("write_draft", draft or None)]
    for field in FIELDS:
        value = draft.get(field)
        shown = None if value is None else (value if isinstance(value, str) else json.dumps(value))
        events.append(SlotSet(_slot(field), shown))
    return events


def cleared() -> list[dict[str, Any]]:
    return [
        *draft_events(None, {}),
        SlotSet("write_asking", None),
        SlotSet("pending_confirmation", None),
    ]


def say(dispatcher: CollectingDispatcher, tracker: Tracker, reply: WriteReply) -> None:
    buttons = candidate_buttons(
        tracker,
        reply.text,
        reply.candidates,
        intent="inform",
        fallback_entity=_asked_entity(tracker, reply),
    )
    send_reply(dispatcher, reply.text, buttons, reply.command, reply.outcome, reply.payloads)


def _asked_entity(tracker: Tracker, reply: WriteReply) -> str | None:
    """The entity that answers the field being asked, for a reply naming no entity."""
    command = COMMANDS.get(reply.command or "")
    if command is None:
        return None
    asked = tracker.get_slot("requested_slot") or ""
    field = asked.removeprefix("w_") or (reply.missing[0] if reply.missing else "")
    return next((e for e, f in command.entity_fields.items() if f == field), None)


async def _ask(
    dispatcher: CollectingDispatcher, tracker: Tracker, reply: WriteReply, command: str
) -> None:
    field = reply.missing[0]
    buttons = await choice_buttons(tracker, command, field, reply.draft)
    dispatcher.utter_message(text=question(command, field), buttons=buttons or None)


class ActionStartWrite(Action):
    """A write intent: check the user may make it and read what they already said."""

    def name(self) -> str:
        return "action_start_write"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        command = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        events: list[dict[str, Any]] = [*cleared(), SlotSet("requested_slot", None)]
        if command not in COMMANDS:
            return events
        user, company = identity(tracker)
        reply: WriteReply = await call_service(
            self.name(), "start_write", command, user, company, request_from(tracker)
        )
        say(dispatcher, tracker, reply)
        if reply.outcome != "collect":
            return events  # refused: the form finds no command and ends at once
        return [*events, *draft_events(command, reply.draft)]


class ValidateWriteForm(Action):
    """Reads each answer into the draft and tells the form what to ask next.

    Slots use custom mappings, so Rasa extracts nothing itself: a message
    that is neither an answer nor a correction (a question, "no") returns no
    slots, Rasa rejects the form for that turn, and the rules answer the
    question or cancel.
    """

    def name(self) -> str:
        return "validate_write_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        command = tracker.get_slot("write_command")
        if command not in COMMANDS:
            return [SlotSet("requested_slot", None)]
        draft = dict(tracker.get_slot("write_draft") or {})
        asked = (tracker.get_slot("requested_slot") or "").removeprefix("w_") or None
        if not _answering(tracker):
            # activation or back from a digression: just say what to ask next
            missing = COMMANDS[command].missing(draft)
            return [*draft_events(command, draft), _requested(missing)]
        if not _is_answer(tracker, command, asked):
            return []
        user, company = identity(tracker)
        reply: WriteReply = await call_service(
            self.name(), "fill_write", command, user, company, draft, request_from(tracker), asked
        )
        if reply.outcome != "collect":
            say(dispatcher, tracker, reply)
            return [*cleared(), SlotSet("requested_slot", None), ActiveLoop(None)]
        say(dispatcher, tracker, reply)
        return [*draft_events(command, reply.draft), _requested(reply.missing)]


def _requested(missing: list[str]) -> dict[str, Any]:
    return SlotSet("requested_slot", _slot(missing[0]) if missing else None)


def _answering(tracker: Tracker) -> bool:
    """Whether the form runs right after the user spoke (not at activation or on return)."""
    skipped_form = False
    for event in reversed(tracker.events):
        if event.get("event") != "action":
            continue
        if event.get("name") == FORM and not skipped_form:
            skipped_form = True
            continue
        return event.get("name") == "action_listen"
    return False


def _is_answer(tracker: Tracker, command: str, asked: str | None) -> bool:
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    if intent in ANSWER_INTENTS or intent == command:
        return True
    # a new name ("Zephyr Loom Works") reads as nothing in particular: unless the
    # classifier is sure the user asked something else, it answers the question
    if asked and (message.get("intent") or {}).get("confidence", 1.0) < SURE_OF_DIGRESSION:
        return True
    # a bare "PO-2026-0468" may read as a status question: an entity for the
    # field being asked makes it an answer all the same
    entity_fields = COMMANDS[command].entity_fields
    return any(entity_fields.get(e.get("entity")) == asked for e in message.get("entities", []))


class ActionProposeWrite(Action):
    """The form is complete: show exactly what will change, with Confirm and Cancel."""

    def name(self) -> str:
        return "action_propose_write"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        command = tracker.get_slot("write_command")
        if command not in COMMANDS:
            return []  # the write was refused or cancelled; it has been said
        return await propose(self.name(), dispatcher, tracker, command)


async def propose(
    action: str, dispatcher: CollectingDispatcher, tracker: Tracker, command: str
) -> list[dict[str, Any]]:
    user, company = identity(tracker)
    draft = dict(tracker.get_slot("write_draft") or {})
    reply: WriteReply = await call_service(
        action, "propose_write", command, user, company, draft, tracker.sender_id
    )
    if reply.outcome == "confirm":
        dispatcher.utter_message(
            text=reply.text,
            buttons=[
                {"title": "Confirm", "payload": _button("affirm", reply.token)},
                {"title": "Cancel", "payload": _button("deny", reply.token)},
            ],
        )
        say(dispatcher, tracker, WriteReply("", reply.outcome, command, payloads=reply.payloads))
        return [
            *draft_events(command, reply.draft),
            SlotSet("write_asking", None),
            SlotSet("pending_confirmation", reply.token),
        ]
    say(dispatcher, tracker, reply)
    if reply.outcome == "collect" and reply.missing:
        # something no longer holds (stock ran short …): ask for that field again
        await _ask(dispatcher, tracker, reply, command)
        return [*draft_events(command, reply.draft), SlotSet("write_asking", reply.missing[0])]
    return cleared()


def _button(intent: str, token: str | None) -> str:
    return f"/{intent}" + json.dumps({"confirmation_token": token})


def _token(tracker: Tracker) -> str | None:
    """The confirmation a yes or no is about: the button's, else the one pending here."""
    for entity in (tracker.latest_message or {}).get("entities", []):
        if entity.get("entity") == "confirmation_token" and isinstance(entity.get("value"), str):
            return entity["value"]
    return tracker.get_slot("pending_confirmation")


class ActionConfirmWrite(Action):
    """A yes: the server executes the confirmation only if it is pending."""

    def name(self) -> str:
        return "action_confirm_write"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        token = _token(tracker)
        if token is None:
            if tracker.active_loop.get("name") == FORM:
                dispatcher.utter_message(
                    text="There's nothing to confirm yet; I still need a few details."
                )
            else:
                dispatcher.utter_message(
                    text="There's nothing waiting for your confirmation right now."
                )
            return []
        user, company = identity(tracker)
        reply: WriteReply = await call_service(self.name(), "confirm_write", token, user, company)
        say(dispatcher, tracker, reply)
        if reply.outcome == "refused" and reply.token:
            return []  # rate limited: the confirmation stays pending
        if token != tracker.get_slot("pending_confirmation"):
            return []  # an old button: this conversation's own draft is untouched
        return cleared()


class ActionCancelWrite(Action):
    """A no: cancel the pending confirmation, or the write being collected."""

    def name(self) -> str:
        return "action_cancel_write"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        token = _token(tracker)
        # always ends the form, so that the rules need not know whether one ran
        events = [*cleared(), SlotSet("requested_slot", None), ActiveLoop(None)]
        if token is not None:
            user, company = identity(tracker)
            reply: WriteReply = await call_service(
                self.name(), "cancel_write", token, user, company
            )
            say(dispatcher, tracker, reply)
            if token != tracker.get_slot("pending_confirmation"):
                return [ActiveLoop(None)]
        elif tracker.get_slot("write_command"):
            dispatcher.utter_message(text="Cancelled: nothing was changed.")
        else:
            dispatcher.utter_message(text="OK. There's nothing in progress to cancel.")
        return events


class ActionReviseWrite(Action):
    """An answer or a correction ("make it 120 units") after the form ended."""

    def name(self) -> str:
        return "action_revise_write"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        command = tracker.get_slot("write_command")
        if command not in COMMANDS:
            dispatcher.utter_message(text=NOT_SURE)
            return []
        user, company = identity(tracker)
        draft = dict(tracker.get_slot("write_draft") or {})
        asked = tracker.get_slot("write_asking")
        reply: WriteReply = await call_service(
            self.name(), "fill_write", command, user, company, draft, request_from(tracker), asked
        )
        say(dispatcher, tracker, reply)
        if reply.outcome != "collect":
            return cleared()
        if reply.missing:
            await _ask(dispatcher, tracker, reply, command)
            return [*draft_events(command, reply.draft), SlotSet("write_asking", reply.missing[0])]
        events = draft_events(command, reply.draft)
        tracker.add_slots(events)
        return [*events, *await propose(self.name(), dispatcher, tracker, command)]
