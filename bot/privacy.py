"""A user's conversations on request: exported as JSON, or deleted.

Every channel names a conversation `<user>:<sender>` and the studio's
interactive sessions `studio-<user>-<id>`; a conversation is the user's only
if its messages also carried that user's identity and company, so an id that
merely looks like someone's is never touched. Works on the tracker store's
database directly (Rasa's `events` table and the studio's marks beside it),
with SQLAlchemy 1.4 (Rasa side) or 2 (command line). Blocking.
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlalchemy as sa

EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("data", sa.Text),
)
MARKS = sa.table("studio_marks", sa.column("conversation_id", sa.String))
# one row per deletion, so every running studio drops what it had indexed
ERASURES_METADATA = sa.MetaData()
ERASURES = sa.Table(
    "studio_erasures",
    ERASURES_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user", sa.String(64), nullable=False),
    sa.Column("company", sa.String(64), nullable=False),
    sa.Column("conversations", sa.Integer, nullable=False),
    sa.Column("erased_at", sa.Float, nullable=False),
)


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def user_conversations(engine: sa.engine.Engine, user: str, company: str) -> list[str]:
    """The ids of the conversations `user` of `company` had, oldest first."""
    users_events = (
        sa.select(EVENTS.c.sender_id, EVENTS.c.data)
        .where(EVENTS.c.type_name == "user")
        .where(
            sa.or_(
                EVENTS.c.sender_id.like(_like_prefix(f"{user}:"), escape="\\"),
                EVENTS.c.sender_id.like(_like_prefix(f"studio-{user}-"), escape="\\"),
            )
        )
        .order_by(EVENTS.c.id)
    )
    owned: dict[str, bool] = {}
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("events"):
            return []
        for sender_id, data in connection.execute(users_events):
            if sender_id in owned:
                continue
            identity = ((json.loads(data or "{}").get("metadata") or {}).get("identity")) or {}
            owned[sender_id] = identity.get("user") == user and identity.get("company") == company
    return [sender_id for sender_id, mine in owned.items() if mine]


def export_conversations(engine: sa.engine.Engine, user: str, company: str) -> dict[str, Any]:
    ids = user_conversations(engine, user, company)
    conversations = []
    with engine.connect() as connection:
        for conversation_id in ids:
            rows = connection.execute(
                sa.select(EVENTS.c.data)
                .where(EVENTS.c.sender_id == conversation_id)
                .order_by(EVENTS.c.id)
            )
            conversations.append(
                {"id": conversation_id, "events": [json.loads(d or "{}") for (d,) in rows]}
            )
    return {
        "user": user,
        "company": company,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "conversations": conversations,
    }


def delete_conversations(engine: sa.engine.Engine, user: str, company: str) -> int:
    """Delete the user's conversations and the studio's marks on them, in one
    transaction; the number of conversations deleted."""
    ids = user_conversations(engine, user, company)
    if not ids:
        return 0
    ERASURES_METADATA.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(ids)))
        if sa.inspect(connection).has_table("studio_marks"):
            connection.execute(sa.delete(MARKS).where(MARKS.c.conversation_id.in_(ids)))
        connection.execute(
            sa.insert(ERASURES).values(
                user=user, company=company, conversations=len(ids), erased_at=time.time()
            )
        )
    return len(ids)


def last_erasure(connection: sa.engine.Connection) -> int:
    """The id of the latest deletion (0 when none): an index older than it starts over."""
    if not sa.inspect(connection).has_table("studio_erasures"):
        return 0
    return connection.execute(sa.select(sa.func.max(ERASURES.c.id))).scalar() or 0
