"""Alerts from the chat end to end: both servers, the authenticated channel, a private
database. The listing's buttons, dismissing by number, and acting on a low-stock alert,
which raises a purchase order only after the user names the supplier and confirms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actions.erp.alerts import run_detectors
from actions.erp.db import normalise_url
from tests.e2e.harness import RunningStack, query, running_stack, text_of

pytestmark = pytest.mark.e2e
CLERK = "padma.warehouse"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    var_dir: Path = tmp_path_factory.mktemp("alerts-stack")
    with running_stack(var_dir, seed_scale=0.3) as running:
        run_detectors(normalise_url(running.settings.database_url))
        yield running


def buttons(messages: list[dict[str, Any]]) -> dict[str, str]:
    return {b["title"]: b["payload"] for m in messages for b in m.get("buttons") or []}


def clerk_alert(stack: RunningStack, reorder: bool) -> tuple[int, str]:
    """An unread low-stock alert of padma: one that suggests a purchase, or any."""
    rows = query(
        stack,
        """
        SELECT a.id, a.record_ref, a.suggested_action FROM alerts a
        JOIN companies c ON c.id = a.company_id
        WHERE c.code = 'padma' AND a.alert_type = 'low_stock' AND a.status = 'unread'
        ORDER BY a.id
        """,
    )
    for alert_id, sku, suggestion in rows:
        if suggestion.startswith("Raise") == reorder:
            return int(alert_id), sku
    raise AssertionError("test data: no such low-stock alert")


def alert_status(stack: RunningStack, alert_id: int) -> str:
    return query(stack, "SELECT status FROM alerts WHERE id = :i", i=alert_id)[0][0]


def purchase_orders(stack: RunningStack) -> int:
    return query(stack, "SELECT count(*) FROM purchase_orders")[0][0]


def test_the_listing_offers_buttons_that_work(stack: RunningStack) -> None:
    listing = stack.say(CLERK, "any alerts?", "alerts-1")
    offered = buttons(listing)
    act = [title for title in offered if title.startswith("Act on #")]
    assert act, offered
    number = int(act[0].removeprefix("Act on #"))
    assert f"#{number}" in text_of(listing)
    assert offered[f"Dismiss #{number}"] == "/alert_dismiss" + json.dumps({"alert_id": str(number)})
    read = text_of(stack.say(CLERK, offered[f"Mark #{number} read"], "alerts-1"))
    assert read == f"Alert #{number} is marked as read."
    assert alert_status(stack, number) == "read"


def test_dismiss_by_number_and_an_unknown_number(stack: RunningStack) -> None:
    alert_id, _ = clerk_alert(stack, reorder=False)
    reply = text_of(stack.say(CLERK, f"dismiss alert #{alert_id}", "alerts-2"))
    # (after the new session's line about unread alerts)
    assert reply.endswith(f"Alert #{alert_id} is dismissed.")
    assert alert_status(stack, alert_id) == "dismissed"
    unknown = text_of(stack.say(CLERK, "dismiss alert #987654", "alerts-2"))
    assert "can't find alert #987654" in unknown


def test_acting_on_low_stock_raises_a_purchase_order_after_the_confirm(
    stack: RunningStack,
) -> None:
    alert_id, sku = clerk_alert(stack, reorder=True)
    before = purchase_orders(stack)
    started = stack.say(CLERK, "/alert_act" + json.dumps({"alert_id": str(alert_id)}), "act-1")
    asked = text_of(started)
    assert f"Alert #{alert_id}: raising a purchase order" in asked
    assert "Which supplier should it be ordered from?" in asked
    offered = buttons(started)  # the product's past suppliers
    assert offered, started
    supplier = next(iter(offered))
    summary = stack.say(CLERK, offered[supplier], "act-1")
    assert "Please confirm: a new purchase order from " + supplier in text_of(summary)
    assert set(buttons(summary)) == {"Confirm", "Cancel"}
    assert purchase_orders(stack) == before  # nothing yet
    assert alert_status(stack, alert_id) == "read"  # open until the order is confirmed

    done = text_of(stack.say(CLERK, "yes", "act-1"))
    assert "Done: purchase order PO-" in done, done
    assert purchase_orders(stack) == before + 1
    assert alert_status(stack, alert_id) == "acted"
    [(status, product, username)] = query(
        stack,
        """
        SELECT po.status, p.sku, u.username FROM purchase_orders po
        JOIN purchase_order_lines l ON l.order_id = po.id
        JOIN products p ON p.id = l.product_id JOIN users u ON u.id = po.created_by
        WHERE po.id = (SELECT max(id) FROM purchase_orders)
        """,
    )
    assert (status, product, username) == ("pending_approval", sku, CLERK)
