"""End to end on PostgreSQL (ERP data and tracker store) with the Redis lock store."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from actions.erp.db import normalise_url
from actions.erp.formatting import format_money
from bot.supervisor import action_server
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.harness import RunningStack, free_port, running_stack, text_of

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

REDIS = ("127.0.0.1", 6379)


def redis_command(*parts: str) -> bytes:
    """Send one command in RESP and return the raw reply (no client library needed)."""
    payload = f"*{len(parts)}\r\n" + "".join(f"${len(p)}\r\n{p}\r\n" for p in parts)
    with socket.create_connection(REDIS, timeout=5) as sock:
        sock.sendall(payload.encode())
        return sock.recv(65536)


def redis_commands_processed() -> int:
    info = redis_command("INFO", "stats").decode()
    for line in info.splitlines():
        if line.startswith("total_commands_processed:"):
            return int(line.split(":")[1])
    raise AssertionError("no total_commands_processed in INFO")


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    name = f"erp_e2e_{os.getpid()}"
    url = create_pg_database(name)
    var_dir: Path = tmp_path_factory.mktemp("pg-stack")
    env = {
        "DATABASE_URL": url,
        "LOCK_STORE_URL": "redis://127.0.0.1:6379/0",
    }
    try:
        with running_stack(var_dir, env, seed_scale=0.2) as running:
            yield running
    finally:
        drop_pg_database(name)


def test_answers_and_conversations_live_in_postgresql(pg_stack: RunningStack) -> None:
    url = pg_stack.settings.database_url
    before = redis_commands_processed()
    reply = text_of(pg_stack.say("padma.finance", "what's our cash balance?", "pg-e2e"))
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            cents = connection.execute(
                text(
                    """
                    SELECT COALESCE(SUM(jl.debit - jl.credit), 0)
                    FROM journal_lines jl
                    JOIN journal_entries je ON je.id = jl.entry_id
                    JOIN bank_accounts ba ON ba.gl_account_id = jl.account_id
                    JOIN companies c ON c.id = je.company_id
                    WHERE c.code = 'padma' AND je.entry_date <= :today
                    """
                ),
                {"today": date.today()},
            ).scalar()
            events = connection.execute(
                text("SELECT COUNT(*) FROM events WHERE sender_id = :sender"),
                {"sender": "padma.finance:pg-e2e"},
            ).scalar()
    finally:
        engine.dispose()
    assert format_money(Decimal(int(cents)) / 100, "BDT") in reply
    assert events > 0, "the tracker store should persist the conversation in PostgreSQL"
    # the Redis lock store takes and releases a lock for every message
    assert redis_commands_processed() > before


def test_a_second_action_server_sees_the_same_pending_confirmation(
    pg_stack: RunningStack,
) -> None:
    """Two action servers behind one address share confirmations through the database."""
    url = pg_stack.settings.database_url
    engine = create_engine(normalise_url(url))
    with engine.connect() as connection:
        number = connection.execute(
            text(
                """SELECT po.number FROM purchase_orders po
                   JOIN roles r ON r.id = po.approver_role_id
                   JOIN companies c ON c.id = po.company_id
                   JOIN users u ON u.id = po.created_by
                   WHERE po.status = 'pending_approval' AND r.code = 'purchasing_approver'
                     AND c.code = 'padma' AND u.username <> 'padma.approver'
                   ORDER BY po.number LIMIT 1"""
            )
        ).scalar_one()
    summary = pg_stack.say("padma.approver", f"approve {number}", "pg-two-servers")
    confirm = next(b["payload"] for m in summary for b in m.get("buttons") or [])
    token = json.loads(confirm.removeprefix("/affirm"))["confirmation_token"]

    second = action_server(replace(pg_stack.settings, actions_port=free_port()))
    second.start(pg_stack.settings.root, pg_stack.settings.var_dir / "logs-second", echo=False)
    try:
        deadline = time.monotonic() + 120
        while not second.healthy():
            assert second.alive() and time.monotonic() < deadline, "second action server died"
            time.sleep(0.5)
        # the second server runs the confirm step of the same conversation
        reply = httpx.post(
            second.health_url.removesuffix("/health") + "/webhook",
            json=action_request("action_confirm_write", token),
            timeout=30,
        ).json()
    finally:
        second.stop()
    assert f"Done: {number}" in reply["responses"][0]["text"]
    # and the first one, through Rasa, gets the recorded result
    again = text_of(pg_stack.say("padma.approver", confirm, "pg-two-servers"))
    assert "already done, once" in again
    with engine.connect() as connection:
        status, audits = connection.execute(
            text(
                """SELECT po.status, (SELECT COUNT(*) FROM audit_log a
                   WHERE a.entity_ref = po.number AND a.source = 'assistant')
                   FROM purchase_orders po WHERE po.number = :n"""
            ),
            {"n": number},
        ).one()
    engine.dispose()
    assert (status, audits) == ("approved", 1)


def action_request(action: str, token: str) -> dict:
    """The body Rasa sends an action server, for the pending confirmation's conversation."""
    return {
        "next_action": action,
        "sender_id": "padma.approver:pg-two-servers",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "padma.approver:pg-two-servers",
            "slots": {
                "erp_user": "padma.approver",
                "erp_company": "padma",
                "pending_confirmation": token,
            },
            "latest_message": {"text": "yes", "intent": {"name": "affirm"}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }
