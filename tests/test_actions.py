"""The rasa-sdk actions, called through rasa-sdk's own executor as the Rasa server does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from actions.erp.service import ERPService
from actions.handlers import common
from tests.conftest import AS_OF


@pytest.fixture
def executor(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ActionExecutor]:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    common.get_service.cache_clear()
    monkeypatch.setattr(common, "get_service", lambda: ERPService(sqlite_url, today=lambda: AS_OF))
    executor = ActionExecutor()
    executor.register_package("actions.handlers")
    yield executor


async def run(executor: ActionExecutor, call: dict[str, Any]) -> dict[str, Any]:
    """The JSON the action server would send back to Rasa."""
    result = await executor.run(call)
    return result.model_dump()


def action_call(
    action: str,
    *,
    text: str = "",
    intent: str = "",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "next_action": action,
        "sender_id": "padma.finance:test",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "padma.finance:test",
            "slots": slots or {},
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 0.99},
                "entities": entities or [],
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


FINANCE = {"erp_user": "padma.finance", "erp_company": "padma"}


async def test_session_start_sets_identity_from_signed_metadata(executor: ActionExecutor) -> None:
    metadata = {"identity": {"user": "padma.finance", "company": "padma", "roles": ["x"]}}
    result = await run(
        executor, action_call("action_session_start", slots={"session_started_metadata": metadata})
    )
    events = {e.get("name"): e.get("value") for e in result["events"] if e["event"] == "slot"}
    assert events["erp_user"] == "padma.finance"
    assert events["erp_company"] == "padma"
    assert events["erp_roles"] == ["finance_manager"], "roles come from the database, not the token"
    assert result["events"][0]["event"] == "session_started"
    assert result["events"][-1] == {
        **result["events"][-1],
        "event": "action",
        "name": "action_listen",
    }


async def test_session_start_without_valid_identity_sets_nothing(executor: ActionExecutor) -> None:
    for metadata in ({}, {"identity": {"user": "padma.finance", "company": "northwind"}}, None):
        result = await run(
            executor,
            action_call("action_session_start", slots={"session_started_metadata": metadata}),
        )
        assert not [e for e in result["events"] if e["event"] == "slot"]


async def test_read_action_replies_with_text_and_a_table(executor: ActionExecutor) -> None:
    result = await run(
        executor,
        action_call("action_cash_balance", text="cash?", intent="ask_cash_balance", slots=FINANCE),
    )
    text_reply, custom_reply = result["responses"]
    assert text_reply["text"].startswith("Cash balance as of 22 Nov 2026: BDT ")
    assert custom_reply["custom"]["kind"] == "erp.answer"
    assert custom_reply["custom"]["payloads"][0]["type"] == "table"


async def test_without_identity_the_action_refuses(executor: ActionExecutor) -> None:
    result = await run(executor, action_call("action_cash_balance", text="cash?"))
    assert "sign in" in result["responses"][0]["text"]
    assert len(result["responses"]) == 1


async def test_ambiguous_name_offers_one_button_per_candidate(executor: ActionExecutor) -> None:
    result = await run(
        executor,
        action_call(
            "action_receivables",
            text="what does rahman owe",
            intent="ask_receivables",
            entities=[{"entity": "customer", "value": "rahman", "start": 10, "end": 16}],
            slots=FINANCE,
        ),
    )
    reply = result["responses"][0]
    assert reply["buttons"], reply
    first = reply["buttons"][0]
    assert first["payload"].startswith('/ask_receivables{"customer": ')
    assert first["title"] in first["payload"]


async def test_blocking_work_runs_off_the_event_loop(
    executor: ActionExecutor, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    class SlowService(ERPService):
        def ask(self, *args: Any, **kwargs: Any):
            time.sleep(0.5)  # a slow database
            return super().ask(*args, **kwargs)

    monkeypatch.setattr(common, "get_service", lambda: SlowService(sqlite_url, today=lambda: AS_OF))
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    started = time.perf_counter()
    calls = [action_call("action_cash_balance", slots=FINANCE) for _ in range(4)]
    await asyncio.gather(*(run(executor, c) for c in calls))
    elapsed = time.perf_counter() - started
    beat.cancel()
    assert elapsed < 1.5, "four 0.5 s actions should overlap, not queue"
    assert ticks >= 5, "the event loop kept running while the actions waited"
