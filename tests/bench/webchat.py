"""Web chat over Socket.IO: the time to the first reply, alone and with 50 clients."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.bench.common import percentile
from tests.e2e.chat_client import ChatClient, sign_in
from tests.e2e.harness import RunningStack

QUESTIONS = ["what's our cash balance?", "which customers owe us money?", "hello"]
USER = "padma.admin"


async def first_reply_ms(client: ChatClient, text: str) -> float:
    before = len(client.events)
    started = time.perf_counter()
    await client.say(text)
    await client.wait_for(lambda: any(e == "bot_uttered" for e, _ in client.events[before:]), 60)
    elapsed = (time.perf_counter() - started) * 1000
    await client.wait_for(
        lambda: any(e == "bot_typing" and not d["typing"] for e, d in client.events[before:]), 60
    )
    return elapsed


async def one_client(stack: RunningStack, repeats: int) -> dict[str, Any]:
    client = ChatClient(stack, sign_in(stack, USER))
    await client.connect()
    try:
        await first_reply_ms(client, "hello")  # warm-up
        samples = [await first_reply_ms(client, QUESTIONS[i % 3]) for i in range(repeats)]
    finally:
        await client.close()
    return {
        "p50_ms": round(percentile(samples, 50), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "n": len(samples),
    }


async def many_clients(stack: RunningStack, clients: int, turns: int) -> dict[str, Any]:
    token = sign_in(stack, USER)
    chats = [ChatClient(stack, token) for _ in range(clients)]
    await asyncio.gather(*(c.connect() for c in chats))
    samples: list[float] = []

    async def converse(chat: ChatClient, index: int) -> None:
        for turn in range(turns):
            samples.append(await first_reply_ms(chat, QUESTIONS[(index + turn) % 3]))

    started = time.perf_counter()
    try:
        await asyncio.gather(*(converse(c, i) for i, c in enumerate(chats)))
    finally:
        await asyncio.gather(*(c.close() for c in chats))
    elapsed = time.perf_counter() - started
    lost = 0
    for chat in chats:
        seqs = [d["seq"] for e, d in chat.events if e in ("user_echo", "bot_uttered")]
        lost += seqs != list(range(1, len(seqs) + 1))
    return {
        "clients": clients,
        "messages": len(samples),
        "messages_per_s": round(len(samples) / elapsed, 2),
        "p50_ms": round(percentile(samples, 50), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "conversations_with_gaps": lost,
    }


def webchat_bench(stack: RunningStack, repeats: int) -> dict[str, Any]:
    return {
        "one_client": asyncio.run(one_client(stack, repeats)),
        "fifty_clients": asyncio.run(many_clients(stack, 50, 4)),
    }
