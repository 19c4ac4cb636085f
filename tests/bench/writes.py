"""Benchmarks of confirmed writes: end to end, and through the service alone."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from actions.erp.context import Request
from actions.erp.db import normalise_url
from actions.erp.migrate import upgrade
from actions.erp.seed import seed
from actions.erp.service import ERPService
from tests.bench.common import RUN, percentile
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.harness import RunningStack


def approvable_orders(stack: RunningStack, company: str) -> list[str]:
    """Pending purchase orders the company's administrator may approve (not their own)."""
    return approvable_orders_at(stack.settings.database_url, company)


async def confirm_latency(
    client: httpx.AsyncClient, stack: RunningStack, user: str, sender: str, number: str
) -> tuple[float, bool]:
    """Propose an approval (untimed), then time the confirming message to its reply."""
    headers = {"Authorization": f"Bearer {stack.token(user)}"}
    body = {"sender": sender, "message": f"approve {number}"}
    proposal = await client.post(stack.webhook, json=body, headers=headers)
    assert "Please confirm" in json.dumps(proposal.json()), proposal.text
    started = time.perf_counter()
    reply = await client.post(
        stack.webhook, json={"sender": sender, "message": "yes"}, headers=headers
    )
    ms = (time.perf_counter() - started) * 1000
    return ms, reply.status_code == 200 and "Done:" in json.dumps(reply.json())


async def confirmed_writes(stack: RunningStack) -> dict[str, Any]:
    """A whole confirmed write, one at a time and several different ones at once."""
    async with httpx.AsyncClient(timeout=60) as client:
        sequential = [
            await confirm_latency(client, stack, "padma.admin", f"bench-{RUN}-w{i}", number)
            for i, number in enumerate(approvable_orders(stack, "padma"))
        ]
        others = approvable_orders(stack, "northwind")
        proposals = []
        for i, number in enumerate(others):
            sender = f"bench-{RUN}-c{i}"
            headers = {"Authorization": f"Bearer {stack.token('northwind.admin')}"}
            body = {"sender": sender, "message": f"approve {number}"}
            await client.post(stack.webhook, json=body, headers=headers)
            proposals.append((sender, headers))

        async def confirm(sender: str, headers: dict[str, str]) -> tuple[float, bool]:
            started = time.perf_counter()
            reply = await client.post(
                stack.webhook, json={"sender": sender, "message": "yes"}, headers=headers
            )
            ok = "Done:" in json.dumps(reply.json())
            return (time.perf_counter() - started) * 1000, ok

        started = time.perf_counter()
        concurrent = await asyncio.gather(*(confirm(s, h) for s, h in proposals))
        wall = (time.perf_counter() - started) * 1000
    one_at_a_time = [ms for ms, _ in sequential]
    together = [ms for ms, _ in concurrent]
    return {
        "sequential": {
            "n": len(one_at_a_time),
            "p50_ms": round(percentile(one_at_a_time, 50), 1),
            "p95_ms": round(percentile(one_at_a_time, 95), 1),
            "failed": sum(not ok for _, ok in sequential),
        },
        "concurrent": {
            "n": len(together),
            "wall_ms": round(wall, 1),
            "p50_ms": round(percentile(together, 50), 1),
            "max_ms": round(max(together), 1),
            "failed": sum(not ok for _, ok in concurrent),
            # had they blocked each other, the batch would take about n × one confirm
            "wall_vs_serial": round(wall / (len(together) * percentile(one_at_a_time, 50)), 2),
        },
    }


