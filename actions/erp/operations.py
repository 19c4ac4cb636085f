"""Turn records and alert activity, for the studio's operations page.

Knows nothing of Rasa or HTTP. The Rasa server delivers one record per user
message (connectors/turns.py); the action server adds its own stage times
for the same request id before they arrive here. Delivery is retried, so a
record that is already stored is skipped, never stored twice.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from actions.erp.access import Actor, load_actor
from actions.erp.db import read_session, write_session
from actions.erp.models import Alert, AlertStatus, Company, TurnMetric
from bot.stats import percentile

OUTCOMES = ("answered", "fallback", "error", "unreachable", "silent")
ERROR_OUTCOMES = frozenset({"error", "unreachable"})  # what the error rate counts
RASA_STAGES = ("nlu", "dialogue", "action")
ACTION_STAGES = ("database", "retrieval", "generation")
STAGES = RASA_STAGES + ACTION_STAGES
MAX_BATCH = 2000
KEEP_FOR = timedelta(days=90)


class BadTurnRecord(ValueError):
    pass


def _text(record: dict[str, Any], name: str, limit: int, *, required: bool = True) -> str | None:
    value = record.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadTurnRecord(f"'{name}' must be a non-empty string of at most {limit} characters")
    return value


def _milliseconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadTurnRecord(f"'{name}' must be a number of milliseconds")
    if value < 0:
        raise BadTurnRecord(f"'{name}' cannot be negative")
    return float(value)


def checked_turn(record: Any) -> dict[str, Any]:
    """The fields of one delivered record, or BadTurnRecord naming what is wrong."""
    if not isinstance(record, dict):
        raise BadTurnRecord("each turn must be a JSON object")
    outcome = record.get("outcome")
    if outcome not in OUTCOMES:
        raise BadTurnRecord(f"'outcome' must be one of {', '.join(OUTCOMES)}")
    confidence = record.get("confidence")
    if confidence is not None:
        confidence = _milliseconds(confidence, "confidence")
        if confidence > 1:
            raise BadTurnRecord("'confidence' must be between 0 and 1")
    stages = record.get("stages_ms")
    if not isinstance(stages, dict):
        raise BadTurnRecord("'stages_ms' must be an object")
    return {
        "request_id": _text(record, "request_id", 32),
        "company": _text(record, "company", 32, required=False),
        "channel": _text(record, "channel", 32),
        "intent": _text(record, "intent", 100, required=False),
        "confidence": confidence,
        "action": _text(record, "action", 100, required=False),
        "fallback": bool(record.get("fallback")),
        "outcome": outcome,
        "total_ms": _milliseconds(record.get("total_ms"), "total_ms"),
        **{
            f"{stage}_ms": _milliseconds(stages.get(stage, 0), f"stages_ms.{stage}")
            for stage in RASA_STAGES
        },
    }


def _rounded_percentile(values: list[float], share: float) -> float | None:
    value = percentile(values, share)
    return None if value is None else round(value, 2)


class OperationsService:
    def __init__(self, database_url: str, clock: Callable[[], datetime] = datetime.utcnow) -> None:
        self.database_url = database_url
        self.clock = clock

    def record_turns(
        self,
        records: list[Any],
        action_stages: Callable[[str], dict[str, float]] = lambda _: {},
    ) -> int:
        """Store delivered turn records with the action server's stage times; how many are new.

        The whole batch is checked before anything is stored: one bad record
        refuses the batch, and nothing of it is written.
        """
        if not isinstance(records, list) or not 1 <= len(records) <= MAX_BATCH:
            raise BadTurnRecord(f"'turns' must be a list of 1 to {MAX_BATCH} records")
        turns = [checked_turn(record) for record in records]
        now = self.clock()
        with write_session(self.database_url) as session:
            ids = [t["request_id"] for t in turns]
            known = set(
                session.scalars(select(TurnMetric.request_id).where(TurnMetric.request_id.in_(ids)))
            )
            codes = {t["company"] for t in turns if t["company"]}
            company_ids = dict(
                session.execute(
                    select(Company.code, Company.id).where(Company.code.in_(codes))
                ).all()
            )
            stored = 0
            for turn in turns:
                if turn["request_id"] in known:
                    continue
                known.add(turn["request_id"])
                action_side = action_stages(turn["request_id"])
                session.add(
                    TurnMetric(
                        **{k: v for k, v in turn.items() if k != "company"},
                        company_id=company_ids.get(turn["company"]),
                        database_ms=action_side.get("database_ms", 0.0),
                        retrieval_ms=action_side.get("retrieval_ms", 0.0),
                        generation_ms=action_side.get("generation_ms", 0.0),
                        queries=int(action_side.get("queries", 0)),
                        created_at=now,
                    )
                )
                stored += 1
            session.execute(delete(TurnMetric).where(TurnMetric.created_at < now - KEEP_FOR))
        return stored

    def turn_figures(self, reviewer: str, company: str, since: date) -> dict[str, Any]:
        """Per day and per action: volumes, error rate and latency by stage (a trainer's view)."""
        with read_session(self.database_url) as session:
            actor, start = _trainer_since(session, reviewer, company, since)
            rows = session.scalars(
                select(TurnMetric)
                .where(TurnMetric.company_id == actor.company_id)
                .where(TurnMetric.created_at >= start)
                .order_by(TurnMetric.created_at)
            ).all()
            return {
                "days": _per_day(rows),
                "actions": _per_action(rows),
                "stages": _stage_summary(rows),
                "turns": len(rows),
            }

    def alert_activity(self, reviewer: str, company: str, since: date) -> dict[str, Any]:
        """Alerts raised per day by severity, and where the period's alerts stand now."""
        with read_session(self.database_url) as session:
            actor, start = _trainer_since(session, reviewer, company, since)
            rows = session.execute(
                select(Alert.created_at, Alert.severity, Alert.status)
                .where(Alert.company_id == actor.company_id)
                .where(Alert.created_at >= start)
            ).all()
            open_now = session.scalar(
                select(func.count())
                .select_from(Alert)
                .where(Alert.company_id == actor.company_id)
                .where(Alert.status.in_((AlertStatus.UNREAD, AlertStatus.READ)))
            )
        raised: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        statuses: dict[str, int] = defaultdict(int)
        for created_at, severity, status in rows:
            raised[created_at.date().isoformat()][severity.value] += 1
            statuses[status.value] += 1
        return {
            "raised": {day: dict(counts) for day, counts in sorted(raised.items())},
            "statuses": dict(statuses),
            "open": int(open_now or 0),
        }


def _trainer_since(
    session: Session, reviewer: str, company: str, since: date
) -> tuple[Actor, datetime]:
    """The reviewer, who must be allowed the studio, and the start of `since`."""
    actor = load_actor(session, reviewer, company)
    actor.require("studio.use")
    return actor, datetime(since.year, since.month, since.day)


def _stage_values(rows: Iterable[TurnMetric], stage: str) -> list[float]:
    return [getattr(row, f"{stage}_ms") for row in rows]


def _stage_summary(rows: list[TurnMetric]) -> dict[str, dict[str, float | None]]:
    return {
        stage: {
            "p50_ms": _rounded_percentile(_stage_values(rows, stage), 0.5),
            "p95_ms": _rounded_percentile(_stage_values(rows, stage), 0.95),
        }
        for stage in (*STAGES, "total")
    }


def _grouped(rows: list[TurnMetric], key: Callable[[TurnMetric], Any]) -> dict[Any, list]:
    groups: dict[Any, list[TurnMetric]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def _errors(turns: list[TurnMetric]) -> int:
    return sum(t.outcome in ERROR_OUTCOMES for t in turns)


def _per_day(rows: list[TurnMetric]) -> list[dict[str, Any]]:
    figures = []
    for day, turns in sorted(_grouped(rows, lambda row: row.created_at.date()).items()):
        errors = _errors(turns)
        p95 = {stage: _rounded_percentile(_stage_values(turns, stage), 0.95) for stage in STAGES}
        figures.append(
            {
                "date": day.isoformat(),
                "turns": len(turns),
                "errors": errors,
                "error_rate": round(errors / len(turns), 3),
                "p95_ms": p95,
            }
        )
    return figures


def _per_action(rows: list[TurnMetric]) -> list[dict[str, Any]]:
    table = [
        {
            "action": action,
            "turns": len(turns),
            "errors": _errors(turns),
            "p95_ms": _rounded_percentile(_stage_values(turns, "total"), 0.95),
            "mean_ms": {
                stage: round(sum(_stage_values(turns, stage)) / len(turns), 2) for stage in STAGES
            },
        }
        for action, turns in _grouped(rows, lambda row: row.action or "(none)").items()
    ]
    return sorted(table, key=lambda row: row["p95_ms"] or 0, reverse=True)
