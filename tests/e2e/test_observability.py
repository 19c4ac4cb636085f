"""Watching the assistant end to end: turn records with every stage, Prometheus
metrics on both servers, and JSON logs that follow one message by its request
id through both processes without personal data."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import cmd_kb_index
from tests.e2e.harness import DEFAULT_VAR_DIR, RunningStack, query, running_stack, text_of

pytestmark = pytest.mark.e2e

USER = "padma.finance"
SENDER = "observability"
PERSONAL = ("rahim.uddin@example.com", "+880 1711 234567")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    var_dir: Path = tmp_path_factory.mktemp("observability")
    indexed = DEFAULT_VAR_DIR / "kb"
    if indexed.exists():  # `make test` indexed the knowledge base: reuse it
        shutil.copytree(indexed, var_dir / "kb")
    with running_stack(var_dir, seed_scale=0.3) as running:
        if not indexed.exists():
            cmd_kb_index(running.settings)
        yield running


@pytest.fixture(scope="module")
def talked(stack: RunningStack) -> dict[str, Any]:
    replies = {
        "cash": stack.say(USER, "what's our cash balance?", SENDER),
        "policy": stack.say(USER, "what is the travel expense policy?", SENDER),
        "personal": stack.say(
            USER, f"my email is {PERSONAL[0]} and my phone is {PERSONAL[1]}", SENDER
        ),
    }
    assert "Cash balance" in text_of(replies["cash"])
    assert "Sources:" in text_of(replies["policy"]), text_of(replies["policy"])
    return replies


def turn_rows(stack: RunningStack, expected: int, timeout: float = 15) -> list[dict[str, Any]]:
    """The stored turn records, once `expected` have arrived (delivered after the reply)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [
            dict(row._mapping) for row in query(stack, "SELECT * FROM turn_metrics ORDER BY id")
        ]
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


def log_lines(stack: RunningStack, service: str) -> list[str]:
    return (stack.settings.var_dir / "logs" / f"{service}.log").read_text().splitlines()


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body = httpx.get(url, timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def test_every_turn_is_recorded_with_its_stages(stack: RunningStack, talked: dict) -> None:
    rows = turn_rows(stack, 3)
    assert len(rows) >= 3, rows
    cash = next(r for r in rows if r["intent"] == "ask_cash_balance")
    assert (cash["action"], cash["outcome"], cash["channel"]) == (
        "action_cash_balance",
        "answered",
        "erp",
    )
    assert cash["confidence"] > 0.5 and not cash["fallback"]
    for stage in ("nlu", "dialogue", "action", "database"):
        assert cash[f"{stage}_ms"] > 0, (stage, cash)
    assert cash["queries"] > 0
    assert cash["total_ms"] >= cash["nlu_ms"] + cash["dialogue_ms"]
    # the action's round trip holds its database time
    assert cash["action_ms"] >= cash["database_ms"]
    policy = next(r for r in rows if r["intent"] == "ask_policy")
    assert policy["retrieval_ms"] > 0, policy
    companies = {r["company_id"] for r in rows}
    assert len(companies) == 1 and None not in companies


def test_both_servers_expose_the_stage_latencies(stack: RunningStack, talked: dict) -> None:
    rasa = samples(f"{stack.settings.rasa_url}/metrics")
    for stage in ("nlu", "dialogue", "action", "total"):
        assert rasa[("erp_turn_stage_seconds_count", (("stage", stage),))] >= 3
    answered = rasa[("erp_turns_total", (("intent", "ask_cash_balance"), ("outcome", "answered")))]
    assert answered >= 1
    assert rasa[("erp_intent_confidence_count", (("intent", "ask_cash_balance"),))] >= 1
    actions = samples(f"{stack.settings.actions_url}/metrics")
    assert actions[("erp_action_stage_seconds_count", (("stage", "database"),))] >= 3
    assert actions[("erp_action_stage_seconds_sum", (("stage", "retrieval"),))] > 0


def test_one_request_id_follows_a_message_through_both_servers(
    stack: RunningStack, talked: dict
) -> None:
    cash = next(r for r in turn_rows(stack, 3) if r["intent"] == "ask_cash_balance")
    request_id = cash["request_id"]
    found: dict[str, list[dict[str, Any]]] = {}
    for service in ("rasa", "actions"):
        lines = [line for line in log_lines(stack, service) if request_id in line]
        found[service] = [json.loads(line) for line in lines]  # every one is JSON
        assert found[service], f"no {service} log line has {request_id}"
        assert all(entry["request_id"] == request_id for entry in found[service])
        assert {entry["service"] for entry in found[service]} == {service}
    (turn,) = [e for e in found["rasa"] if "turn" in e]
    assert turn["turn"]["intent"] == "ask_cash_balance"
    assert turn["turn"]["outcome"] == "answered"
    action = next(e for e in found["actions"] if e.get("action") == "action_cash_balance")
    assert action["queries"] > 0 and action["database_ms"] > 0


def test_logs_hold_no_personal_data(stack: RunningStack, talked: dict) -> None:
    lines = log_lines(stack, "rasa") + log_lines(stack, "actions")
    assert len(lines) > 10
    everything = "\n".join(lines)
    for secret in (*PERSONAL, "1711 234567", f"{USER}:{SENDER}", stack.token(USER)):
        assert secret not in everything, secret
    entries = [json.loads(line) for line in lines]  # every line is JSON
    own = [e for e in entries if e["level"] != "output"]  # not stray library output
    assert {e["service"] for e in own} == {"rasa", "actions"}
    assert any(e["logger"].startswith("rasa.") for e in own if e["service"] == "rasa")
    assert any(e["logger"] == "actions.server" for e in own if e["service"] == "actions")
