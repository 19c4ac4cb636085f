"""End to end: policy questions through the real Rasa server and action server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
