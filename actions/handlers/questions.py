"""The questions the write form asks, one action per field (action_ask_w_<field>)."""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handlers.common import get_service, identity

QUESTIONS: dict[str, str] = {
    "document": (
        "Which document? Please give its number, for example PO-2026-0468 or INV-2026-00012."
    ),
    "reason": (
        "Why are you rejecting it? A short reason is enough, e.g. “price above the last quote”."
    ),
    "customer": ("Which customer is the order for?"),
    "lines": (
        "Which products and quantities? For example: 100 Cotton Yarn 30s and 50 LED Bulb 12 W. "
        "Add “at 250 each” for a price other than the list price."
    ),
    "warehouse": ("Which warehouse should it ship from?"),
    "requested_date": (
        "When does the customer want it? For example: tomorrow, next Monday or 5 December."
    ),
    "name": ("What is the new customer's name?"),
    "contact": ("What are their contact details: an email address, a phone number or both?"),
    "city": ("Which city are they in?"),
    "payment_terms": ("What payment terms: how many days, e.g. 30 days, net 45, or cash?"),
    "credit_limit": (
        "What credit limit should they have? For example: 5 lakh, 250,000 or 0 for cash only."
    ),
    "direction": ("Is this a receipt from a customer or a payment to a supplier?"),
    "party": ("Which customer or supplier is it?"),
    "amount": ("How much?"),
    "bank_account": ("Into or out of which bank account?"),
    "payment_date": ("On what date? (today, yesterday, 20 November …)"),
    "allocation": (
        "Which invoices or bills should it settle? Name them (e.g. INV-2026-00012 and "
        "INV-2026-00019), or say “oldest first”."
    ),
    "product": ("Which product should be ordered?"),
    "quantity": ("How many? For example: 50, 120 units or two hundred."),
    "supplier": ("Which supplier should it be ordered from?"),
}
# where one field means different things to different commands
QUESTIONS_FOR_COMMAND: dict[tuple[str, str], str] = {
    ("approve_purchase_order", "document"): "Which purchase order? For example PO-2026-0468.",
    ("reject_purchase_order", "document"): "Which purchase order? For example PO-2026-0468.",
    ("post_invoice", "document"): "Which draft invoice? For example INV-2026-00012.",
    ("create_purchase_order", "warehouse"): "Which warehouse should it be delivered to?",
}


def question(command: str | None, field: str) -> str:
    return QUESTIONS_FOR_COMMAND.get((command or "", field)) or QUESTIONS[field]


class AskField(Action, ABC):
    """Asks for one field of the write form."""

    @property
    @abstractmethod
    def field(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_w_{self.field}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        command = tracker.get_slot("write_command")
        draft = dict(tracker.get_slot("write_draft") or {})
        buttons = await choice_buttons(tracker, command, self.field, draft) if command else []
        dispatcher.utter_message(text=question(command, self.field), buttons=buttons or None)
        return []


async def choice_buttons(
    tracker: Tracker, command: str, field: str, draft: dict[str, Any]
) -> list[dict[str, str]]:
    """Buttons for the answers the service offers (warehouses, bank accounts …)."""
    user, company = identity(tracker)
    choices = await asyncio.to_thread(
        get_service().write_choices, command, user, company, draft, field
    )
    return [
        {
            "title": choice.title,
            "payload": "/inform" + json.dumps({choice.entity: choice.title})
            if choice.entity
            else choice.title,
        }
        for choice in choices
    ]


# rasa-sdk registers every Action subclass it finds: one small class per field
for _field in QUESTIONS:
    _name = "Ask" + "".join(part.title() for part in _field.split("_"))
    globals()[_name] = type(_name, (AskField,), {"field": _field, "__module__": __name__})
