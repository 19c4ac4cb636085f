"""Alerts from the chat: acting on a low-stock alert starts the create-PO write, and the
rasa-sdk actions (listing with buttons, read, dismiss, act) on a private database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor
from sqlalchemy import select

from actions.erp.alerts import run_detectors
from actions.erp.db import read_session
from actions.erp.models import Alert, AlertStatus, Company, PurchaseOrder, PurchaseOrderStatus
from actions.erp.service import ERPService
from actions.handlers import common
from tests.conftest import AS_OF
from tests.test_actions import action_call, run
from tests.writes_support import CONVERSATION, execute, request, sql

CLERK = {"erp_user": "padma.warehouse", "erp_company": "padma"}


def padma_alerts(url: str) -> list[Alert]:
    with read_session(url) as session:
        padma = session.scalar(select(Company.id).where(Company.code == "padma"))
        rows = list(session.scalars(select(Alert).where(Alert.company_id == padma)))
        session.expunge_all()
        return sorted(rows, key=lambda a: a.id)


def reorder_alert(url: str) -> Alert:
    """A low-stock alert that still suggests a purchase (not covered by open orders)."""
    return next(
        a
        for a in padma_alerts(url)
        if a.alert_type == "low_stock" and a.suggested_action.startswith("Raise")
    )


def status_of(url: str, alert_id: int) -> AlertStatus:
    with read_session(url) as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert.status


def purchase_orders(url: str) -> int:
    return int(sql(url, "SELECT COUNT(*) FROM purchase_orders"))


@pytest.fixture
def alerted(writable_url: str) -> ERPService:
    run_detectors(writable_url, AS_OF)
    return ERPService(writable_url, today=lambda: AS_OF)


# --- the service ----------------------------------------------------------------------


def test_acting_on_low_stock_starts_the_confirmed_purchase_order(
    alerted: ERPService, writable_url: str
) -> None:
    alert = reorder_alert(writable_url)
    before = purchase_orders(writable_url)
    reply = alerted.act(alert.id, "padma.warehouse", "padma")
    assert (reply.outcome, reply.status, reply.command) == (
        "done",
        "read",
        "create_purchase_order",
    )
    write = reply.write
    assert write is not None and write.outcome == "collect", write
    assert write.command == "create_purchase_order"
    assert write.missing == ["supplier"]  # the user still names the supplier
    assert write.draft["product"] == alert.record_ref
    assert write.draft["warehouse"] == alert.dedup_key.rsplit(":", 1)[-1]
    quantity = write.draft["quantity"]
    assert isinstance(quantity, int) and quantity > 0
    assert f"{quantity} ×" in alert.suggested_action  # the detector's suggested quantity
    assert purchase_orders(writable_url) == before  # nothing written before the confirm
    assert status_of(writable_url, alert.id) is AlertStatus.READ  # open until confirmed

    # the write carries on as a typed one: supplier, summary, confirm
    name = sql(
        writable_url,
        "SELECT s.name FROM suppliers s JOIN companies c ON c.id = s.company_id "
        "WHERE c.code = 'padma' AND s.is_active = :y ORDER BY s.id",
        y=True,
    )
    draft = alerted.fill_write(
        "create_purchase_order",
        "padma.warehouse",
        "padma",
        write.draft,
        request(name),
        "supplier",
    ).draft
    proposal = alerted.propose_write(
        "create_purchase_order", "padma.warehouse", "padma", draft, CONVERSATION
    )
    assert proposal.outcome == "confirm" and proposal.token, proposal.text
    assert purchase_orders(writable_url) == before
    done = alerted.confirm_write(proposal.token, "padma.warehouse", "padma")
    assert done.outcome == "done", done.text
    assert status_of(writable_url, alert.id) is AlertStatus.ACTED  # the confirmed write did it
    with read_session(writable_url) as session:
        order = session.scalar(select(PurchaseOrder).order_by(PurchaseOrder.id.desc()))
        assert order is not None and order.number in done.text
        assert order.status is PurchaseOrderStatus.PENDING_APPROVAL
        assert [(ln.product.sku, ln.quantity) for ln in order.lines] == [
            (alert.record_ref, quantity)
        ]


def test_acting_without_the_permission_or_from_another_company_changes_nothing(
    alerted: ERPService, writable_url: str
) -> None:
    alert = reorder_alert(writable_url)
    other = alerted.act(alert.id, "northwind.admin", "northwind")
    assert other.outcome == "refused" and f"can't find alert #{alert.id}" in other.text
    # the clerk loses the right to raise purchase orders: the write is not started
    execute(
        writable_url,
        """
        DELETE FROM role_permissions
        WHERE role_id = (SELECT id FROM roles WHERE code = 'warehouse_clerk')
          AND permission_id = (SELECT id FROM permissions WHERE code = 'purchasing.create')
        """,
    )
    refused = alerted.act(alert.id, "padma.warehouse", "padma")
    assert refused.outcome == "refused" and "raise purchase orders" in refused.text
    assert status_of(writable_url, alert.id) is AlertStatus.UNREAD


# --- the actions ------------------------------------------------------------------------


@pytest.fixture
def executor(
    alerted: ERPService, writable_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ActionExecutor]:
    common.get_service.cache_clear()
    monkeypatch.setattr(common, "get_service", lambda: alerted)
    executor = ActionExecutor()
    executor.register_package("actions.handlers")
    yield executor


def slot_events(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


async def test_the_listing_shows_numbers_and_offers_buttons(
    executor: ActionExecutor, writable_url: str
) -> None:
    result = await run(
        executor, action_call("action_alerts", text="any alerts?", intent="ask_alerts", slots=CLERK)
    )
    text_reply, custom_reply = result["responses"]
    rows = custom_reply["custom"]["payloads"][0]["rows"]
    first = rows[0]["id"]
    assert f"#{first}" in text_reply["text"]
    payloads = [b["payload"] for b in text_reply["buttons"]]
    assert f'/alert_act{{"alert_id": "{first}"}}' in payloads
    assert f'/alert_dismiss{{"alert_id": "{first}"}}' in payloads
    assert f'/alert_read{{"alert_id": "{first}"}}' in payloads  # all are unread at first
    shown = {json.loads(p[p.index("{") :])["alert_id"] for p in payloads}
    assert shown == {str(row["id"]) for row in rows[:3]}
    clerk_alerts = {a.id for a in padma_alerts(writable_url)}
    assert {row["id"] for row in rows} <= clerk_alerts


async def test_dismiss_and_read_by_number(executor: ActionExecutor, writable_url: str) -> None:
    alert = reorder_alert(writable_url)
    entity = [{"entity": "alert_id", "value": f"#{alert.id}"}]
    read = await run(
        executor,
        action_call("action_alert_read", intent="alert_read", entities=entity, slots=CLERK),
    )
    assert read["responses"][0]["text"] == f"Alert #{alert.id} is marked as read."
    assert status_of(writable_url, alert.id) is AlertStatus.READ
    # no entity: the number is read from the text
    dismissed = await run(
        executor,
        action_call(
            "action_alert_dismiss",
            text=f"dismiss alert {alert.id}",
            intent="alert_dismiss",
            slots=CLERK,
        ),
    )
    assert dismissed["responses"][0]["text"] == f"Alert #{alert.id} is dismissed."
    assert status_of(writable_url, alert.id) is AlertStatus.DISMISSED


async def test_unknown_or_missing_numbers_change_nothing(
    executor: ActionExecutor, writable_url: str
) -> None:
    statuses = {a.id: a.status for a in padma_alerts(writable_url)}
    unknown = await run(
        executor,
        action_call(
            "action_alert_act",
            intent="alert_act",
            entities=[{"entity": "alert_id", "value": "987654"}],
            slots=CLERK,
        ),
    )
    assert "can't find alert #987654" in unknown["responses"][0]["text"]
    assert slot_events(unknown) == {"write_command": None}  # the form ends at once
    missing = await run(
        executor, action_call("action_alert_dismiss", text="dismiss it", slots=CLERK)
    )
    assert missing["responses"][0]["text"].startswith("Which alert?")
    assert {a.id: a.status for a in padma_alerts(writable_url)} == statuses


async def test_act_hands_the_write_to_the_form(executor: ActionExecutor, writable_url: str) -> None:
    alert = reorder_alert(writable_url)
    before = purchase_orders(writable_url)
    result = await run(
        executor,
        action_call(
            "action_alert_act",
            intent="alert_act",
            entities=[{"entity": "alert_id", "value": str(alert.id)}],
            slots=CLERK,
        ),
    )
    assert "raising a purchase order" in result["responses"][0]["text"]
    slots = slot_events(result)
    assert slots["write_command"] == "create_purchase_order"
    assert slots["write_draft"]["product"] == alert.record_ref
    assert slots["w_product"] == alert.record_ref and slots["w_supplier"] is None
    assert slots["pending_confirmation"] is None and slots["requested_slot"] is None
    assert purchase_orders(writable_url) == before
