"""Per-user memory: preferences and notes one user keeps in one company.

"Remember that I only care about the Dhaka warehouse" becomes the preference
default_warehouse (the company's warehouse, resolved by name); "by default show
last month" becomes default_period; "show amounts in millions" (or "in lakh")
becomes number_style; anything else is kept as a note in the user's words.
Every row is scoped to the user AND the company; remembering the same thing
twice updates one row. Reads apply the preferences through
`apply_defaults`, and a warehouse or period named in the question always wins.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from actions.erp.access import Actor
from actions.erp.answers import Answer
from actions.erp.context import Request
from actions.erp.db import locked_or_added
from actions.erp.errors import Ambiguous, InvalidInput, NotFound
from actions.erp.formatting import NUMBER_STYLES, NumberStyle
from actions.erp.models import MemoryKind, UserMemory, Warehouse
from actions.erp.parsing import parse_period
from actions.erp.resolve import resolve_warehouse

DEFAULT_WAREHOUSE = "default_warehouse"
DEFAULT_PERIOD = "default_period"
NUMBER_STYLE = "number_style"
NOTE_PREFIX = "note:"

# capabilities a remembered default applies to
WAREHOUSE_CAPABILITIES = frozenset({"stock", "low_stock"})
PERIOD_CAPABILITIES = frozenset({"sales", "purchase_orders"})

# a question about every warehouse does not get the default one
_ALL_WAREHOUSES = ("all warehouses", "every warehouse", "each warehouse", "by warehouse")

_PERIOD_CUE = re.compile(
    r"\b(default|by default|usually|normally|always|assume|from now on|unless|prefer|period)\b"
)
_WAREHOUSE_NAME = re.compile(
    r"(?:warehouse\s+(?:is|to|as|=|:)|care about|work with|look after|stock (?:for|in|at)|"
    r"use)\s+(?:the\s+)?(?P<name>[\w .&-]+?)(?:\s+warehouse)?(?:\s+(?:as|by|from|only)\b.*)?$"
)
_DISPLAY = re.compile(
    r"\b(thousands?|lakhs?|lacs?|crores?|millions?|billions?|international|western|indian"
    r"|south[ -]asian)\b"
)
_DISPLAY_CUE = re.compile(r"\b(amounts?|figures?|numbers?|money|show|display|format|write)\b")
_LAKH_WORDS = ("lakh", "lac", "crore", "indian", "south")
_LEAD = re.compile(
    r"^(?:(?:please|pls|can you|could you|ok|okay|hey)\s+)*"
    r"(?:remember|memori[sz]e|note|make a note|keep in mind|save a preference|save)"
    r"(?:\s+(?:this|that|to))?\s*[:,-]?\s*",
    re.IGNORECASE,
)
_FORGET_ALL = re.compile(
    r"\b(everything|all|reset|wipe|erase|clear my (?:preferences|settings|memory))\b"
)
_FORGET_STOP = frozenset(
    (
        "forget",
        "remove",
        "delete",
        "drop",
        "clear",
        "erase",
        "stop",
        "unset",
        "please",
        "the",
        "a",
        "an",
        "my",
        "me",
        "about",
        "that",
        "what",
        "i",
        "you",
        "told",
        "your",
        "saved",
        "note",
        "notes",
        "any",
        "more",
        "anymore",
        "being",
        "default",
        "remembering",
        "remember",
        "don't",
        "dont",
        "no",
        "to",
        "of",
        "for",
        "is",
        "was",
        "on",
        "by",
    )
)

STYLE_NAMES = {
    "lakh": "in lakh and crore (1,23,45,678.00)",
    "international": "in thousands and millions (12,345,678.00)",
}


@dataclass(frozen=True)
class Defaults:
    """What a read used from memory, for saying so in the answer."""

    warehouse: str | None = None
    period: str | None = None
    number_style: NumberStyle | None = None


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _rows(session: Session, actor: Actor) -> list[UserMemory]:
    statement = select(UserMemory).where(
        UserMemory.user_id == actor.user_id, UserMemory.company_id == actor.company_id
    )
    return list(session.scalars(statement.order_by(UserMemory.kind.desc(), UserMemory.id)))


def _upsert(
    session: Session,
    actor: Actor,
    kind: MemoryKind,
    key: str,
    value: str,
    text: str,
    now: datetime,
) -> bool:
    """Insert or update one memory; True when it was new."""
    statement = select(UserMemory).where(
        UserMemory.user_id == actor.user_id,
        UserMemory.company_id == actor.company_id,
        UserMemory.key == key,
    )
    row, added = locked_or_added(
        session,
        statement,
        lambda: UserMemory(
            user_id=actor.user_id,
            company_id=actor.company_id,
            kind=kind,
            key=key,
            value=value[:200],
            text=text,
            created_at=now,
            updated_at=now,
        ),
    )
    if not added:
        row.kind, row.value, row.text, row.updated_at = kind, value[:200], text, now
    return added


def _note_text(text: str) -> str:
    cleaned = _LEAD.sub("", text.strip(), count=1).strip(" .!?")
    return cleaned or text.strip()


def _note_key(note: str) -> str:
    words = " ".join(re.findall(r"[a-z0-9]+", note.lower()))
    return NOTE_PREFIX + hashlib.sha1(words.encode()).hexdigest()[:16]


def _warehouse_text(request: Request) -> tuple[str | None, bool]:
    """The warehouse the request names, and whether it surely means a warehouse.

    A warehouse entity or the word "warehouse" is sure: an unknown name is then
    refused. "I only care about X" is a guess: if X is no warehouse, it is a note.
    """
    named = request.first("warehouse")
    if named:
        return named, True
    sure = "warehouse" in request.text.lower()
    if not sure and not request.mentions(" care about "):
        return None, False
    match = _WAREHOUSE_NAME.search(request.text.lower().strip(" .!?"))
    return (match.group("name").strip() if match else None), sure


def remember(session: Session, actor: Actor, request: Request, today: date) -> Answer:
    """Store what the request says; a request that can't be honoured changes nothing."""
    now = _now()
    text = request.text.strip()
    if not _note_text(text) or _note_text(text).lower() in {"remember", "note", "this", "that"}:
        return Answer(
            "What should I remember? For example: 'remember that I only care about "
            "the Dhaka warehouse' or 'by default show last month'.",
            outcome="clarify",
        )
    saved: list[str] = []
    warehouse_text, sure = _warehouse_text(request)
    warehouse = None
    if warehouse_text:
        try:
            warehouse = resolve_warehouse(session, actor.company_id, warehouse_text)
        except Ambiguous as error:
            if sure:
                raise Ambiguous(f"{error} I haven't saved anything.", error.candidates) from error
        except (NotFound, InvalidInput) as error:
            if sure:
                raise NotFound(f"{error} I haven't saved anything.") from error
    if warehouse is not None:
        _upsert(session, actor, MemoryKind.PREFERENCE, DEFAULT_WAREHOUSE, warehouse.code, text, now)
        saved.append(f"your default warehouse is {warehouse.name}")
    period_text = request.first("time_period")
    if period_text and _PERIOD_CUE.search(text.lower()):
        period = parse_period(period_text, today)  # InvalidInput: nothing is saved
        value = period_text.strip().lower()
        _upsert(session, actor, MemoryKind.PREFERENCE, DEFAULT_PERIOD, value, text, now)
        saved.append(f"your default period is {value} ({period.label} today)")
    style = _number_style(text)
    if style is not None:
        _upsert(session, actor, MemoryKind.PREFERENCE, NUMBER_STYLE, style, text, now)
        saved.append(f"I'll show amounts {STYLE_NAMES[style]}")
    if style is not None and len(saved) == 1:
        return Answer(f"Got it: {saved[0]}. Say 'forget my number format' to undo it.")
    if saved:
        undo = "default warehouse" if warehouse is not None else "default period"
        return Answer(
            f"Got it: {' and '.join(saved)}. A warehouse or period you name in a question "
            f"still wins. Say 'forget my {undo}' to undo it."
        )
    note = _note_text(text)
    _upsert(session, actor, MemoryKind.FACT, _note_key(note), note, text, now)
    return Answer(f"Noted: \u201c{note}\u201d.")


