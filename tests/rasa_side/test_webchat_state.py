"""The web chat channel's per-conversation bookkeeping and message shapes."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rasa.shared.core.events import BotUttered, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from connectors.webchat.channel import page_context  # noqa: E402
from connectors.webchat.conversations import Conversation, Conversations  # noqa: E402
from connectors.webchat.messages import bot_message, find_bot_text, history  # noqa: E402


def test_events_are_numbered_and_replayed_after_the_last_seen() -> None:
    conversation = Conversation("u:s")
    for text in ("a", "b", "c"):
        conversation.record("bot_uttered", {"text": text})
    assert [d["seq"] for _, d in conversation.missed(0)] == [1, 2, 3]
    assert [d["text"] for _, d in conversation.missed(2)] == ["c"]
    assert conversation.missed(3) == []


def test_a_client_id_is_handled_once() -> None:
    conversation = Conversation("u:s")
    assert conversation.first_time("m1") and not conversation.first_time("m1")
    assert conversation.first_time(None) and conversation.first_time(None)  # no id: no dedupe


def test_idle_conversations_are_forgotten_first() -> None:
    conversations = Conversations(limit=2)
    first = conversations.get("a")
    conversations.get("b")
    conversations.get("a")  # used again: now the most recent
    conversations.get("c")
    assert conversations.get("a") is first
    assert len(conversations._items) == 2


def test_buttons_become_quick_replies_and_history_shows_titles() -> None:
    shaped = bot_message(
        {
            "text": "Confirm?",
            "buttons": [{"title": "Confirm", "payload": "/affirm"}],
            "timestamp": 5,
        }
    )
    assert shaped["quick_replies"] == [
        {"content_type": "text", "title": "Confirm", "payload": "/affirm"}
    ]
    tracker = DialogueStateTracker.from_events(
        "u:s",
        [
            UserUttered("approve PO-1", timestamp=1.0),
            BotUttered(
                "Confirm?", {"buttons": [{"title": "Confirm", "payload": "/affirm"}]}, timestamp=2.0
            ),
            UserUttered("/affirm", timestamp=3.0),
            BotUttered("Done.", timestamp=4.0),
        ],
    )
    messages = history(tracker)
    assert [(m["sender"], m["text"]) for m in messages] == [
        ("user", "approve PO-1"),
        ("bot", "Confirm?"),
        ("user", "Confirm"),
        ("bot", "Done."),
    ]
    assert messages[1]["buttons"] == [{"title": "Confirm", "payload": "/affirm"}]
    assert find_bot_text(tracker, messages[3]["id"]) == "Done."
    assert find_bot_text(tracker, "9.000000") is None


def test_page_context_keeps_only_what_it_expects() -> None:
    assert page_context({"page": {"module": "sales", "path": "/orders"}}) == {
        "module": "sales",
        "path": "/orders",
    }
    assert page_context({"page": {"module": "x" * 100, "evil": 1}}) == {}
    assert page_context("not a dict") == {}
