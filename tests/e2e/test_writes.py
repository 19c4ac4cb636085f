"""Confirmed writes end to end: both servers, the authenticated channel, a private database.

Each conversation is checked against the database afterwards: what changed,
what did not, the workflow history and the audit log.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import RunningStack, query, running_stack, text_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    var_dir: Path = tmp_path_factory.mktemp("writes-stack")
    with running_stack(var_dir, {"ERP_WRITES_PER_MINUTE": "50"}, seed_scale=0.3) as running:
        ensure_pending(running, "purchasing_approver", 8)
        yield running


def ensure_pending(stack: RunningStack, role: str, wanted: int) -> None:
    """Enough orders waiting for `role`: the demo data leaves only a few pending, how
    many depends on the date it is generated for, and these tests approve several.
    The newest approved (not yet received) orders of that band go back to waiting."""
    missing = wanted - len(pending_orders(stack, role))
    if missing <= 0:
        return
    query(
        stack,
        """
        UPDATE purchase_orders SET status = 'pending_approval' WHERE id IN (
            SELECT po.id FROM purchase_orders po
            JOIN roles r ON r.id = po.approver_role_id
            JOIN companies c ON c.id = po.company_id
            JOIN users u ON u.id = po.created_by
            WHERE po.status = 'approved' AND r.code = :role AND c.code = 'padma'
              AND u.username NOT IN ('padma.approver', 'padma.admin')
            ORDER BY po.order_date DESC, po.id DESC LIMIT :missing)
        """,
        role=role,
        missing=missing,
    )
    assert len(pending_orders(stack, role)) >= wanted


def pending_orders(stack: RunningStack, role: str, company: str = "padma") -> list[str]:
    """Pending purchase orders routed to a role, raised by someone other than its demo users."""
    return [
        row[0]
        for row in query(
            stack,
            """
            SELECT po.number FROM purchase_orders po
            JOIN roles r ON r.id = po.approver_role_id
            JOIN companies c ON c.id = po.company_id
            JOIN users u ON u.id = po.created_by
            WHERE po.status = 'pending_approval' AND r.code = :role AND c.code = :company
              AND u.username NOT IN (:approver, :admin)
            ORDER BY po.number
            """,
            role=role,
            company=company,
            approver=f"{company}.approver",
            admin=f"{company}.admin",
        )
    ]


def order_status(stack: RunningStack, number: str) -> str:
    return query(stack, "SELECT status FROM purchase_orders WHERE number = :n", n=number)[0][0]


def assistant_audits(stack: RunningStack, number: str) -> list[dict[str, Any]]:
    rows = query(
        stack,
        "SELECT details FROM audit_log WHERE entity_ref = :n AND source = 'assistant'",
        n=number,
    )
    return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]


def buttons(messages: list[dict[str, Any]]) -> dict[str, str]:
    return {b["title"]: b["payload"] for m in messages for b in m.get("buttons") or []}


def test_approve_in_one_message_then_yes(stack: RunningStack) -> None:
    number = pending_orders(stack, "purchasing_approver")[0]
    summary = stack.say("padma.approver", f"approve {number}", "approve-1")
    assert f"Please confirm: approve {number}" in text_of(summary)
    assert set(buttons(summary)) == {"Confirm", "Cancel"}
    assert order_status(stack, number) == "pending_approval"

    done = text_of(stack.say("padma.approver", "yes", "approve-1"))
    assert f"Done: {number}" in done and "approved" in done
    assert order_status(stack, number) == "approved"
    [audit] = assistant_audits(stack, number)
    assert audit["before"] == {"status": "pending_approval"}
    assert audit["after"] == {"status": "approved"}
    history = query(
        stack,
        """SELECT e.to_status, u.username FROM purchase_order_events e
           JOIN purchase_orders po ON po.id = e.order_id JOIN users u ON u.id = e.actor_user_id
           WHERE po.number = :n ORDER BY e.id DESC LIMIT 1""",
        n=number,
    )
    assert history == [("approved", "padma.approver")]
    # a second yes has nothing to confirm
    again = text_of(stack.say("padma.approver", "yes", "approve-1"))
    assert "nothing waiting for your confirmation" in again
    assert len(assistant_audits(stack, number)) == 1


def test_yes_with_nothing_pending_writes_nothing(stack: RunningStack) -> None:
    before = query(stack, "SELECT count(*) FROM audit_log")[0][0]
    reply = text_of(stack.say("padma.approver", "yes", "idle-yes"))
    assert "nothing waiting for your confirmation" in reply
    assert query(stack, "SELECT count(*) FROM audit_log")[0][0] == before


def test_form_asks_answers_a_question_and_resumes(stack: RunningStack) -> None:
    number = pending_orders(stack, "purchasing_approver")[0]
    asked = text_of(stack.say("padma.approver", "I want to approve a purchase order", "form-1"))
    assert "Which purchase order?" in asked
    digression = text_of(
        stack.say(
            "padma.approver", "how many purchase orders are waiting for my approval?", "form-1"
        )
    )
    assert "waiting for your approval" in digression
    assert "Which purchase order?" in digression  # the form asks again
    summary = text_of(stack.say("padma.approver", number, "form-1"))
    assert f"Please confirm: approve {number}" in summary
    cancelled = text_of(stack.say("padma.approver", "no", "form-1"))
    assert "Cancelled" in cancelled and "nothing was changed" in cancelled
    assert order_status(stack, number) == "pending_approval"
    assert "nothing waiting" in text_of(stack.say("padma.approver", "yes", "form-1"))
    assert order_status(stack, number) == "pending_approval"


def test_cancel_while_the_form_asks(stack: RunningStack) -> None:
    number = pending_orders(stack, "finance_manager")[0]
    asked = text_of(stack.say("padma.finance", f"reject {number}", "reject-cancel"))
    assert "Why are you rejecting it?" in asked
    assert "Cancelled" in text_of(stack.say("padma.finance", "cancel", "reject-cancel"))
    assert order_status(stack, number) == "pending_approval"


def test_reject_with_reason(stack: RunningStack) -> None:
    number = pending_orders(stack, "finance_manager")[0]
    stack.say("padma.finance", f"reject {number}", "reject-1")
    summary = text_of(stack.say("padma.finance", "price is higher than the last quote", "reject-1"))
    assert f"reject {number}" in summary and "price is higher than the last quote" in summary
    done = text_of(stack.say("padma.finance", "confirm", "reject-1"))
    assert "rejected" in done
    assert order_status(stack, number) == "rejected"
    comment = query(
        stack,
        """SELECT e.comment FROM purchase_order_events e JOIN purchase_orders po
           ON po.id = e.order_id WHERE po.number = :n ORDER BY e.id DESC LIMIT 1""",
        n=number,
    )
    assert comment == [("price is higher than the last quote",)]


def test_refusals_change_nothing(stack: RunningStack) -> None:
    number = pending_orders(stack, "finance_manager")[0]
    sales = text_of(stack.say("padma.sales", f"approve {number}", "refuse-1"))
    assert "your role does not allow you to approve or reject purchase orders" in sales
    band = text_of(stack.say("padma.approver", f"approve {number}", "refuse-2"))
    assert "finance manager" in band
    other = text_of(stack.say("northwind.approver", f"approve {number}", "refuse-3"))
    assert f"can't find purchase order {number}" in other
    # the form still asks which order, so a yes confirms nothing
    assert "nothing to confirm yet" in text_of(stack.say("northwind.approver", "yes", "refuse-3"))
    assert "Cancelled" in text_of(stack.say("northwind.approver", "no", "refuse-3"))
    assert order_status(stack, number) == "pending_approval"
    assert assistant_audits(stack, number) == []


def test_expired_confirmation(stack: RunningStack) -> None:
    number = pending_orders(stack, "purchasing_approver")[0]
    stack.say("padma.approver", f"approve {number}", "expire-1")
    # five minutes pass: move the pending confirmation's expiry into the past
    query(
        stack,
        "UPDATE confirmations SET expires_at = :t"
        " WHERE status = 'pending' AND conversation_id = :c",
        t=datetime.now() - timedelta(seconds=1),
        c="padma.approver:expire-1",
    )
    reply = text_of(stack.say("padma.approver", "yes", "expire-1"))
    assert "expired" in reply and "nothing was changed" in reply
    assert order_status(stack, number) == "pending_approval"


def test_the_same_confirmation_twice_and_from_two_tabs(stack: RunningStack) -> None:
    first, second = pending_orders(stack, "purchasing_approver")[:2]
    # a retried webhook: the same button payload twice in one conversation
    confirm = buttons(stack.say("padma.approver", f"approve {first}", "retry"))["Confirm"]
    assert "Done" in text_of(stack.say("padma.approver", confirm, "retry"))
    assert "already done, once" in text_of(stack.say("padma.approver", confirm, "retry"))
    assert len(assistant_audits(stack, first)) == 1

    # two browser tabs (two conversations) press Confirm at the same moment
    confirm = buttons(stack.say("padma.approver", f"approve {second}", "tab-a"))["Confirm"]
    replies: list[str] = []
    barrier = threading.Barrier(2)

    def press(tab: str) -> None:
        barrier.wait()
        replies.append(text_of(stack.say("padma.approver", confirm, tab)))

    tabs = [threading.Thread(target=press, args=(tab,)) for tab in ("tab-a", "tab-b")]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert sum("already done, once" in r for r in replies) == 1, replies
    assert all(second in r for r in replies)
    assert len(assistant_audits(stack, second)) == 1


def test_pending_confirmation_survives_an_action_server_restart(stack: RunningStack) -> None:
    number = pending_orders(stack, "purchasing_approver")[0]
    stack.say("padma.approver", f"approve {number}", "restart-1")
    stack.stack.restart("actions")
    assert "Done" in text_of(stack.say("padma.approver", "yes", "restart-1"))
    assert order_status(stack, number) == "approved"


def test_someone_elses_confirm_button_does_nothing(stack: RunningStack) -> None:
    number = pending_orders(stack, "purchasing_approver")[0]
    confirm = buttons(stack.say("padma.approver", f"approve {number}", "owner"))["Confirm"]
    stolen = text_of(stack.say("padma.admin", confirm, "thief"))
    assert "nothing waiting" in stolen
    assert order_status(stack, number) == "pending_approval"
    assert "Cancelled" in text_of(stack.say("padma.approver", "no", "owner"))
