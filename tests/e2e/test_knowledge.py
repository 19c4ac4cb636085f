"""End to end: policy questions through the real Rasa server and action server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from bot.auth import sign_stream_chunk
from bot.cli import cmd_kb_index
from tests.e2e.harness import DEFAULT_VAR_DIR, RunningStack, payloads_of, running_stack, text_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with running_stack(DEFAULT_VAR_DIR) as running:
        cmd_kb_index(running.settings)  # a no-op when `make test` indexed already
        yield running


def sources_of(replies: list[dict]) -> dict:
    (payload,) = [p for p in payloads_of(replies) if p.get("type") == "sources"]
    return payload


def test_policy_question_is_answered_with_sources(stack: RunningStack) -> None:
    replies = stack.say("padma.sales", "what's the travel policy?", sender="kb-travel")
    text = text_of(replies)
    assert "Travel and Expenses Policy" in text and "Accommodation" in text
    assert "Sources: Travel and Expenses Policy" in text
    sources = sources_of(replies)
    assert sources["outcome"] == "answered" and sources["mode"] == "extractive"
    link = sources["items"][0]["url"]
    assert link.startswith("/knowledge/padma/travel-and-expenses.md?company=padma&expires=")
    assert "&signature=" in link


def test_how_to_and_follow_up(stack: RunningStack) -> None:
    first = text_of(stack.say("padma.finance", "what's the hotel limit in Chattogram?", "kb-f"))
    assert "Chattogram and Cox's Bazar: M1 BDT 12,000" in first
    follow = text_of(stack.say("padma.finance", "and abroad?", "kb-f"))
    assert "Abroad: M1 BDT 28,000" in follow
    how_to = text_of(stack.say("northwind.finance", "how do I post an invoice?", "kb-h"))
    assert "How to post a customer invoice" in how_to


def test_other_companies_documents_are_never_used(stack: RunningStack) -> None:
    replies = stack.say("northwind.finance", "how much is the Eid festival bonus?", "kb-iso")
    assert "Festival Bonus and Salary Advance Policy" not in text_of(replies)
    for item in sources_of(replies)["items"]:
        assert not item["path"].startswith("padma/")


def test_unanswerable_question_gets_an_honest_no(stack: RunningStack) -> None:
    replies = stack.say("padma.warehouse", "what is the policy on bringing pets to the office?")
    text = text_of(replies)
    assert "I don't know" in text or "outside what I can help with" in text
    assert "Sources:" not in text


def test_gibberish_falls_back_to_the_rephrase_message(stack: RunningStack) -> None:
    replies = stack.say("padma.finance", "blorp snazzle quux", sender="kb-gibberish")
    assert "Could you rephrase it?" in text_of(replies) or "outside what I can help" in text_of(
        replies
    )
    assert not payloads_of(replies)


def test_source_links_open_the_cited_document(stack: RunningStack) -> None:
    replies = stack.say("padma.finance", "what's the hotel limit in Chattogram?", "kb-link")
    item = sources_of(replies)["items"][0]
    url, anchor = item["url"].split("#")
    page = httpx.get(stack.settings.rasa_url + url, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'id="{anchor}"' in page.text and item["section"] in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]

    original = httpx.get(stack.settings.rasa_url + url + "&original=1", timeout=10)
    assert original.status_code == 200
    assert original.content == (stack.settings.kb_dir / item["path"]).read_bytes()


def test_source_links_do_not_open_other_documents(stack: RunningStack) -> None:
    replies = stack.say("padma.finance", "what's the hotel limit in Chattogram?", "kb-link2")
    url = sources_of(replies)["items"][0]["url"].split("#")[0]
    path, _, query = url.partition("?")
    base = stack.settings.rasa_url
    tampered = base + url.replace("signature=", "signature=x")
    other_document = base + "/knowledge/padma/leave-policy.txt?" + query
    other_company = base + path.replace("/padma/", "/northwind/") + "?" + query
    for link in (tampered, other_document, other_company):
        refused = httpx.get(link, timeout=10)
        assert refused.status_code == 403 and "expired or is not valid" in refused.text
    assert httpx.get(base + "/knowledge/padma/../secret_key?" + query).status_code == 404
    assert httpx.get(base + path, timeout=10).status_code == 400  # no signature at all


def stream(stack: RunningStack, username: str, message: str, sender: str) -> list[tuple]:
    """The server-sent events of one streamed message, as (event, data)."""
    events: list[tuple] = []
    with httpx.stream(
        "POST",
        f"{stack.settings.rasa_url}/webhooks/erp/stream",
        json={"sender": sender, "message": message},
        headers={"Authorization": f"Bearer {stack.token(username)}"},
        timeout=60,
    ) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in reply.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                events.append((event, json.loads(line[len("data: ") :])))
    return events


def test_the_stream_endpoint_ends_with_the_answer(stack: RunningStack) -> None:
    events = stream(stack, "padma.finance", "what's the hotel limit in Chattogram?", "kb-s")
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and "token" not in kinds  # extractive: nothing to stream
    text = " ".join(data.get("text", "") for kind, data in events if kind == "message")
    assert "Chattogram and Cox's Bazar: M1 BDT 12,000" in text


def test_stream_requests_are_checked(stack: RunningStack) -> None:
    endpoint = f"{stack.settings.rasa_url}/webhooks/erp/stream"
    assert httpx.post(endpoint, json={"message": "hi"}).status_code == 401
    auth = {"Authorization": f"Bearer {stack.token('padma.finance')}"}
    assert httpx.post(endpoint, json={"message": ""}, headers=auth).status_code == 400
    chunks = endpoint + "/tokens"
    body = json.dumps({"stream": "nope", "text": "forged"}).encode()
    unsigned = httpx.post(chunks, content=body, headers={"X-Stream-Signature": "x"})
    assert unsigned.status_code == 401
    secret = stack.settings.secret_key()
    signed = {"X-Stream-Signature": sign_stream_chunk(secret, body)}
    assert httpx.post(chunks, content=body, headers=signed).status_code == 404  # no such stream
    malformed = b'{"stream": 5}'
    headers = {"X-Stream-Signature": sign_stream_chunk(secret, malformed)}
    assert httpx.post(chunks, content=malformed, headers=headers).status_code == 400
