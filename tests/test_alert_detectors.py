"""Alert detectors, their runs, alert state changes, scheduling, the CLI and the evaluation.

Every database test runs on SQLite and PostgreSQL (a private copy of the seeded
demo per test: detectors write alerts).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from actions.erp.alerts import DetectorSettings, run_detectors
from actions.erp.alerts.base import Candidate
from actions.erp.alerts.evaluation import (
    DROP,
    SPIKE,
    Plant,
    alerts_on_seasonality,
    choose_plants,
    evaluate,
    plant_anomalies,
    seasonal_series,
    set_day_total,
)
from actions.erp.alerts.runner import _insert
from actions.erp.alerts.sales import find_anomalies
from actions.erp.alerts.scheduler import run_periodically
from actions.erp.context import Request
from actions.erp.db import dispose_engine, read_session, write_session
from actions.erp.demo.catalog import PROFILES
from actions.erp.migrate import upgrade
from actions.erp.models import (
    OPEN_INVOICE_STATUSES,
    Alert,
    AlertSeverity,
    AlertStatus,
    Company,
    CustomerInvoice,
    Product,
    PurchaseOrder,
    PurchaseOrderStatus,
    Role,
    StockLevel,
    SupplierBill,
)
from actions.erp.service import ERPService
from bot.cli import cmd_alerts_run
from bot.config import load_settings
from tests.conftest import AS_OF

AFTER = AS_OF + timedelta(days=1)  # every seeded day (AS_OF included) is complete


def alerts_of(url: str, company: str = "padma") -> dict[str, Alert]:
    with read_session(url) as session:
        company_id = session.scalar(select(Company.id).where(Company.code == company))
        rows = session.scalars(select(Alert).where(Alert.company_id == company_id))
        found = {a.dedup_key: a for a in rows}
        session.expunge_all()  # kept loaded: the read session rolls back
        return found


def company_id(session, code: str = "padma") -> int:
    return session.scalar(select(Company.id).where(Company.code == code))


# --- each detector fires on a planted case and not on a normal one ----------------


def test_low_stock_fires_when_a_line_falls_below_reorder_level(writable_url: str) -> None:
    with write_session(writable_url) as session:
        level, product = session.execute(
            select(StockLevel, Product)
            .join(Product, Product.id == StockLevel.product_id)
            .where(StockLevel.company_id == company_id(session))
            .where(Product.is_active.is_(True), Product.reorder_level > 0)
            .where(StockLevel.quantity >= Product.reorder_level * 2)
            .order_by(Product.sku)
        ).first()
        sku, warehouse_id = product.sku, level.warehouse_id
    run_detectors(writable_url, AS_OF, "padma")
    before = [k for k in alerts_of(writable_url) if k.startswith(f"low_stock:{sku}:")]
    assert before == []  # well stocked: nothing
    with write_session(writable_url) as session:
        session.execute(
            update(StockLevel)
            .where(StockLevel.product_id == level.product_id)
            .where(StockLevel.warehouse_id == warehouse_id)
            .values(quantity=0)
        )
    report = run_detectors(writable_url, AS_OF, "padma")
    assert report.companies[0].new.get("low_stock") == 1
    [alert] = [a for k, a in alerts_of(writable_url).items() if k.startswith(f"low_stock:{sku}:")]
    assert alert.severity is AlertSeverity.CRITICAL  # out of stock
    assert alert.record_ref == sku
    assert "0 on hand" in alert.message
    assert f"{product.reorder_level + product.reorder_qty} ×" in alert.suggested_action


def test_overdue_invoices_by_bucket(writable_url: str) -> None:
    with write_session(writable_url) as session:
        invoices = session.scalars(
            select(CustomerInvoice)
            .where(CustomerInvoice.company_id == company_id(session))
            .where(CustomerInvoice.status.in_(OPEN_INVOICE_STATUSES))
            .where(CustomerInvoice.total > CustomerInvoice.amount_paid)
            .where(CustomerInvoice.due_date >= AS_OF)
            .order_by(CustomerInvoice.number)
        ).all()[:3]
        numbers = [i.number for i in invoices]
    run_detectors(writable_url, AS_OF, "padma")
    assert not [k for k in alerts_of(writable_url) if k.split(":")[1:2] == numbers[:1]]
    with write_session(writable_url) as session:
        for number, days in zip(numbers, (45, 75, 95), strict=True):
            session.execute(
                update(CustomerInvoice)
                .where(CustomerInvoice.number == number)
                .where(CustomerInvoice.company_id == company_id(session))
                .values(due_date=AS_OF - timedelta(days=days))
            )
    run_detectors(writable_url, AS_OF, "padma")
    stored = alerts_of(writable_url)
    expected = zip(
        numbers,
        ("31-60", "61-90", "90+"),
        (AlertSeverity.INFO, AlertSeverity.WARNING, AlertSeverity.CRITICAL),
        strict=True,
    )
    for number, bucket, severity in expected:
        alert = stored[f"ar_overdue:{number}:{bucket}"]
        assert alert.severity is severity
        assert alert.module == "receivables"
        assert "days overdue" in alert.message


def test_bills_due_against_cash(writable_url: str) -> None:
    with write_session(writable_url) as session:
        bill = session.scalars(
            select(SupplierBill)
            .where(SupplierBill.company_id == company_id(session))
            .where(SupplierBill.status.in_(OPEN_INVOICE_STATUSES))
            .where(SupplierBill.total > SupplierBill.amount_paid)
            .where(SupplierBill.due_date > AS_OF + timedelta(days=20))
            .order_by(SupplierBill.number)
        ).first()
        number = bill.number
    report = run_detectors(writable_url, AS_OF, "padma")
    assert f"ap_due:{number}" not in alerts_of(writable_url)  # due later than 14 days
    covered = [a for a in alerts_of(writable_url).values() if a.alert_type == "bill_due"]
    assert covered and all(a.severity is AlertSeverity.WARNING for a in covered)
    assert report.companies[0].new["bill_due"] == len(covered)
    with write_session(writable_url) as session:
        session.execute(
            update(SupplierBill)
            .where(SupplierBill.number == number)
            .where(SupplierBill.company_id == company_id(session))
            .values(
                due_date=AS_OF + timedelta(days=13),
                total=Decimal("999999999.00"),
                amount_paid=Decimal("0.00"),
            )
        )
    run_detectors(writable_url, AS_OF, "padma")
    alert = alerts_of(writable_url)[f"ap_due:{number}"]
    assert alert.severity is AlertSeverity.CRITICAL
    assert "does not cover it" in alert.message


def test_purchase_orders_waiting_past_the_threshold(writable_url: str) -> None:
    with write_session(writable_url) as session:
        order = session.scalars(
            select(PurchaseOrder)
            .where(PurchaseOrder.company_id == company_id(session))
            .where(PurchaseOrder.status == PurchaseOrderStatus.PENDING_APPROVAL)
            .order_by(PurchaseOrder.submitted_at.desc())
        ).first()
        number, role_id = order.number, order.approver_role_id
        order.submitted_at = datetime.combine(AS_OF, datetime.min.time())  # just submitted
    run_detectors(writable_url, AS_OF, "padma")
    assert f"po_approval:{number}" not in alerts_of(writable_url)
    with write_session(writable_url) as session:
        session.execute(
            update(PurchaseOrder)
            .where(PurchaseOrder.number == number)
            .where(PurchaseOrder.company_id == company_id(session))
            .values(submitted_at=datetime.combine(AS_OF - timedelta(days=5), datetime.min.time()))
        )
    # a longer threshold: still quiet
    run_detectors(writable_url, AS_OF, "padma", settings=DetectorSettings(approval_wait_days=7))
    assert f"po_approval:{number}" not in alerts_of(writable_url)
    run_detectors(writable_url, AS_OF, "padma")
    alert = alerts_of(writable_url)[f"po_approval:{number}"]
    assert alert.severity is AlertSeverity.WARNING
    assert alert.target_role_id == role_id
    assert alert.suggested_action == f"approve {number}"
    assert "waited 5 days" in alert.message


def test_sales_spike_and_drop_fire_on_the_planted_days(writable_url: str) -> None:
    # The test demo (scale 0.2) has one to six orders a day: too noisy to judge a day
    # against (see the full-scale evaluation below). Here two padma weekdays get a
    # steady history (within ±10%), then one day at 20% and one at 4x.
    settings = DetectorSettings(sales_window_days=28)
    drop, spike = [p.day for p in choose_plants(writable_url, AFTER) if p.company == "padma"][:2]
    level = 1_000_000.0
    for day in (drop, spike):
        for k in range(1, 9):
            wobble = 0.9 if k % 2 else 1.1
            set_day_total(writable_url, "padma", day - timedelta(weeks=k), level * wobble)
        set_day_total(writable_url, "padma", day, level)
    run_detectors(writable_url, AFTER, "padma", settings=settings)
    ordinary = alerts_of(writable_url)
    assert not {f"sales_anomaly:{d.isoformat()}" for d in (drop, spike)} & set(ordinary)
    set_day_total(writable_url, "padma", drop, level * 0.2)
    set_day_total(writable_url, "padma", spike, level * 4)
    report = run_detectors(writable_url, AFTER, "padma", settings=settings)
    stored = alerts_of(writable_url)
    low = stored[f"sales_anomaly:{drop.isoformat()}"]
    high = stored[f"sales_anomaly:{spike.isoformat()}"]
    assert "20% of a usual" in low.message and "expected range" in low.message
    assert "400% of a usual" in high.message
    assert "Check the large orders" in high.suggested_action
    assert report.companies[0].new["sales_anomaly"] == 2


def test_pure_weekly_seasonality_raises_nothing() -> None:
    # both demo companies' weekday profiles: Friday at 12% (padma), Sunday at 4% (northwind)
    assert [alerts_on_seasonality(p.weekday_factor) for p in PROFILES] == [0, 0]
    # ... while a drop to 20% of a usual Monday in the same series is found
    profile = PROFILES[0].weekday_factor
    start = date(2026, 1, 5)  # a Monday
    series = seasonal_series(profile, start, 20 * 7)
    monday = start + timedelta(weeks=15)
    series[monday] *= 0.2
    found = find_anomalies(series, [start + timedelta(days=i) for i in range(56, 140)])
    assert [a.day for a in found] == [monday]
    assert found[0].kind == "drop" and found[0].low < series[monday] * 5 < found[0].high


# --- runs: no duplicates, races, history kept -----------------------------------------


def test_a_second_run_creates_no_duplicates(writable_url: str) -> None:
    first = run_detectors(writable_url, AS_OF)
    assert first.new_total > 0 and first.existing_total == 0
    assert {c.company for c in first.companies} == {"padma", "northwind"}
    second = run_detectors(writable_url, AS_OF)
    assert second.new_total == 0
    assert second.existing_total == first.new_total
    with read_session(writable_url) as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == first.new_total


def test_two_concurrent_runs_store_each_condition_once(writable_url: str) -> None:
    reports, errors = [], []
    barrier = threading.Barrier(2)

    def one_run() -> None:
        barrier.wait()
        try:
            reports.append(run_detectors(writable_url, AS_OF))
        except Exception as error:  # pragma: no cover - the assertion shows it
            errors.append(error)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with read_session(writable_url) as session:
        stored = session.scalar(select(func.count()).select_from(Alert))
        keys = session.execute(select(Alert.company_id, Alert.dedup_key)).all()
    assert len(keys) == len(set(keys)) == stored
    assert sum(r.new_total for r in reports) == stored
    assert [r.new_total + r.existing_total for r in reports] == [stored, stored]


def test_an_insert_losing_a_race_is_counted_not_raised(writable_url: str) -> None:
    candidate = Candidate(
        "low_stock", AlertSeverity.WARNING, "inventory", "X", "m", "s", None, "race:1"
    )
    results = []
    for _ in range(2):
        with write_session(writable_url) as session:
            results.append(_insert(session, company_id(session), candidate, {}, datetime.now()))
    assert results == [True, False]
    assert list(alerts_of(writable_url)) == ["race:1"]


def test_a_cleared_condition_resolves_its_alert_and_keeps_it(writable_url: str) -> None:
    run_detectors(writable_url, AS_OF, "padma")
    approvals = [a for a in alerts_of(writable_url).values() if a.alert_type.startswith("po_")]
    assert approvals
    with write_session(writable_url) as session:
        session.execute(
            update(PurchaseOrder)
            .where(PurchaseOrder.company_id == company_id(session))
            .where(PurchaseOrder.status == PurchaseOrderStatus.PENDING_APPROVAL)
            .values(status=PurchaseOrderStatus.APPROVED)
        )
    report = run_detectors(writable_url, AS_OF, "padma")
    assert report.companies[0].new.get("po_approval_waiting", 0) == 0
    assert report.companies[0].existing.get("po_approval_waiting", 0) == 0
    assert report.companies[0].resolved["po_approval_waiting"] == len(approvals)
    kept = {a.id: a for a in alerts_of(writable_url).values() if a.alert_type.startswith("po_")}
    assert set(kept) == {a.id for a in approvals}  # never deleted
    for alert in kept.values():
        assert alert.status is AlertStatus.RESOLVED
        assert alert.dedup_key.endswith(f"#{alert.id}")
    # a run with nothing cleared changes nothing more
    assert run_detectors(writable_url, AS_OF, "padma").companies[0].resolved_total == 0


def test_a_condition_that_returns_alerts_again(writable_url: str) -> None:
    with write_session(writable_url) as session:
        level = session.scalars(
            select(StockLevel)
            .join(Product, Product.id == StockLevel.product_id)
            .where(StockLevel.company_id == company_id(session))
            .where(Product.is_active.is_(True), Product.reorder_level > 0)
            .where(StockLevel.quantity >= Product.reorder_level * 2)
            .order_by(Product.sku, StockLevel.warehouse_id)
        ).first()
        product_id, warehouse_id, full = level.product_id, level.warehouse_id, level.quantity

    def set_stock(quantity: int) -> None:
        with write_session(writable_url) as session:
            session.execute(
                update(StockLevel)
                .where(StockLevel.product_id == product_id)
                .where(StockLevel.warehouse_id == warehouse_id)
                .values(quantity=quantity)
            )

    def low_stock_alerts() -> list[Alert]:
        found = alerts_of(writable_url).values()
        return sorted(
            (a for a in found if a.alert_type == "low_stock" and a.record_ref == sku),
            key=lambda a: a.id,
        )

    with read_session(writable_url) as session:
        sku = session.get(Product, product_id).sku
    set_stock(0)
    run_detectors(writable_url, AS_OF, "padma")
    [first] = low_stock_alerts()
    ERPService(writable_url).dismiss(first.id, "padma.warehouse", "padma")
    run_detectors(writable_url, AS_OF, "padma")
    assert len(low_stock_alerts()) == 1  # dismissed while it holds: no new alert
    set_stock(full)  # restocked: the condition clears
    run_detectors(writable_url, AS_OF, "padma")
    [retired] = low_stock_alerts()
    assert retired.status is AlertStatus.DISMISSED  # the user's decision stays
    assert retired.dedup_key.endswith(f"#{retired.id}")
    set_stock(0)  # and runs out again: a new alert
    run_detectors(writable_url, AS_OF, "padma")
    old, new = low_stock_alerts()
    assert (old.id, new.status) == (first.id, AlertStatus.UNREAD)
    assert not new.dedup_key.count("#")


# --- read, dismiss, act ----------------------------------------------------------------


@pytest.fixture
def alerted(writable_url: str) -> tuple[ERPService, dict[str, Alert]]:
    run_detectors(writable_url, AS_OF)
    return ERPService(writable_url, today=lambda: AS_OF), alerts_of(writable_url)


def first_of(alerts: dict[str, Alert], kind: str, role: int | None = None) -> Alert:
    return next(
        a
        for a in sorted(alerts.values(), key=lambda a: a.id)
        if a.alert_type == kind and (role is None or a.target_role_id == role)
    )


def role_id(url: str, code: str) -> int:
    with read_session(url) as session:
        return session.scalar(select(Role.id).where(Role.code == code))


def status_of(url: str, alert_id: int) -> AlertStatus:
    with read_session(url) as session:
        return session.get(Alert, alert_id).status


def test_mark_read_and_dismiss(alerted, writable_url: str) -> None:
    service, alerts = alerted
    alert = first_of(alerts, "invoice_overdue")
    before = service.unread_alert_counts("padma.finance", "padma")
    reply = service.mark_read(alert.id, "padma.finance", "padma")
    assert (reply.outcome, reply.status) == ("done", "read")
    after = service.unread_alert_counts("padma.finance", "padma")
    assert after[alert.severity.value] == before[alert.severity.value] - 1
    assert service.dismiss(alert.id, "padma.finance", "padma").status == "dismissed"
    assert status_of(writable_url, alert.id) is AlertStatus.DISMISSED
    # reading again never reopens it
    assert service.mark_read(alert.id, "padma.finance", "padma").status == "dismissed"
    answer = service.ask("alerts", "padma.finance", "padma", Request())
    assert alert.message not in answer.text + str(answer.payloads)


def test_other_companies_and_roles_are_refused(alerted, writable_url: str) -> None:
    service, alerts = alerted
    alert = first_of(alerts, "invoice_overdue")  # padma, for the finance manager
    for user, company in (
        ("northwind.finance", "northwind"),  # another company's alert id
        ("padma.warehouse", "padma"),  # not addressed to the warehouse clerk
        ("padma.trainer", "padma"),  # no alerts.read
    ):
        for call in (service.mark_read, service.dismiss, service.act):
            reply = call(alert.id, user, company)
            assert reply.outcome == "refused", (user, call.__name__)
            assert reply.text
    assert "not allow you to see alerts" in service.dismiss(alert.id, "padma.trainer", "padma").text
    assert "can't find alert" in service.dismiss(alert.id, "northwind.finance", "northwind").text
    assert status_of(writable_url, alert.id) is AlertStatus.UNREAD  # nothing changed
    # a user claiming another company is refused before anything is read
    assert service.act(alert.id, "northwind.finance", "padma").outcome == "refused"


def test_act_on_an_approval_alert_starts_the_confirmed_write(alerted, writable_url: str) -> None:
    service, alerts = alerted
    alert = first_of(alerts, "po_approval_waiting", role_id(writable_url, "purchasing_approver"))
    reply = service.act(alert.id, "padma.approver", "padma")
    assert reply.outcome == "done" and reply.status == "read"
    assert reply.command == "approve_purchase_order"
    assert reply.draft == {"document": alert.record_ref}
    assert reply.write is not None and reply.write.outcome == "collect"
    assert reply.write.missing == []  # complete: the next step is the confirmation summary
    assert status_of(writable_url, alert.id) is AlertStatus.READ  # acted on once confirmed
    with read_session(writable_url) as session:  # nothing is approved before confirming
        order = session.scalar(
            select(PurchaseOrder).where(PurchaseOrder.number == alert.record_ref)
        )
        assert order.status is PurchaseOrderStatus.PENDING_APPROVAL
    # cancelled: the alert stays open; confirmed (here typed anew): acted on
    approver = ("padma.approver", "padma")
    draft = reply.write.draft
    first = service.propose_write("approve_purchase_order", *approver, draft, "alert-approval")
    assert first.outcome == "confirm", first.text
    assert service.cancel_write(first.token, *approver).outcome == "cancelled"
    assert status_of(writable_url, alert.id) is AlertStatus.READ
    again = service.propose_write("approve_purchase_order", *approver, draft, "alert-approval")
    assert service.confirm_write(again.token, *approver).outcome == "done"
    assert status_of(writable_url, alert.id) is AlertStatus.ACTED


# --- scheduling ----------------------------------------------------------------------


async def test_the_scheduler_runs_in_the_background_and_survives_a_failure() -> None:
    calls: list[float] = []

    def job() -> str:
        calls.append(time.monotonic())
        time.sleep(0.2)  # blocking work, as a database run is
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return "ok"

    results: list[str] = []
    task = asyncio.create_task(run_periodically(job, 0.05, on_result=results.append))
    lags = []
    started = time.monotonic()
    while time.monotonic() - started < 1.0:
        tick = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append(time.monotonic() - tick)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(calls) >= 3  # the first run failed, and the loop went on
    assert results and set(results) == {"ok"}
    assert max(lags) < 0.1  # the event loop was never blocked by the 0.2 s runs


async def test_interval_zero_disables_the_scheduler() -> None:
    ran = []
    await asyncio.wait_for(run_periodically(lambda: ran.append(1), 0), timeout=1)
    assert ran == []
    settings = load_settings({"ERP_ALERT_INTERVAL_SECONDS": "0"})
    assert settings.alert_interval_seconds == 0
    assert load_settings({}).alert_interval_seconds == 300
    with pytest.raises(SystemExit, match="at least 0 \\(0 turns it off\\)"):
        load_settings({"ERP_ALERT_INTERVAL_SECONDS": "-1"})
    # the supervisor hands the setting to the action server it starts
    from bot.supervisor import base_environment

    assert base_environment(settings)["ERP_ALERT_INTERVAL_SECONDS"] == "0"


async def test_the_action_server_task_runs_the_detectors_and_survives_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import actions.erp.alerts as alerts_package
    from actions.server import alert_detectors

    calls: list[str] = []

    def fake_run(database_url: str):
        calls.append(database_url)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return type("Report", (), {"new_total": 0})()

    monkeypatch.setattr(alerts_package, "run_detectors", fake_run)
    settings = load_settings(
        {"DATABASE_URL": "sqlite:///nowhere.db", "ERP_ALERT_INTERVAL_SECONDS": "1"}
    )
    task = asyncio.create_task(alert_detectors(settings, initial_delay=0))
    await asyncio.sleep(1.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == ["sqlite:///nowhere.db"] * 2


# --- the command line ---------------------------------------------------------------


def test_cli_alerts_run_prints_a_summary_per_company(
    writable_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings({"DATABASE_URL": writable_url})
    report = cmd_alerts_run(settings, "padma", AS_OF)
    out = capsys.readouterr().out
    assert "[1/1] padma" in out
    assert f"padma: {report.new_total} new, 0 existing" in out
    assert "northwind" not in out
    for kind in ("low_stock", "invoice_overdue", "bill_due", "po_approval_waiting"):
        assert kind in out
    cmd_alerts_run(settings, None, AS_OF)
    out = capsys.readouterr().out
    assert f"padma: 0 new, {report.new_total} existing" in out
    assert "[2/2]" in out
    with pytest.raises(SystemExit, match="no company"):
        cmd_alerts_run(settings, "nosuch", AS_OF)


# --- precision and recall on planted anomalies ------------------------------------------


@pytest.fixture(scope="module")
def full_scale_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo at its full size (scale 1): about 15 orders a business day."""
    from actions.erp.seed import seed

    path: Path = tmp_path_factory.mktemp("alerts-eval") / "erp.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    seed(url, as_of=AS_OF, scale=1.0)
    yield url
    dispose_engine(url)


