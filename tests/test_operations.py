"""Turn records, stage timing and alert activity, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from actions.erp.alerts import run_detectors
from actions.erp.db import read_session, write_session
from actions.erp.errors import PermissionDenied
from actions.erp.models import Alert, Company, TurnMetric
from actions.erp.operations import BadTurnRecord, OperationsService
from actions.stage_timing import (
    CURRENT_STAGES,
    StageTimes,
    TurnStages,
    request_id_of,
    stage,
    time_database_queries,
)

TODAY = date.today()


def turn(request_id: str, **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "request_id": request_id,
        "channel": "erp",
        "company": "padma",
        "intent": "ask_cash_balance",
        "confidence": 0.97,
        "action": "action_cash_balance",
        "fallback": False,
        "outcome": "answered",
        "stages_ms": {"nlu": 12.5, "dialogue": 3.0, "action": 40.0},
        "total_ms": 60.0,
    }
    record.update(changes)
    return record


def stored(url: str) -> list[TurnMetric]:
    with read_session(url) as session:
        rows = list(session.scalars(select(TurnMetric).order_by(TurnMetric.id)))
        session.expunge_all()
        return rows


def test_turns_are_stored_once_with_the_action_servers_stage_times(writable_url: str) -> None:
    service = OperationsService(writable_url)
    action_side = {"r1": {"database_ms": 7.5, "retrieval_ms": 0.0, "queries": 3}}
    assert service.record_turns([turn("r1"), turn("r2")], lambda rid: action_side.get(rid, {})) == 2
    # delivery is retried after a failure: the same records again add nothing
    assert service.record_turns([turn("r1"), turn("r2"), turn("r3")]) == 1
    rows = stored(writable_url)
    assert [r.request_id for r in rows] == ["r1", "r2", "r3"]
    first = rows[0]
    assert (first.nlu_ms, first.dialogue_ms, first.action_ms) == (12.5, 3.0, 40.0)
    assert (first.database_ms, first.queries) == (7.5, 3)
    assert rows[1].database_ms == 0.0
    assert first.company_id is not None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"outcome": "great"}, "'outcome' must be one of"),
        ({"request_id": ""}, "'request_id'"),
        ({"request_id": "x" * 33}, "'request_id'"),
        ({"confidence": 1.5}, "between 0 and 1"),
        ({"total_ms": -1}, "cannot be negative"),
        ({"total_ms": "fast"}, "milliseconds"),
        ({"stages_ms": {"nlu": float("nan")}}, "stages_ms.nlu"),
        ({"stages_ms": []}, "'stages_ms' must be an object"),
    ],
)
def test_one_bad_record_refuses_the_whole_batch(
    writable_url: str, bad: dict[str, object], message: str
) -> None:
    service = OperationsService(writable_url)
    with pytest.raises(BadTurnRecord, match=message):
        service.record_turns([turn("good"), {**turn("bad"), **bad}])
    assert stored(writable_url) == []


def test_batches_must_be_lists_of_objects(writable_url: str) -> None:
    service = OperationsService(writable_url)
    for batch in (None, [], "turns", [1]):
        with pytest.raises(BadTurnRecord):
            service.record_turns(batch)  # type: ignore[arg-type]
    assert stored(writable_url) == []


def test_figures_are_per_company_and_for_trainers_only(writable_url: str) -> None:
    service = OperationsService(writable_url)
    service.record_turns(
        [
            turn("a", stages_ms={"nlu": 10, "dialogue": 2, "action": 30}, total_ms=50),
            turn("b", stages_ms={"nlu": 20, "dialogue": 4, "action": 90}, total_ms=120),
            turn("c", outcome="error", action="action_sales"),
            turn("d", company="northwind", action="action_stock"),
        ]
    )
    figures = service.turn_figures("padma.trainer", "padma", TODAY)
    assert figures["turns"] == 3
    (day,) = figures["days"]
    assert (day["date"], day["turns"], day["errors"], day["error_rate"]) == (
        TODAY.isoformat(),
        3,
        1,
        0.333,
    )
    assert figures["stages"]["nlu"]["p95_ms"] >= figures["stages"]["nlu"]["p50_ms"] >= 10
    cash = next(a for a in figures["actions"] if a["action"] == "action_cash_balance")
    assert cash["turns"] == 2 and cash["errors"] == 0
    assert cash["mean_ms"]["action"] == 60.0
    assert "action_stock" not in {a["action"] for a in figures["actions"]}
    assert service.turn_figures("northwind.trainer", "northwind", TODAY)["turns"] == 1
    assert service.turn_figures("padma.trainer", "padma", TODAY + timedelta(days=1))["turns"] == 0
    with pytest.raises(PermissionDenied):
        service.turn_figures("padma.sales", "padma", TODAY)


def test_records_older_than_the_retention_are_dropped(writable_url: str) -> None:
    past = OperationsService(writable_url, clock=lambda: datetime.utcnow() - timedelta(days=100))
    past.record_turns([turn("old")])
    OperationsService(writable_url).record_turns([turn("new")])
    assert [r.request_id for r in stored(writable_url)] == ["new"]


def test_alert_activity_counts_raised_alerts_by_day_and_severity(writable_url: str) -> None:
    run_detectors(writable_url, company="padma")
    since = TODAY - timedelta(days=1)
    activity = OperationsService(writable_url).alert_activity("padma.trainer", "padma", since)
    with read_session(writable_url) as session:
        padma = select(Company.id).where(Company.code == "padma").scalar_subquery()
        alerts = session.execute(
            select(Alert.created_at, Alert.status).where(Alert.company_id == padma)
        ).all()
    recent = [a for a in alerts if a.created_at.date() >= since]
    assert recent, "the detectors raise alerts on the demo data"
    assert sum(sum(day.values()) for day in activity["raised"].values()) == len(recent)
    assert sum(activity["statuses"].values()) == len(recent)
    assert activity["open"] == sum(a.status.value in ("unread", "read") for a in alerts)
    assert set().union(*activity["raised"].values()) <= {"critical", "warning", "info"}
    with pytest.raises(PermissionDenied):
        OperationsService(writable_url).alert_activity("padma.sales", "padma", TODAY)


def test_sql_time_adds_to_the_stage_times_of_the_current_action(writable_url: str) -> None:
    time_database_queries()
    time_database_queries()  # idempotent: each statement counted once

    def work() -> None:
        with write_session(writable_url) as session:
            session.scalar(select(func.count()).select_from(TurnMetric))
            session.scalar(select(func.count()).select_from(TurnMetric))
        with stage("retrieval"):
            pass

    async def one_action() -> StageTimes:
        times = StageTimes()
        token = CURRENT_STAGES.set(times)
        try:
            await asyncio.to_thread(work)  # the worker thread sees the action's context
        finally:
            CURRENT_STAGES.reset(token)
        return times

    times = asyncio.run(one_action())
    assert times.queries >= 2
    assert times.database > 0 and times.retrieval > 0
    # outside an action nothing is counted and nothing fails
    work()


def test_turn_stages_add_up_per_request_and_forget_the_oldest() -> None:
    stages = TurnStages(capacity=2)
    stages.add("a", StageTimes(database=0.01, queries=1))
    stages.add("a", StageTimes(database=0.02, retrieval=0.1, queries=2))
    stages.add("b", StageTimes(database=0.5))
    stages.add("c", StageTimes(database=0.5))
    assert stages.take("a").queries == 0  # forgotten: capacity 2
    taken = stages.take("b")
    assert taken.database == 0.5
    assert stages.take("b").database == 0.0  # taken once
    totals = TurnStages()
    totals.add("x", StageTimes(database=0.01, queries=1))
    totals.add("x", StageTimes(database=0.02, retrieval=0.1, queries=2))
    summed = totals.take("x")
    assert summed.queries == 3 and summed.as_ms() == {
        "database_ms": 30.0,
        "retrieval_ms": 100.0,
        "generation_ms": 0.0,
    }


def test_the_request_id_comes_from_the_latest_user_message() -> None:
    call = {
        "tracker": {
            "latest_message": {"text": "hi"},
            "events": [
                {"event": "user", "metadata": {"request_id": "old"}},
                {"event": "action", "name": "action_listen"},
                {"event": "user", "metadata": {"request_id": "new"}},
                {"event": "slot", "metadata": {"request_id": "not a user event"}},
            ],
        }
    }
    assert request_id_of(call) == "new"
    unmarked = {"tracker": {"events": [*call["tracker"]["events"], {"event": "user"}]}}
    assert request_id_of(unmarked) is None  # never an older message's id
    call["tracker"]["latest_message"]["metadata"] = {"request_id": "latest"}
    assert request_id_of(call) == "latest"
    assert request_id_of({"tracker": {"events": []}}) is None
    assert request_id_of({}) is None
