"""Turn records on the Rasa side: stages measured inside the real processor."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.logs import REQUEST_ID
from connectors.turns import CURRENT_TURN, Turn, TurnQueue, instrument_rasa, turn_queue
from connectors.unreachable import answering


def test_the_outcome_says_how_the_turn_went() -> None:
    turn = Turn("r", "erp", "padma", intent="ask_cash_balance", replies=1)
    turn.actions = ["action_cash_balance", "action_listen"]
    assert (turn.outcome, turn.action, turn.fallback) == ("answered", "action_cash_balance", False)
    assert Turn("r", "erp", None, intent="nlu_fallback", replies=1).outcome == "fallback"
    two_stage = Turn("r", "erp", None, intent="ask_policy", replies=1)
    two_stage.actions = ["action_two_stage_fallback"]
    assert two_stage.fallback and two_stage.outcome == "fallback"
    failed = Turn("r", "erp", None, intent="ask_stock", replies=1)
    failed.failed_actions = ["action_stock"]
    assert failed.outcome == "error"
    assert Turn("r", "erp", None, unreachable=True, replies=1).outcome == "unreachable"
    assert Turn("r", "erp", None, intent="greet").outcome == "silent"
    bookkeeping = Turn("r", "erp", None)
    bookkeeping.actions = ["action_session_start", "action_listen"]
    assert bookkeeping.action is None


def test_wrapping_twice_wraps_once() -> None:
    from rasa.core.processor import MessageProcessor

    instrument_rasa()
    once = MessageProcessor.parse_message
    instrument_rasa()
    assert MessageProcessor.parse_message is once
    assert once.__wrapped__.__name__ == "parse_message"
    assert not getattr(once.__wrapped__, "__erp_instrumented__", False)


def test_undelivered_turns_wait_for_the_next_flush() -> None:
    delivered: list[list[dict]] = []
    failing = True

    async def send(batch: list[dict]) -> None:
        if failing:
            raise ConnectionError("action server down")
        delivered.append(batch)

    async def scenario() -> None:
        nonlocal failing
        queue = TurnQueue(send)
        queue.put({"request_id": "a"})
        await queue.flush()
        assert len(queue) == 1 and delivered == []
        failing = False
        queue.put({"request_id": "b"})
        await queue.flush()
        assert len(queue) == 0
        assert [r["request_id"] for r in delivered[0]] == ["a", "b"]

    asyncio.run(scenario())


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def agent():  # rasa's Agent, imported lazily
    model = os.environ.get("ERP_TEST_MODEL")
    if not model or not Path(model).exists():
        raise RuntimeError("ERP_TEST_MODEL must name a trained model (scripts/test.sh sets it)")
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    # an action server that is not there: the turn must still be measured and counted
    nowhere = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
    return Agent.load(model, action_endpoint=nowhere)


def test_a_real_message_is_measured_stage_by_stage(
    agent: object, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIONS_PORT", str(free_port()))
    handle = answering(agent.handle_message)  # type: ignore[attr-defined]
    output = CollectingOutputChannel()
    nlu_before = sample("erp_turn_stage_seconds_count", stage="nlu")
    queued_before = len(turn_queue())
    message = UserMessage(
        "what is our cash balance?",
        output,
        "padma.finance:turns",
        input_channel="erp",
        metadata={"identity": {"user": "padma.finance", "company": "padma"}},
    )
    with caplog.at_level(logging.INFO, logger="connectors.turns"):
        asyncio.run(handle(message))

    (logged,) = [r for r in caplog.records if getattr(r, "turn", None)]
    record = logged.turn
    assert record["request_id"] == message.metadata["request_id"]
    assert record["company"] == "padma" and record["channel"] == "erp"
    assert record["intent"] == "ask_cash_balance" and record["confidence"] > 0.5
    assert record["stages_ms"]["nlu"] > 0 and record["stages_ms"]["dialogue"] > 0
    assert record["total_ms"] >= sum(record["stages_ms"].values())
    # the action server is unreachable: the session start and the answer fail
    assert record["outcome"] == "unreachable", (record, output.messages)
    assert output.messages[-1]["text"].startswith("I can't reach the ERP")
    assert sample("erp_turn_stage_seconds_count", stage="nlu") == nlu_before + 1
    assert sample("erp_turns_total", intent="ask_cash_balance", outcome="unreachable") >= 1
    assert len(turn_queue()) == queued_before + 1  # kept until the action server is back
    assert REQUEST_ID.get() is None and CURRENT_TURN.get() is None
