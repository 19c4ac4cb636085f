"""The confirmation protocol, through the service, on SQLite and PostgreSQL.

Approving purchase orders is the write under test here; the other commands
have their own files. Every test gets a private database (`writable_url`).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from actions.erp.context import Request
from actions.erp.db import read_session, write_session
from actions.erp.models import (
    AuditLog,
    Company,
    Confirmation,
    ConfirmationStatus,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderStatus,
    Role,
    User,
)
from actions.erp.service import ERPService
from actions.erp.writes.protocol import Policy
from tests.conftest import AS_OF

APPROVER = ("padma.approver", "padma")
START = datetime(2026, 11, 22, 10, 0, 0)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def make_service(url: str, clock: Clock, **policy: object) -> ERPService:
    return ERPService(url, today=lambda: AS_OF, now=clock, policy=Policy(**policy))  # type: ignore[arg-type]


def pending_for(url: str, role: str, company: str = "padma") -> list[str]:
    """Pending purchase orders of a company that the given role approves."""
    with read_session(url) as session:
        return list(
            session.scalars(
                select(PurchaseOrder.number)
                .join(Role, Role.id == PurchaseOrder.approver_role_id)
                .join(Company, Company.id == PurchaseOrder.company_id)
                .where(
                    PurchaseOrder.status == PurchaseOrderStatus.PENDING_APPROVAL,
                    Role.code == role,
                    Company.code == company,
                    # nobody approves their own order: leave out the approvers' own
                    PurchaseOrder.created_by.not_in(
                        select(User.id).where(
                            User.username.in_([f"{company}.approver", f"{company}.admin"])
                        )
                    ),
                )
                .order_by(PurchaseOrder.number)
            )
        )


def order_state(url: str, number: str) -> tuple[str, int, int]:
    """(status, workflow events, assistant audit rows) of one purchase order."""
    with read_session(url) as session:
        order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number))
        assert order is not None
        events = session.scalar(select(func.count()).where(PurchaseOrderEvent.order_id == order.id))
        audits = session.scalar(
            select(func.count()).where(
                AuditLog.entity_ref == number, AuditLog.source == "assistant"
            )
        )
        return order.status.value, int(events or 0), int(audits or 0)


def propose_approval(service: ERPService, number: str, user=APPROVER, conversation="c1") -> str:
    start = service.start_write(
        "approve_purchase_order", *user, Request(f"approve {number}", {"document_ref": [number]})
    )
    assert start.outcome == "collect" and start.missing == [], start.text
    proposal = service.propose_write("approve_purchase_order", *user, start.draft, conversation)
    assert proposal.outcome == "confirm", proposal.text
    assert proposal.token and number in proposal.text
    return proposal.token


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def approvable(writable_url: str) -> list[str]:
    numbers = pending_for(writable_url, "purchasing_approver")
    assert len(numbers) >= 3
    return numbers


def test_confirmed_approval_writes_status_history_and_audit(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    number = approvable[0]
    status, events_before, _ = order_state(writable_url, number)
    assert status == "pending_approval"
    token = propose_approval(service, number)
    # proposing changes nothing but the pending confirmation
    assert order_state(writable_url, number) == ("pending_approval", events_before, 0)

    reply = service.confirm_write(token, *APPROVER)
    assert reply.outcome == "done" and number in reply.text
    assert order_state(writable_url, number) == ("approved", events_before + 1, 1)
    with read_session(writable_url) as session:
        audit = session.scalar(
            select(AuditLog).where(AuditLog.entity_ref == number, AuditLog.source == "assistant")
        )
        assert audit is not None and audit.source == "assistant"
        assert audit.details["before"] == {"status": "pending_approval"}
        assert audit.details["after"] == {"status": "approved"}
        assert audit.at == START
        event = session.scalar(
            select(PurchaseOrderEvent).order_by(PurchaseOrderEvent.id.desc()).limit(1)
        )
        assert (event.from_status, event.to_status, event.action) == (
            "pending_approval",
            "approved",
            "approved",
        )
        row = session.scalar(select(Confirmation).where(Confirmation.token == token))
        assert row.status == ConfirmationStatus.CONFIRMED
        assert row.expires_at == START + timedelta(minutes=5)
        assert row.params == {"document": number}


def test_second_confirm_gets_the_recorded_result(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    token = propose_approval(service, approvable[0])
    first = service.confirm_write(token, *APPROVER)
    second = service.confirm_write(token, *APPROVER)
    assert first.outcome == second.outcome == "done"
    assert "already done" in second.text and first.text in second.text
    assert order_state(writable_url, approvable[0])[2] == 1


def test_concurrent_confirms_execute_once(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    number = approvable[0]
    _, events_before, _ = order_state(writable_url, number)
    token = propose_approval(service, number)
    replies = []
    barrier = threading.Barrier(8)

    def confirm() -> None:
        barrier.wait()
        replies.append(service.confirm_write(token, *APPROVER))

    threads = [threading.Thread(target=confirm) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.outcome for r in replies] == ["done"] * 8
    assert sum("already done" in r.text for r in replies) == 7
    assert order_state(writable_url, number) == ("approved", events_before + 1, 1)


def test_cancelled_confirmation_changes_nothing(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    token = propose_approval(service, approvable[0])
    assert service.cancel_write(token, *APPROVER).outcome == "cancelled"
    reply = service.confirm_write(token, *APPROVER)
    assert reply.outcome == "cancelled" and "nothing was changed" in reply.text
    assert order_state(writable_url, approvable[0])[0] == "pending_approval"


def test_expired_confirmation_changes_nothing(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    token = propose_approval(service, approvable[0])
    clock.now = START + timedelta(minutes=5, seconds=1)
    reply = service.confirm_write(token, *APPROVER)
    assert reply.outcome == "expired" and "expired" in reply.text
    assert order_state(writable_url, approvable[0])[0] == "pending_approval"
    with read_session(writable_url) as session:
        row = session.scalar(select(Confirmation).where(Confirmation.token == token))
        assert row.status == ConfirmationStatus.EXPIRED
    # going back in time does not revive it
    clock.now = START
    assert service.confirm_write(token, *APPROVER).outcome == "expired"


def test_someone_elses_token_is_unknown(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    token = propose_approval(service, approvable[0])
    for user in (("padma.admin", "padma"), ("northwind.approver", "northwind")):
        reply = service.confirm_write(token, *user)
        assert reply.outcome == "none"
        assert service.cancel_write(token, *user).outcome == "none"
    assert service.confirm_write("not-a-token", *APPROVER).outcome == "none"
    assert order_state(writable_url, approvable[0])[0] == "pending_approval"
    assert service.confirm_write(token, *APPROVER).outcome == "done"


def test_a_new_proposal_replaces_the_pending_one(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    old = propose_approval(service, approvable[0], conversation="tab")
    new = propose_approval(service, approvable[1], conversation="tab")
    assert service.confirm_write(old, *APPROVER).outcome == "cancelled"
    assert service.confirm_write(new, *APPROVER).outcome == "done"
    assert order_state(writable_url, approvable[0])[0] == "pending_approval"
    assert order_state(writable_url, approvable[1])[0] == "approved"


def test_changed_document_is_not_written(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    number = approvable[0]
    token = propose_approval(service, number)
    with write_session(writable_url) as session:
        session.execute(
            update(PurchaseOrder)
            .where(PurchaseOrder.number == number)
            .values(total=PurchaseOrder.total + 1)
        )
    reply = service.confirm_write(token, *APPROVER)
    assert reply.outcome == "failed"
    assert "changed after I showed you the summary" in reply.text
    status, _, audits = order_state(writable_url, number)
    assert (status, audits) == ("pending_approval", 0)
    # and the failure is final for this token
    assert service.confirm_write(token, *APPROVER).outcome == "failed"


def test_approved_elsewhere_in_the_meantime(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    number = approvable[0]
    mine = propose_approval(service, number, conversation="a")
    theirs = propose_approval(service, number, user=("padma.admin", "padma"), conversation="b")
    assert service.confirm_write(theirs, "padma.admin", "padma").outcome == "done"
    reply = service.confirm_write(mine, *APPROVER)
    assert reply.outcome == "failed" and "Nothing was changed" in reply.text
    assert order_state(writable_url, number)[2] == 1


def test_rate_limit_keeps_the_confirmation_open(writable_url, clock, approvable):
    service = make_service(writable_url, clock, writes_per_minute=2)
    tokens = [propose_approval(service, n, conversation=n) for n in approvable[:3]]
    assert service.confirm_write(tokens[0], *APPROVER).outcome == "done"
    assert service.confirm_write(tokens[1], *APPROVER).outcome == "done"
    limited = service.confirm_write(tokens[2], *APPROVER)
    assert limited.outcome == "refused" and "last minute" in limited.text
    assert order_state(writable_url, approvable[2])[0] == "pending_approval"
    clock.now = START + timedelta(seconds=61)
    assert service.confirm_write(tokens[2], *APPROVER).outcome == "done"


def test_permission_and_approval_level(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    request = Request(f"approve {approvable[0]}", {"document_ref": [approvable[0]]})
    for user in (
        ("padma.sales", "padma"),
        ("padma.warehouse", "padma"),
        ("padma.trainer", "padma"),
    ):
        reply = service.start_write("approve_purchase_order", *user, request)
        assert reply.outcome == "refused" and "approve or reject purchase orders" in reply.text
    # above the approver's band: the finance manager's
    big = pending_for(writable_url, "finance_manager")[0]
    reply = service.start_write(
        "approve_purchase_order", *APPROVER, Request(big, {"document_ref": [big]})
    )
    assert reply.outcome == "collect" and reply.missing == ["document"]
    assert "finance manager" in reply.text
    # a draft that skipped the form is still checked when proposed
    proposal = service.propose_write("approve_purchase_order", *APPROVER, {"document": big}, "c")
    assert proposal.outcome == "refused" and "finance manager" in proposal.text


def test_another_companys_document_is_not_found(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    number = approvable[0]
    reply = service.start_write(
        "approve_purchase_order",
        "northwind.approver",
        "northwind",
        Request(number, {"document_ref": [number]}),
    )
    assert reply.outcome == "collect" and "can't find" in reply.text
    proposal = service.propose_write(
        "approve_purchase_order", "northwind.approver", "northwind", {"document": number}, "c"
    )
    assert proposal.token is None
    assert order_state(writable_url, number)[0] == "pending_approval"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("PO-abc", "couldn't read"),
        ("INV-2026-00001", "not a purchase order"),
        ("PO-2026-9999", "can't find"),
        ("PO-2026", "needs a year and a number"),
    ],
)
def test_malformed_references(writer, typed, message):
    reply = writer.start_write(
        "approve_purchase_order", *APPROVER, Request("", {"document_ref": [typed]})
    )
    assert reply.outcome == "collect" and reply.missing == ["document"]
    assert message in reply.text


def test_rejection_needs_a_reason(writable_url, clock, approvable):
    service = make_service(writable_url, clock)
    number = approvable[0]
    said = Request(f"reject {number} because the price is too high", {"document_ref": [number]})
    reply = service.start_write("reject_purchase_order", *APPROVER, said)
    assert reply.draft == {"document": number, "reason": "the price is too high"}
    bare = service.start_write(
        "reject_purchase_order", *APPROVER, Request(f"reject {number}", {"document_ref": [number]})
    )
    assert bare.missing == ["reason"]
    for useless in ("no", "??", "12345"):
        again = service.fill_write(
            "reject_purchase_order", *APPROVER, bare.draft, Request(useless), "reason"
        )
        assert again.missing == ["reason"] and "reason" in again.text
    token = service.propose_write("reject_purchase_order", *APPROVER, reply.draft, "c").token
    assert service.confirm_write(token, *APPROVER).outcome == "done"
    with read_session(writable_url) as session:
        event = session.scalar(
            select(PurchaseOrderEvent).order_by(PurchaseOrderEvent.id.desc()).limit(1)
        )
        assert event.to_status == "rejected" and event.comment == "the price is too high"


CRASH = textwrap.dedent(
    """
    import os, sys
    from actions.erp.service import ERPService
    from actions.erp.writes.purchasing import ApprovePurchaseOrder

    original = ApprovePurchaseOrder.execute

    def execute_then_die(self, ctx, params):
        done = original(self, ctx, params)
        ctx.session.flush()  # the writes are in the database's transaction ...
        os._exit(3)  # ... when the process dies, before anything commits

    ApprovePurchaseOrder.execute = execute_then_die
    url, token = sys.argv[1], sys.argv[2]
    ERPService(url).confirm_write(token, "padma.approver", "padma")
    """
)


def test_crash_between_confirmation_and_execution_leaves_nothing(writable_url, approvable):
    # a real clock: the child process confirms with its own
    service = ERPService(writable_url, today=lambda: AS_OF)
    number = approvable[0]
    before = order_state(writable_url, number)
    token = propose_approval(service, number)
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH, writable_url, token], capture_output=True, timeout=60
    )
    assert crashed.returncode == 3, crashed.stderr.decode()
    assert order_state(writable_url, number) == before
    with read_session(writable_url) as session:
        row = session.scalar(select(Confirmation).where(Confirmation.token == token))
        assert row.status == ConfirmationStatus.PENDING
    assert service.confirm_write(token, *APPROVER).outcome == "done"
    assert order_state(writable_url, number)[0] == "approved"