def _number_style(text: str) -> NumberStyle | None:
    """International for "show amounts in millions", lakh for "in lakh", else None."""
    lowered = text.lower()
    unit = _DISPLAY.search(lowered)
    if unit is None or not _DISPLAY_CUE.search(lowered):
        return None
    return "lakh" if unit.group(1).startswith(_LAKH_WORDS) else "international"


def forget(session: Session, actor: Actor, request: Request) -> Answer:
    """Forget one remembered thing (by its key or its words), or everything."""
    lowered = request.text.lower()
    rows = _rows(session, actor)
    if not rows:
        return Answer("I don't have anything remembered about you, so there's nothing to forget.")
    if _FORGET_ALL.search(lowered) or re.search(
        r"\b(my|all) (preferences|settings)\b|what you (know|remember)", lowered
    ):
        session.execute(
            delete(UserMemory).where(
                UserMemory.user_id == actor.user_id, UserMemory.company_id == actor.company_id
            )
        )
        return Answer(f"Done: I've forgotten everything you asked me to remember ({len(rows)}).")
    chosen: list[UserMemory] = []
    if "warehouse" in lowered or request.first("warehouse"):
        chosen += [r for r in rows if r.key == DEFAULT_WAREHOUSE]
    if "period" in lowered or request.first("time_period"):
        chosen += [r for r in rows if r.key == DEFAULT_PERIOD]
    if _DISPLAY_CUE.search(lowered) or _DISPLAY.search(lowered):
        chosen += [r for r in rows if r.key == NUMBER_STYLE]
    if not chosen:
        words = {
            w for w in re.findall(r"[a-z0-9']+", lowered) if len(w) >= 3 and w not in _FORGET_STOP
        }
        words |= {w.rstrip("s") for w in words}
        chosen = [
            r
            for r in rows
            if r.kind is MemoryKind.FACT
            and words & {w.rstrip("s") for w in re.findall(r"[a-z0-9']+", r.value.lower())}
        ]
    if not chosen:
        return Answer(
            "I couldn't find that among what I remember about you, so nothing was forgotten. "
            "Ask 'what do you remember about me?' to see the list.",
            outcome="clarify",
        )
    for row in chosen:
        session.delete(row)
    described = "; ".join(_describe(session, actor, row) for row in chosen)
    return Answer(f"Done, I've forgotten: {described}.")


