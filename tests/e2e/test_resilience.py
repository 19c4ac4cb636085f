"""The assistant when what it depends on goes away mid-conversation, and when
it comes back: the action server stopped and started, the ERP database
refusing connections and accepting them again (PostgreSQL), and the health
endpoint saying which part is down.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.harness import RunningStack, query, running_stack, text_of

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PG_ADMIN = os.environ.get("ERP_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = f"erp_resilience_{os.getpid()}"
UNREACHABLE_ERP = "can't reach the ERP right now"
UNREACHABLE_DATABASE = "can't reach the ERP database right now"
NEW_SESSION = "resilience-new-session"


def admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{DATABASE}"')
    var_dir = tmp_path_factory.mktemp("resilience")
    env = {
        "DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + f"/{DATABASE}",
        # the conversations stay reachable while the ERP database is down
        "TRACKER_STORE_URL": f"sqlite:///{var_dir / 'tracker.db'}",
    }
    try:
        with running_stack(var_dir, env, seed_scale=0.3) as running:
            yield running
    finally:
        admin(f'ALTER DATABASE "{DATABASE}" ALLOW_CONNECTIONS true')
        admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def wait_for_rows(stack: RunningStack, sql: str, timeout: float = 15) -> list:
    deadline = time.monotonic() + timeout
    while not (rows := query(stack, sql)) and time.monotonic() < deadline:
        time.sleep(0.3)
    return rows


def health(stack: RunningStack) -> tuple[int, dict]:
    reply = httpx.get(f"{stack.settings.rasa_url}/health", timeout=10)
    return reply.status_code, reply.json()


def events_of(stack: RunningStack, conversation_id: str) -> list[dict]:
    reply = httpx.get(
        f"{stack.settings.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": stack.settings.rasa_api_token()},
        timeout=10,
    )
    return reply.json()["events"]


def test_health_names_every_part(stack: RunningStack) -> None:
    status, body = health(stack)
    assert status == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {"model", "tracker_store", "lock_store", "action_server"}
    assert body["checks"]["tracker_store"]["detail"] == "sqlite"


def test_the_action_server_stops_and_comes_back(stack: RunningStack) -> None:
    sender = "resilience-actions"
    assert "Cash balance" in text_of(stack.say("padma.finance", "what's our cash balance?", sender))
    actions = next(s for s in stack.stack.services if s.name == "actions")
    actions.stop()
    try:
        status, body = health(stack)
        assert status == 503 and body["checks"]["action_server"]["ok"] is False
        assert body["checks"]["model"]["ok"] is True
        reply = stack.say("padma.finance", "which customers owe us money?", sender)
        assert UNREACHABLE_ERP in text_of(reply)
        # the message is kept: it is in the conversation, not lost
        texts = [e.get("text") for e in events_of(stack, f"padma.finance:{sender}")]
        assert "which customers owe us money?" in texts
    finally:
        stack.stack.restart("actions")
    assert health(stack)[0] == 200
    reply = stack.say("padma.finance", "which customers owe us money?", sender)
    assert "owe us" in text_of(reply) and UNREACHABLE_ERP not in text_of(reply)
    # the turn that could not be answered was kept and delivered once the server was back
    assert wait_for_rows(
        stack,
        "SELECT outcome FROM turn_metrics "
        "WHERE intent = 'ask_receivables' AND outcome = 'unreachable'",
    )


def test_the_database_refuses_connections_and_accepts_them_again(stack: RunningStack) -> None:
    sender = "resilience-database"
    assert "Cash balance" in text_of(stack.say("padma.finance", "what's our cash balance?", sender))
    admin(f'ALTER DATABASE "{DATABASE}" ALLOW_CONNECTIONS false')
    admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{DATABASE}' AND pid <> pg_backend_pid()"
    )
    try:
        reply = stack.say("padma.finance", "which customers owe us money?", sender)
        assert UNREACHABLE_DATABASE in text_of(reply)
        # a conversation that starts now cannot look its user up in the database
        started_down = stack.say("padma.finance", "what's our cash balance?", NEW_SESSION)
        assert UNREACHABLE_DATABASE in text_of(started_down), text_of(started_down)
    finally:
        admin(f'ALTER DATABASE "{DATABASE}" ALLOW_CONNECTIONS true')
    reply = stack.say("padma.finance", "what's our cash balance?", sender)
    assert "Cash balance" in text_of(reply)
    # ... and it still knows who is speaking once the database is back
    reply = stack.say("padma.finance", "what's our cash balance?", NEW_SESSION)
    assert "Cash balance" in text_of(reply), text_of(reply)
