"""`make bench`: latency per read capability and where it goes by stage, confirmed writes,
throughput, voice, the training studio and memory.

Talks to the authenticated HTTP channel exactly as a client would. Writes a
JSON report to var/bench/ and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bot.config import ROOT
from tests.bench.common import RUN, percentile
from tests.bench.knowledge import knowledge_bench
from tests.bench.stages import logging_cost, print_stages, since_now, stage_breakdown
from tests.bench.studio import print_studio, studio_bench
from tests.bench.voice import voice_bench
from tests.bench.webchat import webchat_bench
from tests.bench.writes import (
    confirmed_writes,
    fresh_sqlite,
    postgres_confirmations,
    service_confirmations,
)
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
CONCURRENCY = (1, 10, 50)
# A working session is a handful of questions; latency is measured on
# conversations of this length, and the growth over a long one apart.
TURNS_PER_CONVERSATION = 10
LONG_CONVERSATION_TURNS = 100


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
    knowledge = report["knowledge"]
    indexing = knowledge["indexing"]
    print(
        f"\nknowledge: indexing {indexing['passages']} passages of {indexing['documents']} "
        f"documents at {indexing['passages_per_second']} passages/s; "
        f"answer over HTTP p50 {knowledge['http']['p50_ms']} ms, "
        f"p95 {knowledge['http']['p95_ms']} ms"
    )
    print(f"  {'mode':<12} {'R@1':>5} {'R@3':>5} {'abstain':>8} {'cited ok':>9} {'p50 ms':>7}")
    for row in knowledge["evaluation"]:
        print(
            f"  {row['mode']:<12} {row['recall_at_1']:>5} {row['recall_at_3']:>5} "
            f"{row['abstention_rate']:>8} {row['cited_source_correct']:>9} "
            f"{row['latency_p50_ms']:>7}"
        )
    chat = report["webchat"]
    alone, crowd = chat["one_client"], chat["fifty_clients"]
    print(
        f"\nweb chat (Socket.IO), question to first reply: p50 {alone['p50_ms']} ms, "
        f"p95 {alone['p95_ms']} ms alone; {crowd['clients']} clients at once: "
        f"{crowd['messages_per_s']} msg/s, p50 {crowd['p50_ms']} ms, p95 {crowd['p95_ms']} ms, "
        f"{crowd['conversations_with_gaps']} conversations with a lost or misordered event"
    )
    print_stages(report["stages"])
    print_voice(report["voice"])
    print_studio(report["studio"])
    print("\nmemory (RSS MB): " + ", ".join(f"{k} {v}" for k, v in report["memory_mb"].items()))


def print_voice(voice: dict[str, Any]) -> None:
    stages = ", ".join(f"{stage} {ms} ms" for stage, ms in voice["stage_mean_ms"].items())
    print(
        f"\nvoice ({voice['speech_to_text']} + {voice['text_to_speech']}): a "
        f"{voice['question_seconds']:g}-second spoken question to the first byte of the reply "
        f"audio p50 {voice['first_byte_p50_ms']} ms, p95 {voice['first_byte_p95_ms']} ms "
        f"(target {voice['target_ms']} ms; n {voice['n']}, failed {voice['failed']}); "
        f"server stages: {stages}; heard {voice['heard']!r}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--generative", action="store_true", help="also evaluate the bundled local LLM"
    )
    parser.add_argument(
        "--voice-only", action="store_true", help="only the voice channel's latency"
    )
    parser.add_argument(
        "--studio-only", action="store_true", help="only the training studio (its own stack)"
    )
    parser.add_argument(
        "--stages-only", action="store_true", help="only latency per capability, by stage"
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=300,
        help="conversations in the studio's inbox (4 user turns each)",
    )
    args = parser.parse_args()
    if args.studio_only:
        studio = studio_bench(args.conversations)
        out = ROOT / "var" / "bench" / f"bench-studio-{datetime.now():%Y%m%d-%H%M%S}.json"
        out.write_text(json.dumps({"studio": studio}, indent=2) + "\n")
        print_studio(studio)
        print(f"\nReport: {out.relative_to(ROOT)}")
        return
    if args.voice_only:
        with running_stack(ROOT / "var" / "bench") as stack:
            voice = voice_bench(stack, args.repeats)
        print_voice(voice)
        return
    var_dir = ROOT / "var" / "bench"
    if args.stages_only:
        with running_stack(var_dir) as stack:
            since = since_now()
            report = {"latency": asyncio.run(latency(stack, args.repeats))}
            report["stages"] = {**stage_breakdown(stack, since), "logging": logging_cost()}
        print_stages(report["stages"])
        return
    # writes use up pending purchase orders: they get a freshly seeded database
    writes_dir = var_dir / "writes"
    for name in ("erp.db", "erp.db-wal", "erp.db-shm"):
        (writes_dir / name).unlink(missing_ok=True)
    with running_stack(writes_dir) as stack:
        writes = asyncio.run(confirmed_writes(stack))
    writes["service"] = [service_confirmations(fresh_sqlite(writes_dir)), *postgres_confirmations()]
    with running_stack(var_dir) as stack:
        since = since_now()
        report: dict[str, Any] = {
            "when": datetime.now().isoformat(timespec="seconds"),
            "database": stack.settings.database_url.split("://")[0],
            "latency": asyncio.run(latency(stack, args.repeats)),
            "stages": {**stage_breakdown(stack, since), "logging": logging_cost()},
            "throughput": [asyncio.run(throughput(stack, n, args.seconds)) for n in CONCURRENCY],
            "long_conversation": asyncio.run(long_conversation(stack)),
            "confirmed_writes": writes,
            "knowledge": knowledge_bench(stack, args.repeats, args.generative),
            "webchat": webchat_bench(stack, args.repeats),
            "voice": voice_bench(stack, args.repeats),
        }
        report["memory_mb"] = {
            service.name: rss_mb(service.process.pid)
            for service in stack.stack.services
            if service.process
        }
    # its own stack: a fresh tracker store, and the studio on a copy of the project
    report["studio"] = studio_bench(args.conversations)
    out = var_dir / f"bench-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nReport: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
