"""End to end with a local LLM: generated text streams to the client as it is made.

The model is the tiny random-weight GGUF the knowledge tests build: what it
writes is noise, so the grounding check rejects it and the final message is
the extractive answer. That is the case a client must handle anyway: the
streamed draft is provisional, the `message` events are the answer of record.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.cli import cmd_kb_index
from tests.e2e.chat_client import ChatClient, sign_in
from tests.e2e.harness import DEFAULT_VAR_DIR, RunningStack, payloads_of, running_stack, text_of
from tests.e2e.test_knowledge import stream
from tests.knowledge.tiny_llm import build_tiny_gguf

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def llm_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    model = build_tiny_gguf(tmp_path_factory.mktemp("llm") / "tiny.gguf")
    with running_stack(DEFAULT_VAR_DIR, extra_env={"LLM_MODEL_PATH": str(model)}) as running:
        cmd_kb_index(running.settings)
        yield running


def test_tokens_stream_before_the_answer_of_record(llm_stack: RunningStack) -> None:
    events = stream(llm_stack, "padma.finance", "what's the hotel limit in Chattogram?", "llm-s")
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "token" and kinds[-1] == "done"
    assert kinds.index("message") > max(i for i, k in enumerate(kinds) if k == "token")
    draft = "".join(data["text"] for kind, data in events if kind == "token")
    assert draft.strip()
    messages = [data for kind, data in events if kind == "message"]
    (payload,) = [p for p in payloads_of(messages) if p.get("type") == "sources"]
    assert payload["mode"] == "extractive-fallback"  # the noise was not grounded
    assert "Chattogram and Cox's Bazar: M1 BDT 12,000" in text_of(messages)


def test_the_plain_webhook_still_answers_with_an_llm_configured(llm_stack: RunningStack) -> None:
    replies = llm_stack.say("northwind.finance", "how do I post an invoice?", sender="llm-h")
    assert "How to post a customer invoice" in text_of(replies)
    (payload,) = [p for p in payloads_of(replies) if p.get("type") == "sources"]
    assert payload["mode"] in ("generative", "extractive-fallback")  # the LLM was asked


async def test_the_web_chat_gets_the_draft_token_by_token(llm_stack: RunningStack) -> None:
    client = ChatClient(llm_stack, sign_in(llm_stack, "padma.finance"))
    await client.connect()
    try:
        replies = await client.ask("what's the hotel limit in Chattogram?", timeout=60)
    finally:
        await client.close()
    chunks = client.of("bot_stream")
    assert chunks and len({c["stream_id"] for c in chunks}) == 1
    kinds = [event for event, _ in client.events]
    last_chunk = max(i for i, kind in enumerate(kinds) if kind == "bot_stream")
    first_reply = kinds.index("bot_uttered")
    assert last_chunk < first_reply  # the draft came first, then the answer of record
    replacing = [m for m in replies if m.get("stream_id")]
    assert replacing and replacing[0]["stream_id"] == chunks[0]["stream_id"]
    assert "Chattogram and Cox's Bazar: M1 BDT 12,000" in replacing[0]["text"]
