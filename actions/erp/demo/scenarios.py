"""The fixed situations the demo must show near the end of its history:
purchase orders awaiting approval or overdue, stock shortages, a bulk
stock-up and a tight cash outlook.
"""

from __future__ import annotations

from datetime import date, timedelta

from actions.erp.demo.model import Product
from actions.erp.demo.store import half_up, nice
from actions.erp.models import InvoiceStatus


class ScenarioMixin:
    """Situations placed on fixed days near `as_of`."""

    def _plan_scenarios(self) -> None:
        """Situations the demo must show, placed on fixed days near the end."""
        rng = self.rng
        sellable = [pr for pr in self.products if pr.sellable]
        # one supplier whose deliveries are stuck (port congestion, a strike)
        candidates = sorted(
            {pr.supplier for pr in sellable},
        )
        counts = {s: sum(1 for pr in sellable if pr.supplier == s) for s in candidates}
        small = [s for s in candidates if counts[s] <= max(2, len(sellable) // 20)]
        trouble = rng.choice(small or candidates)
        self.suppliers[trouble].troubled = True
        self.trouble_supplier = trouble
        # purchase orders waiting for approval, both approver roles, some for weeks
        offsets = (2, 5, 9, 16, 23, 31, 38, 44)
        self.scenario_pos: list[tuple[date, str, str]] = []
        for i, offset in enumerate(offsets):
            band = "approver" if i % 2 == 0 else "finance"
            day = self.next_business_day(self.as_of - timedelta(days=offset))
            if day > self.as_of:
                day = self.as_of - timedelta(days=offset + 2)
            self.scenario_pos.append((day, "pending", band))
        # products that run short at the end: a big customer buys most of the
        # stock, and the reorder then waits for approval or for a late delivery
        target = max(1, round(len(sellable) * 0.1))
        short = [pr for pr in sellable if pr.supplier == trouble][: max(1, target // 3)]
        others = [pr for pr in sellable if pr.supplier != trouble]
        rng.shuffle(others)
        short += others[: max(0, target - len(short))]
        self.shortage: dict[tuple[int, int], str] = {}
        self.clearances: list[tuple[date, Product, int]] = []
        for i, product in enumerate(short):
            w = rng.randrange(len(self.warehouses))
            trouble_product = product.supplier == trouble
            self.shortage[(product.index, w)] = (
                "delivery" if trouble_product or i % 2 else "approval"
            )
            day = self.next_business_day(self.as_of - timedelta(days=rng.randint(26, 40)))
            self.clearances.append((day, product, w))
        # a purchase order still being prepared
        self.scenario_pos.append((self.last_business_day, "draft", "approver"))
        # orders with the stuck supplier, approved and now overdue
        for offset in (40, 30):
            day = self.next_business_day(self.as_of - timedelta(days=offset))
            self.scenario_pos.append((day, "overdue", ""))
        # a large stock-up whose bills fall due in the coming weeks
        self.bulk_buys: list[tuple[date, date, int, float]] = []
        if self.p.cash_tight:
            eligible = sorted(
                (s for s in candidates if s != trouble),
                key=lambda s: (
                    self.suppliers[s].terms > 45,
                    -sum(pr.weight for pr in sellable if pr.supplier == s),
                    s,
                ),
            )
            for due_offset, share, supplier in zip((9, 16), (0.55, 0.45), eligible, strict=False):
                due = self.as_of + timedelta(days=due_offset)
                receive = self.next_business_day(
                    due - timedelta(days=self.suppliers[supplier].terms)
                )
                if receive > self.as_of - timedelta(days=3):
                    receive = self.next_business_day(self.as_of - timedelta(days=10))
                order = receive - timedelta(days=max(4, self.suppliers[supplier].lead))
                order = self.next_business_day(order)
                self.bulk_buys.append((order, receive, supplier, share))

    def _clearance(self, day: date, product: Product, w: int) -> None:
        """A big customer takes most of a product's stock in one order."""
        keep = int(product.reorder_level * self.rng.uniform(0.2, 0.7))
        qty = self.available(product, w) - keep
        if qty <= 0:
            return
        buyers = sorted(
            (c for c in self._eligible_customers(day) if c.payer in ("prompt", "normal")),
            key=lambda c: (-c.weight, c.index),
        )
        if buyers:
            self._create_sales_order(
                day, buyers[min(len(buyers) - 1, self.rng.randrange(5))], w, [(product, qty)]
            )

    def _scenario_po(self, day: date, kind: str, band: str) -> None:
        rng = self.rng
        threshold = self.p.approval_threshold * 100
        tax_factor = 1 + self.p.purchase_tax_bp / 10_000
        sellable = [pr for pr in self.products if pr.sellable]
        if kind == "overdue":
            products = [pr for pr in sellable if pr.supplier == self.trouble_supplier]
            w = 0
            lines = [(pr, pr.reorder_qty) for pr in products[:3]]
            self._create_po(day, self.trouble_supplier, w, lines, kind="overdue", approve_after=1)
            return
        # pending approval: one to three products of one supplier, sized for the band
        supplier = rng.choice(sorted({pr.supplier for pr in sellable}))
        products = [pr for pr in sellable if pr.supplier == supplier][:3]
        if band == "approver":
            target = threshold * rng.uniform(0.25, 0.85)
        else:
            target = threshold * rng.uniform(1.1, 2.6)
        per_line = target / tax_factor / len(products)
        lines = [(pr, max(1, int(per_line // pr.cost))) for pr in products]

        def total(items: list[tuple[Product, int]]) -> int:
            subtotal = sum(q * pr.cost for pr, q in items)
            return subtotal + half_up(subtotal * self.p.purchase_tax_bp, 10_000)

        if band == "approver":
            while total(lines) >= threshold and lines[0][1] > 1:
                lines[0] = (lines[0][0], lines[0][1] - max(1, lines[0][1] // 10))
            while total(lines) >= threshold and len(lines) > 1:
                lines.pop()
        else:
            while total(lines) < threshold:
                lines[0] = (lines[0][0], lines[0][1] + max(1, lines[0][1] // 10))
        w = rng.randrange(len(self.warehouses))
        self._create_po(day, supplier, w, lines, kind=kind)

    def _bulk_buy(self, day: date, receive: date, supplier_index: int, share: float) -> None:
        """A seasonal stock-up sized on today's cash: its bill falls due soon."""
        cash = self.balance[self.bank_codes[0]] + self.balance[self.bank_codes[1]]
        target = cash * share
        products = [pr for pr in self.products if pr.sellable and pr.supplier == supplier_index]
        weights = sum(pr.weight for pr in products)
        tax_factor = 1 + self.p.purchase_tax_bp / 10_000
        lines = []
        for product in products:
            value = target / tax_factor * product.weight / weights
            qty = max(product.reorder_qty, nice(value / product.cost))
            lines.append((product, qty))
        self._create_po(
            day, supplier_index, 0, lines, kind="bulk", approve_after=1, receive_on=receive
        )

    def cash_outlook(self, weeks: int = 4) -> tuple[int, int]:
        """(cash now, lowest projected weekly closing) seen from `as_of`: open
        receivables come in when due (overdue ones are left out), open bills
        go out when due (overdue ones in the first week)."""
        cash = self.balance[self.bank_codes[0]] + self.balance[self.bank_codes[1]]
        flows = [0] * weeks
        end = self.as_of + timedelta(days=7 * weeks)
        for row in self.store.rows["customer_invoices"]:
            if row["company_id"] != self.company_id or row["status"] == InvoiceStatus.DRAFT:
                continue
            if self.as_of <= row["due_date"] < end:
                flows[(row["due_date"] - self.as_of).days // 7] += row["total"] - row["amount_paid"]
        for bill in self.open_bills:
            open_amount = bill.row["total"] - bill.row["amount_paid"]
            due = bill.row["due_date"]
            if due < end:
                flows[max(0, (due - self.as_of).days // 7)] -= open_amount
        lowest = balance = cash
        for flow in flows:
            balance += flow
            lowest = min(lowest, balance)
        return cash, lowest

    def _tighten_cash(self, day: date) -> None:
        """Make the coming weeks tight but not absurd: lowest projected cash
        between 5 % and 20 % of today's, by spending on equipment or drawing
        on the credit line in the last days."""
        cash, lowest = self.cash_outlook()
        bank = self.bank_codes[0]
        unit = 100_000 if self.p.currency == "USD" else 10_000_000  # 1,000 $ / 1 lakh
        if lowest > cash * 0.2:
            # (lowest - x) / (cash - x) = 0.12
            spend = int((lowest - cash * 0.12) / 0.88) // unit * unit
            spend = min(spend, self.balance[bank] - self.cash_reserve // 4)
            if spend > 0:
                where = self.warehouses[-1][1]
                self.post(
                    day,
                    f"Forklift and pallet racking for the {where} warehouse (paid on delivery)",
                    [("1500", spend, 0), (bank, 0, spend)],
                )
        elif lowest < cash * 0.05:
            # (lowest + y) / (cash + y) = 0.1
            draw = -(-int((cash * 0.1 - lowest) / 0.9) // unit) * unit
            self.loan += draw
            self.post(
                day, "Short-term loan drawdown (credit line)", [(bank, draw, 0), ("2500", 0, draw)]
            )
