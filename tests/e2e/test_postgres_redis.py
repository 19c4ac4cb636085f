"""End to end on PostgreSQL (ERP data and tracker store) with the Redis lock store."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from actions.erp.db import normalise_url
from actions.erp.formatting import format_money
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.harness import RunningStack, running_stack, text_of

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
