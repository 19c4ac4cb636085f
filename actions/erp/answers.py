"""What a capability returns: a sentence for people plus data for screens.

Payloads are plain JSON so that any channel can render them: the web chat
draws tables and charts, the voice channel reads only the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

ColumnType = Literal["text", "money", "number", "date", "percent"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: ColumnType = "text"


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exact; clients format with the payload's currency
    if isinstance(value, date):
        return value.isoformat()
    return value


def table(
    title: str, columns: list[Column], rows: list[dict[str, Any]], *, currency: str | None = None
) -> dict[str, Any]:
    return {
        "type": "table",
        "title": title,
        "currency": currency,
        "columns": [{"key": c.key, "label": c.label, "type": c.type} for c in columns],
        "rows": [{c.key: _json_value(row.get(c.key)) for c in columns} for row in rows],
    }


def chart(
    title: str,
    kind: Literal["line", "bar"],
    labels: list[str],
    series: dict[str, list[Decimal | int]],
    *,
    currency: str | None = None,
) -> dict[str, Any]:
    return {
        "type": "chart",
        "chart": kind,
        "title": title,
        "currency": currency,
        "labels": labels,
        "series": [
            {"name": name, "values": [_json_value(v) for v in values]}
            for name, values in series.items()
        ],
    }


@dataclass
class Answer:
    text: str
    payloads: list[dict[str, Any]] = field(default_factory=list)
    # refused/error answers carry the reason so that callers and metrics can tell
    outcome: Literal["ok", "empty", "refused", "clarify", "error"] = "ok"
    candidates: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "payloads": self.payloads,
            "outcome": self.outcome,
            "candidates": self.candidates,
        }
