"""One record per user message: stage latencies, intent, action, fallback, outcome.

Rasa 3.6 has no hook between its stages, so `instrument_rasa()` wraps the
three processor steps a message goes through (parse, predict, run an action)
and the remote-action call, once per process. Each wrapper adds its time to
the `Turn` of the message being handled, found through a context variable
that `answering()` (connectors/unreachable.py) sets for every channel; outside
a turn (the HTTP API, the studio's interactive learning) they only pass through.

A finished turn is counted in Prometheus (`/metrics`), logged as one JSON line,
and queued for the action server, which adds the database and retrieval time
it measured for the same request id and keeps the record for the operations
page (actions/erp/operations.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Histogram

from bot import logs

log = logging.getLogger(__name__)

# what marks a message as one the bot did not understand (the studio counts the same)
FALLBACK_INTENTS = frozenset({"nlu_fallback"})
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
# actions that say nothing about what the message was for
BOOKKEEPING_ACTIONS = frozenset({"action_listen", "action_extract_slots", "action_session_start"})

STAGE_SECONDS = Histogram(
    "erp_turn_stage_seconds",
    "Time one user message spends in each stage of the Rasa server.",
    ["stage"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TURNS = Counter(
    "erp_turns_total", "User messages handled, by intent and outcome.", ["intent", "outcome"]
)
INTENT_CONFIDENCE = Histogram(
    "erp_intent_confidence",
    "Confidence of the predicted intent.",
    ["intent"],
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
)
QUEUED_MAX = 2000


@dataclass
class Turn:
    request_id: str
    channel: str
    company: str | None
    started: float = field(default_factory=time.perf_counter)
    stages: dict[str, float] = field(
        default_factory=lambda: {"nlu": 0.0, "dialogue": 0.0, "action": 0.0}
    )
    intent: str | None = None
    confidence: float | None = None
    actions: list[str] = field(default_factory=list)
    failed_actions: list[str] = field(default_factory=list)
    replies: int = 0
    unreachable: bool = False
    total: float = 0.0

    def add(self, stage: str, seconds: float) -> None:
        self.stages[stage] = self.stages.get(stage, 0.0) + seconds

    @property
    def action(self) -> str | None:
        """The action that answered the message: the first that is not bookkeeping."""
        return next((a for a in self.actions if a not in BOOKKEEPING_ACTIONS), None)

    @property
    def fallback(self) -> bool:
        return self.intent in FALLBACK_INTENTS or any(a in FALLBACK_ACTIONS for a in self.actions)

    @property
    def outcome(self) -> str:
        if self.unreachable:
            return "unreachable"
        if self.failed_actions:
            return "error"
        if self.fallback:
            return "fallback"
        return "answered" if self.replies else "silent"

    def as_record(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "channel": self.channel,
            "company": self.company,
            "intent": self.intent,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "action": self.action,
            "fallback": self.fallback,
            "outcome": self.outcome,
            "stages_ms": {k: round(v * 1000, 2) for k, v in self.stages.items()},
            "total_ms": round(self.total * 1000, 2),
        }


CURRENT_TURN: ContextVar[Turn | None] = ContextVar("current_turn", default=None)


def finish(turn: Turn) -> dict[str, Any]:
    """Count the turn, log it, and return its record."""
    turn.total = time.perf_counter() - turn.started
    for stage, seconds in turn.stages.items():
        STAGE_SECONDS.labels(stage).observe(seconds)
    STAGE_SECONDS.labels("total").observe(turn.total)
    TURNS.labels(turn.intent or "none", turn.outcome).inc()
    if turn.confidence is not None:
        INTENT_CONFIDENCE.labels(turn.intent or "none").observe(turn.confidence)
    record = turn.as_record()
    log.info("turn %s", record["outcome"], extra={"turn": record})
    return record


class TurnQueue:
    """Finished turns on their way to the action server; kept while it is down."""

    def __init__(self, send: Callable[[list[dict[str, Any]]], Awaitable[None]]) -> None:
        self._send = send
        self._pending: deque[dict[str, Any]] = deque(maxlen=QUEUED_MAX)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    def put(self, record: dict[str, Any]) -> None:
        self._pending.append(record)

    def flush_soon(self) -> None:
        """Deliver in the background: the user's reply never waits for bookkeeping."""
        task = asyncio.get_running_loop().create_task(self.flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def flush(self) -> None:
        async with self._lock:
            if not self._pending:
                return
            batch = list(self._pending)
            try:
                await self._send(batch)
            except Exception as problem:  # the action server is down: try again next turn
                log.debug("turn records not delivered yet: %s", problem)
                return
            for _ in batch:
                self._pending.popleft()

    def __len__(self) -> int:
        return len(self._pending)


# --- the wrappers ------------------------------------------------------------------


def _timed_async(stage: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        turn = CURRENT_TURN.get()
        if turn is None:
            return await method(*args, **kwargs)
        started = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        finally:
            turn.add(stage, time.perf_counter() - started)

    timed.__erp_instrumented__ = True  # type: ignore[attr-defined]
    return timed


def _timed_parse(method: Callable[..., Awaitable[dict[str, Any]]]) -> Callable[..., Any]:
    timed = _timed_async("nlu", method)

    @functools.wraps(method)
    async def parse(*args: Any, **kwargs: Any) -> dict[str, Any]:
        parse_data = await timed(*args, **kwargs)
        turn = CURRENT_TURN.get()
        if turn is not None and turn.intent is None:
            intent = parse_data.get("intent") or {}
            turn.intent = intent.get("name")
            turn.confidence = intent.get("confidence")
        return parse_data

    parse.__erp_instrumented__ = True  # type: ignore[attr-defined]
    return parse


def _timed_predict(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def predict(*args: Any, **kwargs: Any) -> Any:
        turn = CURRENT_TURN.get()
        if turn is None:
            return method(*args, **kwargs)
        started = time.perf_counter()
        try:
            action, prediction = method(*args, **kwargs)
        finally:
            turn.add("dialogue", time.perf_counter() - started)
        turn.actions.append(action.name())
        return action, prediction

    predict.__erp_instrumented__ = True  # type: ignore[attr-defined]
    return predict


def _failures_counted(method: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    from rasa.core.actions.action import ActionExecutionRejection

    @functools.wraps(method)
    async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(self, *args, **kwargs)
        except ActionExecutionRejection:
            raise
        except Exception:
            turn = CURRENT_TURN.get()
            if turn is not None:
                turn.failed_actions.append(self.name())
            raise

    run.__erp_instrumented__ = True  # type: ignore[attr-defined]
    return run


def instrument_rasa() -> None:
    """Wrap Rasa's processor steps once per process (idempotent), and log as JSON.

    `rasa run` installs its coloured console handler after reading any logging
    configuration; the channels are built after that, so this is where the
    Rasa server's logging becomes JSON lines with request ids.
    """
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    if not logs.configured("rasa"):
        logs.configure("rasa", logging.getLogger().getEffectiveLevel() or logging.INFO)
        logs.adopt_library_loggers()

    wrappers = (
        (MessageProcessor, "parse_message", _timed_parse),
        (MessageProcessor, "predict_next_with_tracker_if_should", _timed_predict),
        (MessageProcessor, "_run_action", functools.partial(_timed_async, "action")),
        (RemoteAction, "run", _failures_counted),
    )
    for owner, name, wrap in wrappers:
        method = getattr(owner, name)
        if not getattr(method, "__erp_instrumented__", False):
            setattr(owner, name, wrap(method))


@functools.lru_cache(maxsize=1)
def turn_queue() -> TurnQueue:
    """The process's queue, created on first use (inside the running server)."""
    from connectors.backend import ERPBackend

    return TurnQueue(ERPBackend().record_turns)
