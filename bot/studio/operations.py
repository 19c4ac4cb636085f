"""How the assistant is doing, from the conversations themselves: volumes,
fallback rate and reply times per day, the slowest capabilities, and the
feedback users gave. The Prometheus metrics (`/metrics`) measure the same
from inside the servers; these figures need nothing but the tracker store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from bot.stats import percentile
from bot.studio.conversations import TurnStat


def day_of(timestamp: float) -> date:
    return datetime.fromtimestamp(timestamp, timezone.utc).date()


def daily(
    turns: Iterable[TurnStat], feedback: Iterable[dict[str, Any]], first: date, last: date
) -> list[dict[str, Any]]:
    """One row per day from `first` to `last`, days without traffic included."""
    empty = {"messages": 0, "fallbacks": 0, "up": 0, "down": 0}
    rows = {
        first + timedelta(days=n): {**empty, "seconds": []} for n in range((last - first).days + 1)
    }
    for turn in turns:
        row = rows.get(day_of(turn.started_at))
        if row is None:
            continue
        row["messages"] += 1
        row["fallbacks"] += turn.fallback
        if turn.seconds is not None:
            row["seconds"].append(turn.seconds)
    for item in feedback:
        row = rows.get(date.fromisoformat(item["updated_at"][:10]))
        if row is not None and item["rating"] in ("up", "down"):
            row[item["rating"]] += 1
    return [
        {
            "date": day.isoformat(),
            "messages": row["messages"],
            "fallbacks": row["fallbacks"],
            "fallback_rate": round(row["fallbacks"] / row["messages"], 3) if row["messages"] else 0,
            "p50_ms": _ms(percentile(row["seconds"], 0.5)),
            "p95_ms": _ms(percentile(row["seconds"], 0.95)),
            "thumbs_up": row["up"],
            "thumbs_down": row["down"],
        }
        for day, row in sorted(rows.items())
    ]


def capabilities(turns: Iterable[TurnStat], most: int = 10) -> list[dict[str, Any]]:
    """The actions that answered, slowest (p95) first."""
    seconds: dict[str, list[float]] = defaultdict(list)
    for turn in turns:
        if turn.capability and turn.seconds is not None:
            seconds[turn.capability].append(turn.seconds)
    rows = [
        {
            "capability": name,
            "turns": len(values),
            "p50_ms": _ms(percentile(values, 0.5)),
            "p95_ms": _ms(percentile(values, 0.95)),
        }
        for name, values in seconds.items()
    ]
    rows.sort(key=lambda r: r["p95_ms"] or 0, reverse=True)
    return rows[:most]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _dates(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def filled_days(days: list[dict[str, Any]], first: date, last: date) -> list[dict[str, Any]]:
    """The action server's per-day turn figures, days without turns included."""
    by_date = {day["date"]: day for day in days}
    empty = {"turns": 0, "errors": 0, "error_rate": 0, "p95_ms": {}}
    return [{**empty, **by_date.get(d, {}), "date": d} for d in _dates(first, last)]


def filled_alert_days(
    raised: dict[str, dict[str, int]], first: date, last: date
) -> list[dict[str, Any]]:
    """Alerts raised per day by severity, days without alerts included."""
    return [
        {
            "date": d,
            **{s: raised.get(d, {}).get(s, 0) for s in ("critical", "warning", "info")},
            "total": sum(raised.get(d, {}).values()),
        }
        for d in _dates(first, last)
    ]
