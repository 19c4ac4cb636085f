"""A day-by-day simulation of one trading company, written out as ERP rows.

Every business event happens on its own day, in date order: customers order,
goods leave the warehouse, invoices are posted and paid, stock runs down and
is reordered, purchase orders are approved and received, bills are paid in a
weekly payment run, salaries and rent go out at month end. Because events
are produced in order, document numbers come out in date order too, stock
never goes negative (only stock on hand is ever promised to a customer) and
the bank accounts are checked before every payment.

Amounts are integer minor units throughout. All randomness comes from the
`random.Random` handed in; nothing depends on the clock or on set ordering.

`CompanySimulation` holds the state, the shared helpers and the day loop; each
area of the business is a mixin in its own module: `company` (set-up and the
demand plan), `master_data` (suppliers, products, customers), `sales`,
`purchasing`, `finance` (ledger postings, allocations, running costs, cash)
and `scenarios` (the fixed end-of-history situations). The constants and
records they share live in `model`.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from actions.erp.demo.catalog import ADJUSTMENT_REASONS, CompanyProfile
from actions.erp.demo.company import CompanySetupMixin
from actions.erp.demo.finance import FinanceMixin
from actions.erp.demo.master_data import MasterDataMixin
from actions.erp.demo.model import DAY, OpenBill, Product, SimulationError
from actions.erp.demo.purchasing import PurchasingMixin
from actions.erp.demo.sales import SalesMixin
from actions.erp.demo.scenarios import ScenarioMixin
from actions.erp.demo.store import ProgressCallback, RowStore, at_time, nice
from actions.erp.models import InvoiceStatus, MovementType


class CompanySimulation(
    CompanySetupMixin,
    MasterDataMixin,
    SalesMixin,
    PurchasingMixin,
    FinanceMixin,
    ScenarioMixin,
):
    """One company's history from `start` to `as_of`, written to a `RowStore`."""

    def __init__(
        self,
        store: RowStore,
        profile: CompanyProfile,
        *,
        rng: random.Random,
        as_of: date,
        start: date,
        scale: float,
        role_ids: dict[str, int],
        users: list[tuple[str, str, str, tuple[str, ...], str]],
        progress: ProgressCallback | None = None,
    ) -> None:
        self.store = store
        self.p = profile
        self.rng = rng
        self.as_of = as_of
        self.start = start
        self.scale = scale
        self.role_ids = role_ids
        self.user_specs = users  # (username, suffix, full_name, roles, password_hash)
        self.progress = progress
        self.code = profile.code
        self.total_days = (as_of - start).days + 1
        self.last_business_day = as_of
        while not self.is_business_day(self.last_business_day):
            self.last_business_day -= DAY

        self.counters: dict[tuple[str, int], int] = defaultdict(int)
        self.balance: dict[str, int] = defaultdict(int)  # GL code -> debit - credit
        self.gl: dict[str, int] = {}
        self.agenda: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
        self.collections: dict[date, list[tuple[int, dict[str, Any], int]]] = defaultdict(list)
        self.on_hand: dict[tuple[int, int], int] = {}
        self.reserved: dict[tuple[int, int], int] = defaultdict(int)
        self.on_order: dict[tuple[int, int], int] = defaultdict(int)
        self.open_bills: list[OpenBill] = []
        self.users: dict[str, int] = {}
        self.month_end_tax: dict[tuple[int, int], int] = {}
        self.loan = 0

    # --- helpers -----------------------------------------------------------

    def number(self, prefix: str, day: date, width: int) -> str:
        key = (prefix, day.year)
        self.counters[key] += 1
        return f"{prefix}-{day.year}-{self.counters[key]:0{width}d}"

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        return self.store.add(table, self.code, row)

    def new_id(self, table: str) -> int:
        return self.store.next_id(table)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.p.weekend

    def next_business_day(self, day: date) -> date:
        while not self.is_business_day(day):
            day += DAY
        return day

    def add_business_days(self, day: date, count: int) -> date:
        day = self.next_business_day(day)
        for _ in range(count):
            day = self.next_business_day(day + DAY)
        return day

    def moment(self, day: date, first_hour: int = 9, last_hour: int = 17) -> datetime:
        return at_time(day, self.rng.randint(first_hour, last_hour), self.rng.randrange(0, 60))

    def poisson(self, mean: float) -> int:
        limit = math.exp(-mean)
        count, product = 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def money(self, major: float) -> int:
        """Major units to minor units; taka amounts are whole taka."""
        if self.p.currency == "BDT":
            return round(major) * 100
        return round(major * 100)

    def audit(
        self,
        user: str,
        action: str,
        entity_type: str,
        ref: str,
        when: datetime,
        **details: Any,
    ) -> None:
        self.add(
            "audit_log",
            {
                "id": self.new_id("audit_log"),
                "company_id": self.company_id,
                "user_id": self.users[user],
                "action": action,
                "entity_type": entity_type,
                "entity_ref": ref,
                "details": details,
                "at": when,
            },
        )

    def fmt(self, amount: int) -> str:
        return f"{amount // 100}.{amount % 100:02d}"

    # --- set-up ------------------------------------------------------------

    def setup(self) -> None:
        self._company()
        self._accounts()
        self._users()
        self._approval_rules()
        self._suppliers()
        self._products()
        self._customers()
        self._plan_demand()
        self._plan_scenarios()

    # --- the simulation ----------------------------------------------------

    def run(self) -> None:
        self.setup()
        day = self.start
        self._opening(day)
        stage = f"simulate {self.code}"
        done = 0
        while day <= self.as_of:
            if day.day == 1 and self.progress:
                self.progress(stage, done, self.total_days)
            self._one_day(day)
            day += DAY
            done += 1
        self._finish()
        if self.progress:
            self.progress(stage, self.total_days, self.total_days)

    def _opening(self, day: date) -> None:
        rng = self.rng
        stock_value = 0
        for product in self.products:
            for w in range(len(self.warehouses)):
                if product.sellable:
                    qty = product.trigger[w] + int(product.reorder_qty * rng.uniform(0.1, 1.0))
                else:
                    qty = rng.randint(2, 12)
                self._move(product, w, qty, MovementType.ADJUSTMENT, "OPENING", day, product.cost)
                stock_value += qty * product.cost
        bank1 = nice(self.month_revenue * 1.1 / 100) * 100
        bank2 = nice(self.month_revenue * 0.25 / 100) * 100
        self.post(
            day,
            "Opening balances",
            [
                (self.bank_codes[0], bank1, 0),
                (self.bank_codes[1], bank2, 0),
                ("1200", stock_value, 0),
                ("3000", 0, bank1 + bank2 + stock_value),
            ],
            "OPENING",
        )

    def _one_day(self, day: date) -> None:
        self._run_agenda(day)
        self._collect(day)
        self._sales_orders(day)
        business = self.is_business_day(day)
        for scenario_day, kind, band in self.scenario_pos:
            if scenario_day == day:
                self._scenario_po(day, kind, band)
        for order_day, receive_day, supplier, share in self.bulk_buys:
            if order_day == day:
                self._bulk_buy(day, receive_day, supplier, share)
        for clearance_day, product, w in self.clearances:
            if clearance_day == day:
                self._clearance(day, product, w)
        if business and day.weekday() in self.p.reorder_weekdays:
            self._reorder(day)
        # what today's orders set off today: same-day deliveries and approvals
        self._run_agenda(day)
        if business and day.weekday() == self.p.payment_run_weekday:
            self._payment_run(day)
        if business:
            self._running_costs(day)
            if self.rng.random() < 0.07:
                self._adjustment(day)
        if (day + DAY).month != day.month:
            self.month_end_tax[(day.year, day.month)] = -self.balance["2100"]
        if self.p.cash_tight and day == self.last_business_day:
            self._tighten_cash(day)

    def _run_agenda(self, day: date) -> None:
        while self.agenda.get(day):
            for event in self.agenda.pop(day):
                kind = event[0]
                if kind == "decide":
                    self._decide_po(day, event[1])
                elif kind == "receive":
                    self._receive_po(day, event[1])
                elif kind == "deliver":
                    self._deliver(day, event[1])

    # stock

    def _move(
        self,
        product: Product,
        w: int,
        qty: int,
        kind: MovementType,
        reference: str,
        day: date,
        unit_cost: int,
    ) -> None:
        key = (product.index, w)
        level = self.on_hand.get(key, 0) + qty
        if level < 0:
            raise SimulationError(f"negative stock for {product.sku} on {day}")
        self.on_hand[key] = level
        self.add(
            "stock_movements",
            {
                "id": self.new_id("stock_movements"),
                "company_id": self.company_id,
                "product_id": product.id,
                "warehouse_id": self.warehouses[w][0],
                "movement_type": kind,
                "quantity": qty,
                "unit_cost": unit_cost,
                "reference": reference,
                "moved_at": day,
            },
        )

    def available(self, product: Product, w: int) -> int:
        key = (product.index, w)
        return self.on_hand.get(key, 0) - self.reserved[key]

    def _adjustment(self, day: date) -> None:
        rng = self.rng
        reason, sign = rng.choice(ADJUSTMENT_REASONS)
        product = rng.choice([pr for pr in self.products if pr.sellable])
        w = rng.randrange(len(self.warehouses))
        available = self.available(product, w)
        if sign < 0:
            if available < 3:
                return
            qty = -rng.randint(1, min(5, available // 3))
        else:
            qty = rng.randint(1, 4)
        reference = self.number("ADJ", day, 4)
        self._move(product, w, qty, MovementType.ADJUSTMENT, reference, day, product.cost)
        value = abs(qty) * product.cost
        lines = (
            [("5100", value, 0), ("1200", 0, value)]
            if qty < 0
            else [("1200", value, 0), ("5100", 0, value)]
        )
        self.post(day, f"Stock adjustment {reference}: {reason}, {product.sku}", lines, reference)
        self.audit(
            "warehouse",
            "stock.adjusted",
            "product",
            product.sku,
            self.moment(day),
            warehouse=self.warehouses[w][1],
            quantity=qty,
            reason=reason,
            reference=reference,
        )

    # --- the end -----------------------------------------------------------

    def _finish(self) -> None:
        for table in ("customer_invoices", "supplier_bills"):
            for row in self.store.rows[table]:
                if row["company_id"] != self.company_id or row["status"] == InvoiceStatus.DRAFT:
                    continue
                if row["amount_paid"] == 0:
                    row["status"] = InvoiceStatus.POSTED
                elif row["amount_paid"] < row["total"]:
                    row["status"] = InvoiceStatus.PARTIALLY_PAID
                else:
                    row["status"] = InvoiceStatus.PAID
        for (product_index, w), qty in sorted(self.on_hand.items()):
            self.add(
                "stock_levels",
                {
                    "company_id": self.company_id,
                    "product_id": self.products[product_index].id,
                    "warehouse_id": self.warehouses[w][0],
                    "quantity": qty,
                },
            )
        self._write_master_data()