def test_precision_and_recall_at_full_scale(full_scale_url: str) -> None:
    quiet = evaluate(full_scale_url, AFTER, plants=[])
    assert quiet.fired == []  # four ordinary weeks of both companies: no alert
    plants = choose_plants(full_scale_url, AFTER)
    assert len(plants) == 11 and {p.factor for p in plants} == {DROP, SPIKE}
    plant_anomalies(full_scale_url, plants)
    report = evaluate(full_scale_url, AFTER, plants)
    # measured: precision 1.0 (10 of 10), recall 0.91 (10 of 11)
    assert report.precision >= 0.9
    assert report.recall >= 0.8
    assert all(p.factor == DROP for p in report.missed)  # every 4x spike is found


def test_planting_refuses_a_day_without_sales(writable_url: str) -> None:
    with pytest.raises(ValueError, match="no sales"):
        plant_anomalies(writable_url, [Plant("padma", AS_OF + timedelta(days=30), DROP)])


# --- the session-start greeting ---------------------------------------------------------


async def test_session_start_mentions_unread_critical_and_warning_alerts(
    writable_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa_sdk.executor import ActionExecutor

    from actions.handlers import common, session
    from tests.test_actions import action_call

    service = ERPService(writable_url, today=lambda: AS_OF)
    monkeypatch.setattr(common, "get_service", lambda: service)
    monkeypatch.setattr(session, "get_service", lambda: service)
    executor = ActionExecutor()
    executor.register_package("actions.handlers")
    metadata = {"identity": {"user": "padma.finance", "company": "padma"}}
    call = action_call("action_session_start", slots={"session_started_metadata": metadata})

    async def greeting() -> list[str]:
        result = (await executor.run(call)).model_dump()
        return [r["text"] for r in result["responses"]]

    assert await greeting() == []  # no alerts yet: nothing extra is said
    run_detectors(writable_url, AS_OF)
    counts = service.unread_alert_counts("padma.finance", "padma")
    assert counts["critical"] and counts["warning"]
    total = counts["critical"] + counts["warning"]
    assert await greeting() == [
        f"You have {total} unread alerts ({counts['critical']} critical and "
        f'{counts["warning"]} warning). Ask "any alerts?" to see them.'
    ]
    # the warehouse clerk only counts their own alerts
    warehouse = service.alert_greeting("padma.warehouse", "padma")
    assert warehouse is not None and warehouse != await greeting()
    assert service.alert_greeting("padma.trainer", "padma") is None  # no alerts.read
