"""What trainers add to conversations: reviewed, flagged, tags, a note; and
what they decided about NLU inbox entries.

Stored beside Rasa's own `events` table in the tracker store's database
(SQLite by default, PostgreSQL in production), in tables of their own that
are created on first use as Rasa creates its own. Blocking: call from a thread.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

TAG = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_TAGS = 20
MAX_NOTE = 2000

METADATA = sa.MetaData()
MARKS = sa.Table(
    "studio_marks",
    METADATA,
    sa.Column("conversation_id", sa.String(255), primary_key=True),
    sa.Column("company", sa.String(64), nullable=False),
    sa.Column("reviewed", sa.Boolean, nullable=False, default=False),
    sa.Column("reviewed_by", sa.String(64)),
    sa.Column("reviewed_at", sa.Float),
    sa.Column("flagged", sa.Boolean, nullable=False, default=False),
    sa.Column("tags", sa.Text, nullable=False, default="[]"),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("updated_by", sa.String(64)),
    sa.Column("updated_at", sa.Float),
)
DECISIONS = sa.Table(
    "studio_inbox_decisions",
    METADATA,
    sa.Column("company", sa.String(64), primary_key=True),
    sa.Column("entry_id", sa.String(64), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),  # accepted | deleted
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("decided_at", sa.Float, nullable=False),
)


class BadMarks(ValueError):
    """Marks that cannot be stored as sent; nothing was changed."""


@dataclass
class Marks:
    reviewed: bool = False
    reviewed_by: str | None = None
    reviewed_at: float | None = None
    flagged: bool = False
    tags: list[str] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def checked_changes(body: dict[str, Any]) -> dict[str, Any]:
    """The marks a PATCH body changes, every field checked before anything is stored."""
    known = {"reviewed", "flagged", "tags", "note"}
    unknown = set(body) - known
    if unknown:
        raise BadMarks(f"Unknown fields: {', '.join(sorted(unknown))}; send {sorted(known)}.")
    if not body:
        raise BadMarks("Send at least one of reviewed, flagged, tags, note.")
    for flag in ("reviewed", "flagged"):
        if flag in body and not isinstance(body[flag], bool):
            raise BadMarks(f"'{flag}' must be true or false.")
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise BadMarks("'tags' must be a list of strings.")
        if len(tags) > MAX_TAGS or not all(TAG.match(t) for t in tags):
            raise BadMarks(f"At most {MAX_TAGS} tags, each 1-40 letters, digits, '-' or '_'.")
        body = {**body, "tags": sorted(set(tags))}
    if "note" in body and (not isinstance(body["note"], str) or len(body["note"]) > MAX_NOTE):
        raise BadMarks(f"'note' must be text of at most {MAX_NOTE} characters.")
    return body


class MarkStore:
    def __init__(self, engine: sa.engine.Engine) -> None:
        self._engine = engine
        self._created = False

    @property
    def engine(self) -> sa.engine.Engine:
        # tables are created by the first call, which runs in a worker thread
        if not self._created:
            METADATA.create_all(self._engine)
            self._created = True
        return self._engine

    def all_marks(self, company: str) -> dict[str, Marks]:
        query = sa.select(MARKS).where(MARKS.c.company == company)
        with self.engine.connect() as connection:
            return {row.conversation_id: _marks(row) for row in connection.execute(query)}

    def marks(self, conversation_id: str) -> Marks:
        query = sa.select(MARKS).where(MARKS.c.conversation_id == conversation_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return _marks(row) if row else Marks()

    def update(self, conversation_id: str, company: str, by: str, changes: dict[str, Any]) -> Marks:
        """Apply checked changes in one transaction; fields not named keep their value."""
        now = time.time()
        values: dict[str, Any] = {"updated_by": by, "updated_at": now}
        if "reviewed" in changes:
            reviewed = changes["reviewed"]
            values.update(
                reviewed=reviewed,
                reviewed_by=by if reviewed else None,
                reviewed_at=now if reviewed else None,
            )
        if "flagged" in changes:
            values["flagged"] = changes["flagged"]
        if "tags" in changes:
            values["tags"] = json.dumps(changes["tags"])
        if "note" in changes:
            values["note"] = changes["note"]
        for attempt in range(2):
            try:
                with self.engine.begin() as connection:
                    where = MARKS.c.conversation_id == conversation_id
                    updated = connection.execute(sa.update(MARKS).where(where).values(**values))
                    if updated.rowcount == 0:
                        row = {"conversation_id": conversation_id, "company": company}
                        connection.execute(sa.insert(MARKS).values(**row, **values))
                break
            except sa.exc.IntegrityError:
                if attempt:  # another trainer inserted it between our update and insert
                    raise
        return self.marks(conversation_id)

    def decided(self, company: str) -> set[str]:
        query = sa.select(DECISIONS.c.entry_id).where(DECISIONS.c.company == company)
        with self.engine.connect() as connection:
            return {entry_id for (entry_id,) in connection.execute(query)}

    def decide(self, company: str, entry_ids: list[str], status: str, by: str) -> None:
        now = time.time()
        with self.engine.begin() as connection:
            known = set(
                connection.execute(
                    sa.select(DECISIONS.c.entry_id).where(
                        DECISIONS.c.company == company, DECISIONS.c.entry_id.in_(entry_ids)
                    )
                ).scalars()
            )
            for entry_id in dict.fromkeys(entry_ids):
                values = {"status": status, "decided_by": by, "decided_at": now}
                if entry_id in known:
                    connection.execute(
                        sa.update(DECISIONS)
                        .where(DECISIONS.c.company == company, DECISIONS.c.entry_id == entry_id)
                        .values(**values)
                    )
                else:
                    connection.execute(
                        sa.insert(DECISIONS).values(company=company, entry_id=entry_id, **values)
                    )


def _marks(row: Any) -> Marks:
    return Marks(
        reviewed=bool(row.reviewed),
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        flagged=bool(row.flagged),
        tags=json.loads(row.tags or "[]"),
        note=row.note or "",
    )
