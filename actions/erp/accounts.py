"""Signing in to the web chat, sessions, and feedback on bot messages.

Knows nothing of Rasa or HTTP. A session is a database row: its id goes
into the signed session token, so signing out (ending the row) ends the
token on every server at once. Failed sign-ins are counted per user name and
slow guessing down; the message never says whether the name exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from actions.erp.access import Actor, load_actor
from actions.erp.db import locked_or_added, read_session, write_session
from actions.erp.errors import NotAuthenticated, PermissionDenied
from actions.erp.models import (
    ChatConversation,
    Company,
    MessageFeedback,
    SignInFailure,
    User,
    UserMemory,
    WebSession,
)
from bot.auth import CHAT_SESSION_ID, verify_password

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
RATINGS = ("up", "down")


class SignInRefused(Exception):
    """Wrong name or password, an inactive user, or too many attempts."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.throttled = throttled


class BadFeedback(ValueError):
    pass


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    username: str
    full_name: str
    company: str
    roles: tuple[str, ...]
    expires_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "session_id": self.session_id,
            "user": self.username,
            "full_name": self.full_name,
            "company": self.company,
            "roles": list(self.roles),
            "expires_at": self.expires_at.isoformat() + "Z",
        }


class AccountService:
    def __init__(
        self,
        database_url: str,
        session_ttl: timedelta = timedelta(hours=12),
        clock: Callable[[], datetime] = datetime.utcnow,
    ) -> None:
        self.database_url = database_url
        self.session_ttl = session_ttl
        self.clock = clock

    def sign_in(self, username: str, password: str, user_agent: str = "") -> SessionInfo:
        now = self.clock()
        with write_session(self.database_url) as session:
            recent = session.scalar(
                select(func.count())
                .select_from(SignInFailure)
                .where(SignInFailure.username == username)
                .where(SignInFailure.at > now - FAILURE_WINDOW)
            )
            if recent >= MAX_FAILURES:
                raise SignInRefused(
                    "Too many failed sign-ins for this user. Wait 15 minutes and try again.",
                    throttled=True,
                )
            user = session.scalar(select(User).where(User.username == username))
            if (
                user is None
                or not user.is_active
                or not verify_password(password, user.password_hash)
            ):
                session.add(SignInFailure(username=username[:64], at=now))
                # committed on purpose: the failure must count although we refuse
                session.commit()
                raise SignInRefused("Wrong user name or password.")
            session.execute(delete(SignInFailure).where(SignInFailure.username == username))
            row = WebSession(
                id=secrets.token_urlsafe(24),
                user_id=user.id,
                company_id=user.company_id,
                created_at=now,
                expires_at=now + self.session_ttl,
                user_agent=user_agent[:200],
            )
            session.add(row)
            actor = load_actor(session, user.username, user.company.code)
            return _info(row, actor)

    def session(self, session_id: str) -> SessionInfo | None:
        """The live session with this id, or None when ended, expired or unknown."""
        with read_session(self.database_url) as session:
            row = session.get(WebSession, session_id)
            if row is None or row.ended_at is not None or row.expires_at <= self.clock():
                return None
            user = session.get(User, row.user_id)
            company = session.get(Company, row.company_id)
            if user is None or company is None or not user.is_active:
                return None
            try:
                actor = load_actor(session, user.username, company.code)
            except NotAuthenticated:
                return None
            return _info(row, actor)

    def end_session(self, session_id: str) -> bool:
        """End a session; True if it was live. Ending twice changes nothing."""
        with write_session(self.database_url) as session:
            row = session.get(WebSession, session_id)
            if row is None or row.ended_at is not None:
                return False
            row.ended_at = self.clock()
        return True

    def record_feedback(
        self,
        username: str,
        company: str,
        conversation_id: str,
        message_id: str,
        rating: str,
        message_text: str = "",
    ) -> None:
        """A user's rating of one bot message in their own conversation."""
        if rating not in RATINGS:
            raise BadFeedback("rating must be 'up' or 'down'")
        if not conversation_id.startswith(f"{username}:"):
            raise BadFeedback("that conversation is not yours")
        if not message_id or len(message_id) > 64:
            raise BadFeedback("message_id must be 1-64 characters")
        now = self.clock()
        with write_session(self.database_url) as session:
            actor = load_actor(session, username, company)
            existing = session.scalar(
                select(MessageFeedback).where(
                    MessageFeedback.conversation_id == conversation_id,
                    MessageFeedback.message_id == message_id,
                    MessageFeedback.user_id == actor.user_id,
                )
            )
            if existing is None:
                session.add(
                    MessageFeedback(
                        company_id=actor.company_id,
                        user_id=actor.user_id,
                        conversation_id=conversation_id,
                        message_id=message_id,
                        rating=rating,
                        message_text=message_text[:2000],
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                existing.rating = rating
                existing.updated_at = now

    def feedback_for_review(
        self,
        reviewer: str,
        company: str,
        rating: str | None = None,
        limit: int = 50,
        offset: int = 0,
        conversation_id: str | None = None,
    ) -> tuple[int, list[dict[str, object]]]:
        """The company's ratings (of one conversation, if named), newest first, for a
        trainer's review queue."""
        if rating is not None and rating not in RATINGS:
            raise BadFeedback("rating must be 'up' or 'down'")
        with read_session(self.database_url) as session:
            actor = load_actor(session, reviewer, company)
            actor.require("studio.use")
            query = (
                select(MessageFeedback, User.username)
                .join(User, User.id == MessageFeedback.user_id)
                .where(MessageFeedback.company_id == actor.company_id)
            )
            if rating is not None:
                query = query.where(MessageFeedback.rating == rating)
            if conversation_id is not None:
                query = query.where(MessageFeedback.conversation_id == conversation_id)
            total = session.scalar(select(func.count()).select_from(query.subquery()))
            rows = session.execute(
                query.order_by(MessageFeedback.updated_at.desc(), MessageFeedback.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            items = [
                {
                    "conversation_id": row.conversation_id,
                    "message_id": row.message_id,
                    "rating": row.rating,
                    "message_text": row.message_text,
                    "user": username,
                    "created_at": row.created_at.isoformat() + "Z",
                    "updated_at": row.updated_at.isoformat() + "Z",
                }
                for row, username in rows
            ]
        return int(total or 0), items

    def current_conversation(self, user: str, company: str) -> str | None:
        """The web chat session id this user was last in, in this company."""
        with read_session(self.database_url) as session:
            actor = load_actor(session, user, company)
            return session.scalar(
                select(ChatConversation.session_id)
                .where(ChatConversation.user_id == actor.user_id)
                .where(ChatConversation.company_id == actor.company_id)
            )

    def set_current_conversation(self, user: str, company: str, session_id: str) -> None:
        """Make `session_id` the conversation another device of this user resumes."""
        if not CHAT_SESSION_ID.fullmatch(session_id):
            raise ValueError("session_id must be 8-64 letters, digits, - or _")
        with write_session(self.database_url) as session:
            actor = load_actor(session, user, company)
            mine = select(ChatConversation).where(
                ChatConversation.user_id == actor.user_id,
                ChatConversation.company_id == actor.company_id,
            )
            now = self.clock()
            row, added = locked_or_added(
                session,
                mine,
                lambda: ChatConversation(
                    user_id=actor.user_id,
                    company_id=actor.company_id,
                    session_id=session_id,
                    updated_at=now,
                ),
            )
            if not added:
                row.session_id, row.updated_at = session_id, now

    def personal_data(self, administrator: str, company: str, user: str) -> dict[str, Any]:
        """What the ERP database holds of `user` for a privacy request: memories, ratings."""
        with read_session(self.database_url) as session:
            target = _user_for_administrator(session, administrator, company, user)
            return _personal_data(session, target)

    def erase_personal_data(self, administrator: str, company: str, user: str) -> dict[str, int]:
        """Delete `user`'s memories and ratings; how many of each."""
        with write_session(self.database_url) as session:
            target = _user_for_administrator(session, administrator, company, user)
            return _erase_personal_data(session, target)

    def user_company(self, user: str) -> str:
        with read_session(self.database_url) as session:
            return session.get(Company, _user_named(session, user).company_id).code

    def personal_data_of(self, user: str) -> dict[str, Any]:
        """The operator's command (`bot privacy export`): no administrator to check."""
        with read_session(self.database_url) as session:
            return _personal_data(session, _user_named(session, user))

    def erase_personal_data_of(self, user: str) -> dict[str, int]:
        """The operator's command (`bot privacy delete`)."""
        with write_session(self.database_url) as session:
            return _erase_personal_data(session, _user_named(session, user))


def _user_named(session: Any, user: str) -> User:
    target = session.scalar(select(User).where(User.username == user))
    if target is None:
        raise NotAuthenticated(f"There is no user {user!r}.")
    return target


def _user_for_administrator(session: Any, administrator: str, company: str, user: str) -> User:
    actor = load_actor(session, administrator, company)
    if "administrator" not in actor.roles:
        raise PermissionDenied("Only an administrator can export or delete a user's data.")
    target = session.scalar(
        select(User).where(User.username == user, User.company_id == actor.company_id)
    )
    if target is None:
        raise NotAuthenticated(f"There is no user {user!r} in your company.")
    return target


def _personal_data(session: Any, target: User) -> dict[str, Any]:
    memories = session.scalars(
        select(UserMemory).where(UserMemory.user_id == target.id).order_by(UserMemory.id)
    )
    ratings = session.scalars(
        select(MessageFeedback)
        .where(MessageFeedback.user_id == target.id)
        .order_by(MessageFeedback.id)
    )
    chats = session.scalars(
        select(ChatConversation.session_id).where(ChatConversation.user_id == target.id)
    )
    return {
        "memories": [
            {"kind": m.kind.value, "key": m.key, "value": m.value, "text": m.text} for m in memories
        ],
        "current_chat_sessions": list(chats),
        "ratings": [
            {
                "conversation_id": r.conversation_id,
                "message_id": r.message_id,
                "rating": r.rating,
                "message_text": r.message_text,
            }
            for r in ratings
        ],
    }


def _erase_personal_data(session: Any, target: User) -> dict[str, int]:
    memories = session.execute(delete(UserMemory).where(UserMemory.user_id == target.id))
    ratings = session.execute(delete(MessageFeedback).where(MessageFeedback.user_id == target.id))
    # which conversation to resume is about conversations, which the erasure also removes
    session.execute(delete(ChatConversation).where(ChatConversation.user_id == target.id))
    return {"memories": int(memories.rowcount or 0), "ratings": int(ratings.rowcount or 0)}


def _info(row: WebSession, actor: Actor) -> SessionInfo:
    return SessionInfo(
        session_id=row.id,
        username=actor.username,
        full_name=actor.full_name,
        company=actor.company_code,
        roles=tuple(sorted(actor.roles)),
        expires_at=row.expires_at,
    )
