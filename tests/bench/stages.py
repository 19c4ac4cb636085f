"""Where a turn's time goes, from the turn records both servers wrote during
the latency run, and what the record keeping itself costs."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from bot.logs import JsonFormatter
from tests.bench.common import percentile
from tests.e2e.harness import RunningStack, query

STAGES = ("nlu", "dialogue", "action", "database", "retrieval", "total")


def stage_breakdown(stack: RunningStack, since: datetime) -> dict[str, Any]:
    """p50 per stage and action, for the turns recorded since `since` (UTC)."""
    time.sleep(1)  # records are delivered just after each reply
    rows = query(
        stack,
        "SELECT action, outcome, " + ", ".join(f"{s}_ms" for s in STAGES) + " "
        "FROM turn_metrics WHERE created_at >= :since",
        since=since,
    )
    by_action: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_action[row.action or "(none)"].append(row)
    table = {
        action: {
            "turns": len(turns),
            **{
                f"{s}_p50_ms": round(percentile([getattr(t, f"{s}_ms") for t in turns], 50), 1)
                for s in STAGES
            },
        }
        for action, turns in sorted(by_action.items())
    }
    return {
        "turns": len(rows),
        "errors": sum(r.outcome in ("error", "unreachable") for r in rows),
        "actions": table,
    }


def logging_cost(records: int = 20_000) -> dict[str, Any]:
    """Microseconds to format one JSON log line with masking (the per-line overhead)."""
    formatter = JsonFormatter("bench")
    record = logging.makeLogRecord(
        {
            "name": "connectors.turns",
            "levelname": "INFO",
            "msg": "turn %s",
            "args": ("answered",),
            "turn": {"intent": "ask_cash_balance", "stages_ms": {"nlu": 12.3, "action": 40.1}},
        }
    )
    started = time.perf_counter()
    for _ in range(records):
        formatter.format(record)
    return {"us_per_line": round((time.perf_counter() - started) / records * 1e6, 1)}


def since_now() -> datetime:
    # turn records are stamped in naive UTC
    return datetime.utcnow() - timedelta(seconds=1)


def print_stages(stages: dict[str, Any]) -> None:
    print(
        f"\nwhere the time goes ({stages['turns']} recorded turns, {stages['errors']} errors; "
        f"p50 ms per stage)"
    )
    header = "".join(f"{s:>10}" for s in STAGES)
    print(f"  {'action':<32}{'turns':>6}{header}")
    for action, row in stages["actions"].items():
        cells = "".join(f"{row[f'{s}_p50_ms']:>10}" for s in STAGES)
        print(f"  {action:<32}{row['turns']:>6}{cells}")
    print(f"  one JSON log line costs {stages['logging']['us_per_line']} µs to format and mask")
