"""The conversation index and trainers' marks over Rasa's real SQL tracker
store, on SQLite and on PostgreSQL (Rasa environment, no servers)."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot.studio.conversations import ConversationIndex  # noqa: E402
from bot.studio.marks import BadMarks, MarkStore, checked_changes  # noqa: E402
from bot.studio.texts import normalised, text_id  # noqa: E402
from bot.studio.turns import describe, split_turns, visible  # noqa: E402

PG_ADMIN = os.environ.get("ERP_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLTrackerStore]:
    if request.param == "sqlite":
        store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
        yield store
        store.engine.dispose()
        return
    name = f"studio_test_{os.getpid()}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    store = SQLTrackerStore(
        Domain.empty(),
        dialect="postgresql",
        host="127.0.0.1",
        port=5432,
        username="postgres",
        db=name,
    )
    yield store
    store.engine.dispose()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def user(text: str, intent: str, confidence: float, company: str, at: float) -> UserUttered:
    return UserUttered(
        text,
        intent={"name": intent, "confidence": confidence},
        parse_data={
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            "text": text,
        },
        input_channel="webchat",
        metadata={"identity": {"user": f"{company}.finance", "company": company}},
        timestamp=at,
    )


def save(store: SQLTrackerStore, sender: str, events: list) -> None:
    tracker = DialogueStateTracker.from_events(sender, events)
    asyncio.run(store.save(tracker))


def test_the_index_summarises_conversations_and_reads_only_new_events(
    tracker_store: SQLTrackerStore,
) -> None:
    save(
        tracker_store,
        "padma.finance:one",
        [
            user("cash please", "ask_cash_balance", 0.9, "padma", 100.0),
            ActionExecuted(
                "action_cash_balance", policy="RulePolicy", confidence=1.0, timestamp=101.0
            ),
            BotUttered("Cash is 5.", timestamp=102.0),
            user("zzz qqq", "nlu_fallback", 0.2, "padma", 110.0),
            ActionExecuted("action_default_fallback", timestamp=111.0),
        ],
    )
    save(tracker_store, "northwind.finance:two", [user("hello", "greet", 0.99, "northwind", 200.0)])
    index = ConversationIndex(tracker_store.engine)
    index.sync()
    [padma] = index.summaries("padma")
    assert (padma.id, padma.user, padma.channel, padma.turns) == (
        "padma.finance:one",
        "padma.finance",
        "webchat",
        2,
    )
    assert padma.fallback and padma.min_confidence == pytest.approx(0.2)
    assert padma.intents == {"ask_cash_balance", "nlu_fallback"}
    assert "action_cash_balance" in padma.actions and "action_listen" not in padma.actions
    assert padma.first_message == "cash please"
    assert [s.id for s in index.summaries("northwind")] == ["northwind.finance:two"]
    inbox = {e.text for e in index.inbox("padma")}
    assert inbox == {"cash please", "zzz qqq"}

    # the same text again, differently spelt: one inbox entry, counted twice
    save(
        tracker_store,
        "padma.finance:three",
        [user("ZZZ   qqq", "out_of_scope", 0.4, "padma", 300.0)],
    )
    index.sync()
    entry = next(e for e in index.inbox("padma") if e.id == text_id("zzz qqq"))
    assert entry.count == 2 and entry.intent == "out_of_scope"  # the latest reading
    assert entry.conversation_id == "padma.finance:three"
    assert len(index.summaries("padma")) == 2


def test_events_make_turns(tracker_store: SQLTrackerStore) -> None:
    save(
        tracker_store,
        "padma.finance:t",
        [
            ActionExecuted("action_session_start", timestamp=1.0),
            ActionExecuted("action_listen", timestamp=1.0),
            user("cash please", "ask_cash_balance", 0.9, "padma", 2.0),
            ActionExecuted(
                "action_cash_balance", policy="RulePolicy", confidence=1.0, timestamp=3.0
            ),
            BotUttered("Cash is 5.", timestamp=4.5),
        ],
    )
    events = ConversationIndex(tracker_store.engine).events("padma.finance:t")
    turns = [
        describe(i, chunk, {"4.500000": "down"}) for i, chunk in enumerate(split_turns(events))
    ]
    assert not visible(turns[0])  # the session start alone shows nothing
    turn = turns[1]
    assert turn["user"]["intent"] == "ask_cash_balance" and turn["user"]["confidence"] == 0.9
    assert turn["actions"] == [
        {"name": "action_cash_balance", "confidence": 1.0, "policy": "RulePolicy"}
    ]
    assert turn["bot"][0]["text"] == "Cash is 5." and turn["bot"][0]["feedback"] == "down"


def test_marks_merge_field_by_field_and_refuse_bad_input(tracker_store: SQLTrackerStore) -> None:
    marks = MarkStore(tracker_store.engine)
    marks.update("c1", "padma", "padma.trainer", checked_changes({"tags": ["b", "a", "a"]}))
    marked = marks.update("c1", "padma", "padma.admin", checked_changes({"reviewed": True}))
    assert marked.tags == ["a", "b"] and marked.reviewed and marked.reviewed_by == "padma.admin"
    assert marks.update("c1", "padma", "x", {"reviewed": False}).reviewed_by is None
    assert set(marks.all_marks("padma")) == {"c1"} and marks.all_marks("northwind") == {}
    for bad in (
        {"tags": "a"},
        {"tags": ["a b"]},
        {"flagged": 1},
        {"note": "x" * 3000},
        {"x": 1},
        {},
    ):
        with pytest.raises(BadMarks):
            checked_changes(bad)


def test_two_trainers_marking_at_once_lose_nothing(tracker_store: SQLTrackerStore) -> None:
    marks = MarkStore(tracker_store.engine)
    marks.decided("padma")  # creates the tables before the race
    errors: list[BaseException] = []

    def mark(field: str, value: object) -> None:
        try:
            for _ in range(10):
                marks.update("race", "padma", field, checked_changes({field: value}))
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=mark, args=("flagged", True)),
        threading.Thread(target=mark, args=("note", "both kept")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    final = marks.marks("race")
    assert final.flagged and final.note == "both kept"


def test_inbox_decisions_are_per_company(tracker_store: SQLTrackerStore) -> None:
    marks = MarkStore(tracker_store.engine)
    marks.decide("padma", ["a" * 40, "a" * 40], "deleted", "padma.trainer")
    marks.decide("padma", ["a" * 40, "b" * 40], "accepted", "padma.trainer")
    assert marks.decided("padma") == {"a" * 40, "b" * 40}
    assert marks.decided("northwind") == set()


def test_texts_compare_without_case_or_spacing() -> None:
    assert normalised("  What's  our CASH ") == "what's our cash"
    assert text_id("Cash  please") == text_id("cash please") != text_id("cash, please")


def test_operations_count_per_day_and_rank_capabilities() -> None:
    from datetime import date

    from bot.studio.conversations import TurnStat
    from bot.studio.operations import capabilities, daily

    day = 86400.0
    start = 20000 * day  # 2024-10-04
    turns = [
        TurnStat("padma", start + 10, "greet", False, "utter_greet", start + 10.1),
        TurnStat("padma", start + 20, "ask_sales", False, "action_sales", start + 21.5),
        TurnStat("padma", start + day, "nlu_fallback", True, "action_default_fallback", None),
    ]
    feedback = [{"updated_at": "2024-10-05T09:00:00Z", "rating": "down"}]
    rows = daily(turns, feedback, date(2024, 10, 4), date(2024, 10, 6))
    assert [r["messages"] for r in rows] == [2, 1, 0]
    assert [r["fallback_rate"] for r in rows] == [0, 1.0, 0]
    assert rows[1]["thumbs_down"] == 1 and rows[1]["p95_ms"] is None  # no reply: no time
    assert rows[0]["p95_ms"] == 1500.0
    ranked = capabilities(turns)
    assert [r["capability"] for r in ranked] == ["action_sales", "utter_greet"]


def test_a_users_conversations_are_exported_and_deleted_and_the_index_forgets_them(
    tracker_store: SQLTrackerStore,
) -> None:
    from bot.privacy import delete_conversations, export_conversations, user_conversations

    save(
        tracker_store,
        "padma.finance:a",
        [user("cash please", "ask_cash_balance", 0.9, "padma", 1.0)],
    )
    save(tracker_store, "padma.finance:b", [user("sales?", "ask_sales", 0.9, "padma", 2.0)])
    # an id that looks like padma.finance's but another identity spoke: not theirs
    save(tracker_store, "padma.finance:c", [user("hi", "greet", 0.9, "northwind", 3.0)])
    save(tracker_store, "padma.sales:d", [user("hello", "greet", 0.9, "padma", 4.0)])
    engine = tracker_store.engine
    index = ConversationIndex(engine)
    index.sync()
    MarkStore(engine).update("padma.finance:a", "padma", "t", {"tags": ["x"]})

    assert user_conversations(engine, "padma.finance", "padma") == [
        "padma.finance:a",
        "padma.finance:b",
    ]
    exported = export_conversations(engine, "padma.finance", "padma")
    assert [e["text"] for c in exported["conversations"] for e in c["events"] if "text" in e] == [
        "cash please",
        "sales?",
    ]
    assert delete_conversations(engine, "padma.finance", "padma") == 2
    assert user_conversations(engine, "padma.finance", "padma") == []
    assert MarkStore(engine).all_marks("padma") == {}
    index.sync()
    assert {s.id for s in index.summaries("padma")} == {"padma.sales:d"}
    assert {e.text for e in index.inbox("padma")} == {"hello"}
    assert [s.id for s in index.summaries("northwind")] == ["padma.finance:c"]
    assert delete_conversations(engine, "padma.finance", "padma") == 0