def list_memories(session: Session, actor: Actor) -> Answer:
    rows = _rows(session, actor)
    if not rows:
        return Answer(
            f"I don't remember anything about you at {actor.company_name} yet. You can say, "
            "for example, 'remember that I only care about the Dhaka warehouse'.",
            outcome="empty",
        )
    items = [_describe(session, actor, row) for row in rows]
    return Answer(
        f"Here's what I remember about you at {actor.company_name}: " + "; ".join(items) + ".",
        [
            {
                "type": "table",
                "title": "What I remember",
                "currency": None,
                "columns": [
                    {"key": "kind", "label": "Kind", "type": "text"},
                    {"key": "what", "label": "What", "type": "text"},
                    {"key": "said", "label": "You said", "type": "text"},
                ],
                "rows": [
                    {"kind": row.kind.value, "what": item, "said": row.text}
                    for row, item in zip(rows, items, strict=True)
                ],
            }
        ],
    )


def _warehouse(session: Session, actor: Actor, code: str) -> Warehouse | None:
    return session.scalar(
        select(Warehouse).where(Warehouse.company_id == actor.company_id, Warehouse.code == code)
    )


def _describe(session: Session, actor: Actor, row: UserMemory) -> str:
    if row.key == DEFAULT_WAREHOUSE:
        warehouse = _warehouse(session, actor, row.value)
        return f"default warehouse {warehouse.name if warehouse else row.value}"
    if row.key == DEFAULT_PERIOD:
        return f"default period {row.value}"
    if row.key == NUMBER_STYLE:
        return f"amounts shown {STYLE_NAMES.get(row.value, row.value)}"
    return f"note \u201c{row.value}\u201d"


def apply_defaults(
    session: Session, actor: Actor, capability: str, request: Request
) -> tuple[Request, Defaults]:
    """The request with the user's remembered defaults where it names none, and the
    number style for every answer."""
    remembered = {
        row.key: row.value for row in _rows(session, actor) if row.kind is MemoryKind.PREFERENCE
    }
    style = remembered.get(NUMBER_STYLE)
    number_style: NumberStyle | None = style if style in NUMBER_STYLES else None  # type: ignore[assignment]
    entities = {name: list(values) for name, values in request.entities.items()}
    warehouse_name = period = None
    if (
        capability in WAREHOUSE_CAPABILITIES
        and DEFAULT_WAREHOUSE in remembered
        and not request.first("warehouse")
        and not request.mentions(*_ALL_WAREHOUSES)
    ):
        warehouse = _warehouse(session, actor, remembered[DEFAULT_WAREHOUSE])
        if warehouse is not None:
            warehouse_name = warehouse.name
            entities["warehouse"] = [warehouse.code]
    if (
        capability in PERIOD_CAPABILITIES
        and DEFAULT_PERIOD in remembered
        and not request.first("time_period")
    ):
        period = remembered[DEFAULT_PERIOD]
        entities["time_period"] = [period]
    defaults = Defaults(warehouse_name, period, number_style)
    if warehouse_name is None and period is None:
        return request, defaults
    return Request(text=request.text, entities=entities), defaults


def mention_defaults(answer: Answer, defaults: Defaults) -> Answer:
    """Say in the answer which remembered defaults it used."""
    text = answer.text
    if defaults.warehouse:
        where = f"in {defaults.warehouse}"
        if where in text:
            text = text.replace(where, f"{where} (your default)", 1)
        else:
            text += f" (Showing {defaults.warehouse}, your default warehouse.)"
    if defaults.period:
        text += f" (Period: {defaults.period}, your default; name another period to change it.)"
    payloads = answer.payloads
    if defaults.number_style:
        # tables and charts format their amounts in the browser: tell it how
        payloads = [{**p, "number_style": defaults.number_style} for p in payloads]
    return Answer(text, payloads, answer.outcome, answer.candidates)
