"""Web chat sign-in, sessions and feedback, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from actions.erp.accounts import MAX_FAILURES, AccountService, BadFeedback, SignInRefused
from actions.erp.db import read_session
from actions.erp.errors import NotAuthenticated, PermissionDenied
from actions.erp.models import MessageFeedback, SignInFailure, WebSession
from actions.erp.seed import demo_users

PASSWORDS = {u.username: u.password for u in demo_users()}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0)

    def __call__(self) -> datetime:
        return self.now


def test_sign_in_starts_a_session_and_sign_out_ends_it(writable_url: str) -> None:
    accounts = AccountService(writable_url)
    info = accounts.sign_in("padma.finance", PASSWORDS["padma.finance"], "pytest")
    assert info.username == "padma.finance" and info.company == "padma"
    assert "finance_manager" in info.roles
    assert accounts.session(info.session_id) == info
    assert accounts.end_session(info.session_id) is True
    assert accounts.session(info.session_id) is None
    assert accounts.end_session(info.session_id) is False  # twice changes nothing
    assert accounts.session("no-such-session") is None


def test_sessions_expire(writable_url: str) -> None:
    clock = Clock()
    accounts = AccountService(writable_url, session_ttl=timedelta(hours=1), clock=clock)
    info = accounts.sign_in("padma.sales", PASSWORDS["padma.sales"])
    clock.now += timedelta(minutes=59)
    assert accounts.session(info.session_id) is not None
    clock.now += timedelta(minutes=2)
    assert accounts.session(info.session_id) is None


def test_wrong_passwords_count_and_lock_out_for_a_while(writable_url: str) -> None:
    clock = Clock()
    accounts = AccountService(writable_url, clock=clock)
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInRefused, match="Wrong user name or password") as refused:
            accounts.sign_in("padma.sales", "wrong")
        assert not refused.value.throttled
    with pytest.raises(SignInRefused, match="Too many") as throttled:
        accounts.sign_in("padma.sales", PASSWORDS["padma.sales"])  # even the right one
    assert throttled.value.throttled
    clock.now += timedelta(minutes=16)
    accounts.sign_in("padma.sales", PASSWORDS["padma.sales"])
    with read_session(writable_url) as session:  # success clears the count
        count = select(func.count()).select_from(SignInFailure)
        assert session.scalar(count.where(SignInFailure.username == "padma.sales")) == 0
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1


def test_unknown_users_are_refused_like_wrong_passwords(writable_url: str) -> None:
    accounts = AccountService(writable_url)
    with pytest.raises(SignInRefused, match="Wrong user name or password"):
        accounts.sign_in("nobody.at.all", "whatever")


def test_feedback_is_one_rating_per_message_and_user(writable_url: str) -> None:
    accounts = AccountService(writable_url)
    conversation = "padma.finance:abcdef12"
    accounts.record_feedback("padma.finance", "padma", conversation, "1.5", "down", "Cash is …")
    accounts.record_feedback("padma.finance", "padma", conversation, "1.5", "up")
    with read_session(writable_url) as session:
        rows = [(r.rating, r.message_text) for r in session.scalars(select(MessageFeedback))]
    assert rows == [("up", "Cash is …")]

    with pytest.raises(BadFeedback, match="not yours"):
        accounts.record_feedback("padma.sales", "padma", conversation, "1.5", "up")
    with pytest.raises(BadFeedback, match="'up' or 'down'"):
        accounts.record_feedback("padma.finance", "padma", conversation, "1.5", "meh")


def test_trainers_review_their_own_companys_feedback_only(writable_url: str) -> None:
    accounts = AccountService(writable_url)
    accounts.record_feedback("padma.finance", "padma", "padma.finance:aaaaaaaa", "1.1", "down", "A")
    accounts.record_feedback("padma.sales", "padma", "padma.sales:bbbbbbbb", "2.2", "up", "B")
    accounts.record_feedback(
        "northwind.finance", "northwind", "northwind.finance:cccccccc", "3.3", "down", "C"
    )
    total, items = accounts.feedback_for_review("padma.trainer", "padma")
    assert total == 2 and {i["message_text"] for i in items} == {"A", "B"}
    total, items = accounts.feedback_for_review("padma.trainer", "padma", rating="down")
    assert total == 1 and items[0]["conversation_id"] == "padma.finance:aaaaaaaa"
    assert items[0]["user"] == "padma.finance"
    total, items = accounts.feedback_for_review("padma.admin", "padma", limit=1, offset=1)
    assert total == 2 and len(items) == 1
    total, items = accounts.feedback_for_review(
        "padma.trainer", "padma", conversation_id="padma.sales:bbbbbbbb"
    )
    assert total == 1 and items[0]["message_text"] == "B"

    with pytest.raises(PermissionDenied):  # a finance manager is not a trainer
        accounts.feedback_for_review("padma.finance", "padma")
    with pytest.raises(NotAuthenticated):  # nor is anyone of another company
        accounts.feedback_for_review("padma.trainer", "northwind")
    with pytest.raises(BadFeedback):
        accounts.feedback_for_review("padma.trainer", "padma", rating="meh")


def test_an_administrator_exports_and_erases_a_users_data_in_their_company_only(
    writable_url: str,
) -> None:
    accounts = AccountService(writable_url)
    accounts.record_feedback("padma.finance", "padma", "padma.finance:aaaaaaaa", "1.1", "down")
    accounts.record_feedback("padma.sales", "padma", "padma.sales:bbbbbbbb", "2.2", "up")
    with pytest.raises(PermissionDenied):
        accounts.personal_data("padma.trainer", "padma", "padma.finance")
    with pytest.raises(NotAuthenticated):
        accounts.erase_personal_data("northwind.admin", "northwind", "padma.finance")
    exported = accounts.personal_data("padma.admin", "padma", "padma.finance")
    assert [r["rating"] for r in exported["ratings"]] == ["down"] and exported["memories"] == []
    erased = accounts.erase_personal_data("padma.admin", "padma", "padma.finance")
    assert erased == {"memories": 0, "ratings": 1}
    assert accounts.erase_personal_data("padma.admin", "padma", "padma.finance")["ratings"] == 0
    assert accounts.feedback_for_review("padma.trainer", "padma")[0] == 1  # padma.sales' stays
    assert accounts.erase_personal_data_of("padma.sales") == {"memories": 0, "ratings": 1}
    assert accounts.user_company("padma.sales") == "padma"
    with pytest.raises(NotAuthenticated):
        accounts.user_company("nobody.here")


def test_the_current_chat_conversation_is_per_user_and_company(writable_url: str) -> None:
    accounts = AccountService(writable_url)
    assert accounts.current_conversation("padma.finance", "padma") is None
    accounts.set_current_conversation("padma.finance", "padma", "laptop-0001")
    accounts.set_current_conversation("padma.finance", "padma", "phone-00002")
    assert accounts.current_conversation("padma.finance", "padma") == "phone-00002"
    assert accounts.current_conversation("padma.sales", "padma") is None
    with pytest.raises(NotAuthenticated):
        accounts.current_conversation("padma.finance", "northwind")
    for bad in ("short", "has spaces in it", "x" * 65):
        with pytest.raises(ValueError, match="session_id"):
            accounts.set_current_conversation("padma.finance", "padma", bad)
    assert accounts.current_conversation("padma.finance", "padma") == "phone-00002"
    exported = accounts.personal_data("padma.admin", "padma", "padma.finance")
    assert exported["current_chat_sessions"] == ["phone-00002"]
    accounts.erase_personal_data("padma.admin", "padma", "padma.finance")
    assert accounts.current_conversation("padma.finance", "padma") is None
