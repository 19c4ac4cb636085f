"""Where an action's time goes: database, retrieval and generation, per request id.

The action server's executor (actions/server.py) runs each action call with
the request id the Rasa server gave the message (connectors/turns.py) and a
fresh `StageTimes` in context variables. `asyncio.to_thread` copies the
context into the worker thread, so the SQLAlchemy hooks and `stage()` blocks
there add to the right message.
The times of a request's actions add up in `TurnStages` until the Rasa server
delivers the turn's own record, which then carries both sides' figures.
SQL that retrieval runs (the PostgreSQL store) counts in both stages.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from prometheus_client import Histogram
from sqlalchemy import event
from sqlalchemy.engine import Engine

STAGES = ("database", "retrieval", "generation")
ACTION_STAGE_SECONDS = Histogram(
    "erp_action_stage_seconds",
    "Time one action call spends in the database, in retrieval and in generation.",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
REMEMBERED_REQUESTS = 5000


@dataclass
class StageTimes:
    database: float = 0.0
    retrieval: float = 0.0
    generation: float = 0.0
    queries: int = 0

    def add(self, other: StageTimes) -> None:
        for stage in STAGES:
            setattr(self, stage, getattr(self, stage) + getattr(other, stage))
        self.queries += other.queries

    def as_ms(self) -> dict[str, float]:
        return {f"{stage}_ms": round(getattr(self, stage) * 1000, 2) for stage in STAGES}


CURRENT_STAGES: ContextVar[StageTimes | None] = ContextVar("current_stages", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the time of the block to the current action's `name` stage."""
    times = CURRENT_STAGES.get()
    started = time.perf_counter()
    try:
        yield
    finally:
        if times is not None:
            setattr(times, name, getattr(times, name) + time.perf_counter() - started)


class TurnStages:
    """The stage times of recent requests, until their turn record arrives."""

    def __init__(self, capacity: int = REMEMBERED_REQUESTS) -> None:
        self._times: OrderedDict[str, StageTimes] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def add(self, request_id: str, times: StageTimes) -> None:
        with self._lock:
            total = self._times.setdefault(request_id, StageTimes())
            total.add(times)
            self._times.move_to_end(request_id)
            while len(self._times) > self._capacity:
                self._times.popitem(last=False)

    def take(self, request_id: str) -> StageTimes:
        with self._lock:
            return self._times.pop(request_id, None) or StageTimes()


TURN_STAGES = TurnStages()


def observe(times: StageTimes) -> None:
    for name in STAGES:
        ACTION_STAGE_SECONDS.labels(name).observe(getattr(times, name))


def request_id_of(action_call: dict[str, Any]) -> str | None:
    """The request id of the message that led to this call (the latest user event's)."""
    tracker = action_call.get("tracker") or {}
    events = [e for e in tracker.get("events") or [] if isinstance(e, dict)]
    last_user = next((e for e in reversed(events) if e.get("event") == "user"), None)
    # a message without one (Rasa's HTTP API, the studio) must not inherit an older id
    for source in (tracker.get("latest_message"), last_user):
        metadata = source.get("metadata") if isinstance(source, dict) else None
        value = metadata.get("request_id") if isinstance(metadata, dict) else None
        if isinstance(value, str) and value:
            return value
    return None


def _before_cursor_execute(conn: Any, *_: Any) -> None:
    conn.info.setdefault("erp_query_started", []).append(time.perf_counter())


def _after_cursor_execute(conn: Any, *_: Any) -> None:
    started = conn.info.get("erp_query_started")
    if not started:
        return
    elapsed = time.perf_counter() - started.pop()
    times = CURRENT_STAGES.get()
    if times is not None:
        times.database += elapsed
        times.queries += 1


def _failed_cursor_execute(context: Any) -> None:
    started = context.connection.info.get("erp_query_started") if context.connection else None
    if started:
        started.pop()


def time_database_queries() -> None:
    """Time every SQL statement of this process (idempotent)."""
    if not event.contains(Engine, "before_cursor_execute", _before_cursor_execute):
        event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
        event.listen(Engine, "after_cursor_execute", _after_cursor_execute)
        event.listen(Engine, "handle_error", _failed_cursor_execute)
