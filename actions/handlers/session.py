"""Session start: establish who is speaking from the channel's signed metadata."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

from actions.erp.errors import ERPError
from actions.handlers.common import get_service

logger = logging.getLogger(__name__)


class ActionSessionStart(Action):
    """Fill the identity slots from metadata that only a channel can set.

    The connectors overwrite `metadata["identity"]` with what the verified
    token says, and these slots have custom mappings, so nothing a user types
    can change them. Slots are not carried over: each session re-establishes
    identity from its own first message.
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        metadata = tracker.get_slot("session_started_metadata") or {}
        claimed = metadata.get("identity") if isinstance(metadata, dict) else None
        events: list[dict[str, Any]] = [SessionStarted()]
        if isinstance(claimed, dict):
            try:
                profile = await asyncio.to_thread(
                    get_service().profile, claimed.get("user"), claimed.get("company")
                )
            except ERPError as error:
                logger.warning(
                    "session start refused: %s", error, extra={"user": claimed.get("user")}
                )
            except OperationalError:
                # identity then comes from each message's channel metadata (common.identity)
                logger.warning(
                    "session started while the ERP database is down",
                    extra={"user": claimed.get("user")},
                )
            else:
                events += [
                    SlotSet("erp_user", profile.username),
                    SlotSet("erp_company", profile.company_code),
                    SlotSet("erp_roles", sorted(profile.roles)),
                    SlotSet("erp_user_name", profile.full_name),
                    SlotSet("erp_company_name", profile.company_name),
                ]
                await _greet_with_alerts(dispatcher, profile.username, profile.company_code)
        events.append(ActionExecuted("action_listen"))
        return events


async def _greet_with_alerts(dispatcher: CollectingDispatcher, user: str, company: str) -> None:
    """Mention unread critical and warning alerts; never fails the session start."""
    try:
        text = await asyncio.to_thread(get_service().alert_greeting, user, company)
    except Exception:
        logger.exception("could not count the unread alerts", extra={"user": user})
        return
    if text:
        dispatcher.utter_message(text=text)