def service_confirmations(url: str, company: str = "padma") -> dict[str, Any]:
    """Confirmations of different documents in threads, straight through the service.

    Without Rasa in front (one process, one core busy with NLU and policies)
    this shows whether the database work of one confirmation waits for another.
    """

    service = ERPService(url)
    user = (f"{company}.admin", company)
    tokens = []
    for i, number in enumerate(approvable_orders_at(url, company)):
        start = service.start_write(
            "approve_purchase_order", *user, Request(number, {"document_ref": [number]})
        )
        proposal = service.propose_write("approve_purchase_order", *user, start.draft, f"svc-{i}")
        tokens.append(proposal.token)
    half = len(tokens) // 2

    def confirm(token: str) -> float:
        started = time.perf_counter()
        assert service.confirm_write(token, *user).outcome == "done"
        return (time.perf_counter() - started) * 1000

    serial = [confirm(token) for token in tokens[:half]]
    with ThreadPoolExecutor(max_workers=len(tokens) - half) as pool:
        # open the pool's connections first: connecting is not what is measured
        list(pool.map(lambda _: service.profile(*user), range(len(tokens) - half)))
        started = time.perf_counter()
        together = list(pool.map(confirm, tokens[half:]))
        wall = (time.perf_counter() - started) * 1000
    result: dict[str, Any] = {
        "database": url.split("://")[0],
        "serial_p50_ms": round(percentile(serial, 50), 1),
        "concurrent_n": len(together),
        "concurrent_wall_ms": round(wall, 1),
        "concurrent_max_ms": round(max(together), 1),
        "wall_vs_serial": round(wall / (len(together) * percentile(serial, 50)), 2),
    }
    if url.startswith("postgresql"):
        other_company = "northwind" if company == "padma" else "padma"
        other_user = (f"{other_company}.admin", other_company)
        result["while_another_is_locked"] = confirm_beside_a_lock(
            service, other_user, url, other_company
        )
    return result


def confirm_beside_a_lock(
    service: Any, user: tuple[str, str], url: str, company: str
) -> dict[str, float]:
    """Hold one order's row lock (a slow confirmation) and confirm a different order."""

    held, other = approvable_orders_at(url, company)[:2]
    tokens = {}
    for number in (held, other):
        start = service.start_write(
            "approve_purchase_order", *user, Request(number, {"document_ref": [number]})
        )
        tokens[number] = service.propose_write(
            "approve_purchase_order", *user, start.draft, f"lock-{number}"
        ).token
    engine = create_engine(normalise_url(url))
    timings: dict[str, float] = {}

    def timed(number: str) -> None:
        started = time.perf_counter()
        service.confirm_write(tokens[number], *user)
        timings[number] = (time.perf_counter() - started) * 1000

    with engine.connect() as blocker:
        blocker.execute(
            text("SELECT id FROM purchase_orders WHERE number = :n FOR UPDATE"), {"n": held}
        )
        waiting = threading.Thread(target=timed, args=(held,))
        waiting.start()
        time.sleep(0.2)
        timed(other)
        time.sleep(1.0)
        blocker.rollback()
    waiting.join()
    engine.dispose()
    return {
        "held_for_ms": 1200.0,
        "other_document_ms": round(timings[other], 1),
        "locked_document_ms": round(timings[held], 1),
    }


def approvable_orders_at(url: str, company: str) -> list[str]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    """SELECT po.number FROM purchase_orders po
                       JOIN companies c ON c.id = po.company_id
                       JOIN users u ON u.id = po.created_by
                       WHERE po.status = 'pending_approval' AND c.code = :company
                         AND u.username <> :admin ORDER BY po.number"""
                ),
                {"company": company, "admin": f"{company}.admin"},
            )
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def fresh_sqlite(var_dir: Path) -> str:

    path = var_dir / "service.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    seed(url, as_of=date.today())
    return url


def postgres_confirmations() -> list[dict[str, Any]]:
    """The same on PostgreSQL, when the server of the test suite is there."""

    name = f"erp_bench_{RUN}"
    try:
        url = create_pg_database(name)
    except Exception as error:  # the bench runs without PostgreSQL too
        print(f"PostgreSQL not measured: {error}")
        return []
    try:
        upgrade(url)
        seed(url, as_of=date.today())
        return [service_confirmations(url)]
    finally:
        drop_pg_database(name)
