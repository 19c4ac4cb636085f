"""`make bench`: latency per read capability, confirmed writes, throughput and memory.

Talks to the authenticated HTTP channel exactly as a client would. Writes a
JSON report to var/bench/ and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from actions.erp.db import normalise_url
from bot.config import ROOT
from tests.e2e.harness import RunningStack, running_stack

QUESTIONS: dict[str, str] = {
    "cash_balance": "what's our cash balance?",
    "receivables": "which customers owe us money?",
    "payables": "how much do we owe suppliers?",
    "cash_flow": "cash flow outlook for the coming weeks",
    "purchase_orders": "show purchase orders pending approval",
    "pending_approvals": "what's waiting for my approval?",
    "stock": "what's our stock valuation?",
    "low_stock": "which products are below reorder level?",
    "sales": "how were sales last month?",
    "dashboard": "show me the dashboard",
    "customer": "how many customers do we have?",
    "document_status": "status of PO-2025-0042",
    "alerts": "any alerts for me?",
}
USER = "padma.admin"
# Conversation ids are unique per run: the tracker store outlives a run, and
# continuing yesterday's conversations would measure their length, not us.
RUN = uuid.uuid4().hex[:8]
CONCURRENCY = (1, 10, 50)
# A working session is a handful of questions; latency is measured on
# conversations of this length, and the growth over a long one apart.
TURNS_PER_CONVERSATION = 10
LONG_CONVERSATION_TURNS = 100


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def one_message(
    client: httpx.AsyncClient, stack: RunningStack, sender: str, text: str
) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        reply = await client.post(
            stack.webhook,
            json={"sender": sender, "message": text},
            headers={"Authorization": f"Bearer {stack.token(USER)}"},
        )
        ok = reply.status_code == 200 and any(m.get("text") for m in reply.json())
    except httpx.HTTPError:
        ok = False
    return (time.perf_counter() - started) * 1000, ok


async def latency(stack: RunningStack, repeats: int) -> dict[str, Any]:
    results = {}
    async with httpx.AsyncClient(timeout=60) as client:
        for capability, question in QUESTIONS.items():
            await one_message(client, stack, f"bench-{RUN}-warmup", question)
            samples = []
            failures = 0
            for i in range(repeats):
                sender = f"bench-{RUN}-{capability}-{i // TURNS_PER_CONVERSATION}"
                ms, ok = await one_message(client, stack, sender, question)
                samples.append(ms)
                failures += not ok
            results[capability] = {
                "p50_ms": round(percentile(samples, 50), 1),
                "p95_ms": round(percentile(samples, 95), 1),
                "p99_ms": round(percentile(samples, 99), 1),
                "mean_ms": round(statistics.fmean(samples), 1),
                "n": len(samples),
                "failed": failures,
            }
    return results


async def long_conversation(stack: RunningStack) -> dict[str, Any]:
    """How latency grows as one conversation gets long (the tracker grows with it)."""
    questions = list(QUESTIONS.values())
    samples = []
    async with httpx.AsyncClient(timeout=60) as client:
        for turn in range(LONG_CONVERSATION_TURNS):
            question = questions[turn % len(questions)]
            ms, _ = await one_message(client, stack, f"bench-{RUN}-long", question)
            samples.append(ms)
    return {
        "turns": LONG_CONVERSATION_TURNS,
        "mean_ms_first_10": round(statistics.fmean(samples[:10]), 1),
        "mean_ms_last_10": round(statistics.fmean(samples[-10:]), 1),
    }


async def throughput(stack: RunningStack, conversations: int, seconds: float) -> dict[str, Any]:
    questions = list(QUESTIONS.values())
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def conversation(index: int, client: httpx.AsyncClient) -> None:
        nonlocal failures
        turn = 0
        while time.perf_counter() < deadline:
            ms, ok = await one_message(
                client,
                stack,
                f"bench-{RUN}-c{conversations}-{index}-{turn // TURNS_PER_CONVERSATION}",
                questions[(index + turn) % len(questions)],
            )
            latencies.append(ms)
            failures += not ok
            turn += 1

    limits = httpx.Limits(max_connections=conversations + 5)
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        await asyncio.gather(*(conversation(i, client) for i in range(conversations)))
    elapsed = time.perf_counter() - started
    return {
        "conversations": conversations,
        "messages": len(latencies),
        "messages_per_s": round(len(latencies) / elapsed, 2),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "failed": failures,
    }


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
    from concurrent.futures import ThreadPoolExecutor

    from actions.erp.context import Request
    from actions.erp.service import ERPService

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
    import threading

    from actions.erp.context import Request

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


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{'capability':<20}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'failed':>8}")
    for name, row in report["latency"].items():
        print(
            f"{name:<20}{row['p50_ms']:>10}{row['p95_ms']:>10}{row['p99_ms']:>10}{row['failed']:>8}"
        )
    print(f"\n{'conversations':<20}{'msg/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'failed':>8}")
    for row in report["throughput"]:
        print(
            f"{row['conversations']:<20}{row['messages_per_s']:>10}{row['p50_ms']:>10}{row['p95_ms']:>10}{row['failed']:>8}"
        )
    long = report["long_conversation"]
    print(
        f"\none conversation of {long['turns']} turns: mean {long['mean_ms_first_10']} ms "
        f"for the first 10, {long['mean_ms_last_10']} ms for the last 10"
    )
    writes = report["confirmed_writes"]
    seq, conc = writes["sequential"], writes["concurrent"]
    print(
        f"\nconfirmed write (the 'yes' to the reply), one at a time: p50 {seq['p50_ms']} ms, "
        f"p95 {seq['p95_ms']} ms (n {seq['n']}, failed {seq['failed']})"
    )
    print(
        f"{conc['n']} different confirmations at once: all done in {conc['wall_ms']} ms, "
        f"p50 {conc['p50_ms']} ms, max {conc['max_ms']} ms (failed {conc['failed']}); "
        f"{conc['wall_vs_serial']} of the time one after another would take"
    )
    for row in writes["service"]:
        print(
            f"service only, {row['database']}: {row['concurrent_n']} at once in "
            f"{row['concurrent_wall_ms']} ms (one alone {row['serial_p50_ms']} ms; "
            f"{row['wall_vs_serial']} of serial time)"
        )
        if "while_another_is_locked" in row:
            lock = row["while_another_is_locked"]
            print(
                f"  with one order locked for {lock['held_for_ms']:.0f} ms, a different order "
                f"confirmed in {lock['other_document_ms']} ms (the locked one waited: "
                f"{lock['locked_document_ms']} ms)"
            )
    print("\nmemory (RSS MB): " + ", ".join(f"{k} {v}" for k, v in report["memory_mb"].items()))


def fresh_sqlite(var_dir: Path) -> str:
    from actions.erp.migrate import upgrade
    from actions.erp.seed import seed

    path = var_dir / "service.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    seed(url, as_of=date.today())
    return url


def postgres_confirmations() -> list[dict[str, Any]]:
    """The same on PostgreSQL, when the server of the test suite is there."""
    from actions.erp.migrate import upgrade
    from actions.erp.seed import seed
    from tests.conftest import create_pg_database, drop_pg_database

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    var_dir = ROOT / "var" / "bench"
    # writes use up pending purchase orders: they get a freshly seeded database
    writes_dir = var_dir / "writes"
    for name in ("erp.db", "erp.db-wal", "erp.db-shm"):
        (writes_dir / name).unlink(missing_ok=True)
    with running_stack(writes_dir) as stack:
        writes = asyncio.run(confirmed_writes(stack))
    writes["service"] = [service_confirmations(fresh_sqlite(writes_dir)), *postgres_confirmations()]
    with running_stack(var_dir) as stack:
        report: dict[str, Any] = {
            "when": datetime.now().isoformat(timespec="seconds"),
            "database": stack.settings.database_url.split("://")[0],
            "latency": asyncio.run(latency(stack, args.repeats)),
            "throughput": [asyncio.run(throughput(stack, n, args.seconds)) for n in CONCURRENCY],
            "long_conversation": asyncio.run(long_conversation(stack)),
            "confirmed_writes": writes,
        }
        report["memory_mb"] = {
            service.name: rss_mb(service.process.pid)
            for service in stack.stack.services
            if service.process
        }
    out = var_dir / f"bench-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nReport: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
