"""The sales side of the simulation: orders, deliveries, invoices, receipts."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from actions.erp.demo.model import (
    DAY,
    LINE_COUNT_WEIGHTS,
    LINE_COUNTS,
    LINE_SIGMA,
    ORDER_FOOTNOTE_DAYS,
    PAYMENT_DELAYS,
    Customer,
    Product,
)
from actions.erp.demo.store import half_up
from actions.erp.models import InvoiceStatus, MovementType, PaymentDirection, SalesOrderStatus


class SalesMixin:
    """Customers order, goods leave the warehouse, invoices go out and get paid."""

    def _eligible_customers(self, day: date) -> list[Customer]:
        return [
            c
            for c in self.customers
            if c.created <= day and day <= c.active_until and day < c.hold_from
        ]

    def _sales_orders(self, day: date) -> None:
        p, rng = self.p, self.rng
        elapsed = (day - self.start).days / max(1, self.total_days - 1)
        season = 1 + 0.07 * math.sin(2 * math.pi * (day.timetuple().tm_yday / 365.25 + 0.15))
        trend = 1 + p.growth * elapsed
        mean = self.base_rate * p.weekday_factor[day.weekday()] * trend * season
        count = self.poisson(mean)
        if not count:
            return
        customers = self._eligible_customers(day)
        if not customers:
            return
        weights = [c.weight for c in customers]
        sellable = [pr for pr in self.products if pr.sellable]
        product_weights = [pr.weight for pr in sellable]
        for _ in range(count):
            customer = rng.choices(customers, weights)[0]
            w = customer.warehouse
            if len(self.warehouses) > 1 and rng.random() < 0.1:
                w = rng.choice([i for i in range(len(self.warehouses)) if i != customer.warehouse])
            wanted = rng.choices(LINE_COUNTS, LINE_COUNT_WEIGHTS)[0]
            picked: list[Product] = []
            for _attempt in range(wanted * 3):
                product = rng.choices(sellable, product_weights)[0]
                if all(product is not q for q in picked) and self.available(product, w) > 0:
                    picked.append(product)
                if len(picked) == wanted:
                    break
            if not picked:
                continue
            lines = []
            for product in picked:
                value = self.line_value * rng.lognormvariate(0, LINE_SIGMA) * customer.size
                qty = max(1, round(value / product.price))
                available = self.available(product, w)
                if qty > available:
                    # short: most customers would rather wait than take part of it
                    if rng.random() < 0.6:
                        continue
                    qty = available
                lines.append((product, qty))
            if lines:
                self._create_sales_order(day, customer, w, lines)

    def _create_sales_order(
        self, day: date, customer: Customer, w: int, lines: list[tuple[Product, int]]
    ) -> None:
        rng = self.rng
        order_id = self.new_id("sales_orders")
        number = self.number("SO", day, 5)
        subtotal = discount_total = tax_total = cost_total = 0
        line_rows = []
        for product, qty in lines:
            gross = qty * product.price
            net = half_up(gross * (10_000 - customer.discount_bp), 10_000)
            tax = half_up(net * product.tax_bp, 10_000)
            subtotal += gross
            discount_total += gross - net
            tax_total += tax
            cost_total += qty * product.cost
            line_rows.append(
                {
                    "id": self.new_id("sales_order_lines"),
                    "order_id": order_id,
                    "product_id": product.id,
                    "quantity": qty,
                    "unit_price": product.price,
                    "discount_pct": customer.discount_bp,
                    "tax_rate_pct": product.tax_bp,
                    "line_total": net,
                }
            )
        total = subtotal - discount_total + tax_total
        lag = rng.choices((0, 1, 2, 3, 5), (0.2, 0.4, 0.25, 0.1, 0.05))[0]
        delivery = self.add_business_days(day, lag)
        if rng.random() < 0.015:
            status = SalesOrderStatus.CANCELLED
        elif delivery <= self.as_of:
            status = SalesOrderStatus.CONFIRMED  # becomes delivered/invoiced on delivery
        elif day >= self.as_of - DAY and rng.random() < 0.4:
            status = SalesOrderStatus.DRAFT
        else:
            status = SalesOrderStatus.CONFIRMED
        row = self.add(
            "sales_orders",
            {
                "id": order_id,
                "company_id": self.company_id,
                "number": number,
                "customer_id": customer.id,
                "warehouse_id": self.warehouses[w][0],
                "order_date": day,
                "requested_date": day + timedelta(days=rng.randint(1, 7)),
                "status": status,
                "subtotal": subtotal,
                "discount_total": discount_total,
                "tax_total": tax_total,
                "total": total,
                "created_by": self.users[customer.account_manager],
            },
        )
        for line in line_rows:
            self.add("sales_order_lines", line)
        self.audit(
            customer.account_manager,
            "sales_order.created",
            "sales_order",
            number,
            self.moment(day, 8, 18),
            customer=customer.name,
            total=self.fmt(total),
        )
        if status in (SalesOrderStatus.CANCELLED, SalesOrderStatus.DRAFT):
            return
        for product, qty in lines:
            self.reserved[(product.index, w)] += qty
        if delivery <= self.as_of:
            order = {
                "row": row,
                "customer": customer,
                "warehouse": w,
                "lines": lines,
                "net": subtotal - discount_total,
                "tax": tax_total,
                "cost": cost_total,
            }
            self.agenda[delivery].append(("deliver", order))

    def _deliver(self, day: date, order: dict[str, Any]) -> None:
        rng = self.rng
        row, customer, w = order["row"], order["customer"], order["warehouse"]
        for product, qty in order["lines"]:
            self.reserved[(product.index, w)] -= qty
            self._move(product, w, -qty, MovementType.ISSUE, row["number"], day, product.cost)
        recent = (self.as_of - day).days <= ORDER_FOOTNOTE_DAYS
        roll = rng.random()
        if recent and roll < 0.22:
            row["status"] = SalesOrderStatus.DELIVERED
            self.post(
                day,
                f"Goods issued for {row['number']} to {customer.name}",
                [("5000", order["cost"], 0), ("1200", 0, order["cost"])],
                row["number"],
            )
            if roll < 0.10:  # invoice drafted, not yet posted
                self._invoice(day, order, draft=True)
            return
        row["status"] = SalesOrderStatus.INVOICED
        self._invoice(day, order, draft=False)

    def _invoice(self, day: date, order: dict[str, Any], *, draft: bool) -> None:
        customer: Customer = order["customer"]
        so = order["row"]
        invoice_id = self.new_id("customer_invoices")
        number = self.number("INV", day, 5)
        total = order["net"] + order["tax"]
        entry_id = None
        if not draft:
            entry_id = self.post(
                day,
                f"Invoice {number} to {customer.name}",
                [
                    ("1100", total, 0),
                    ("4000", 0, order["net"]),
                    ("2100", 0, order["tax"]),
                    ("5000", order["cost"], 0),
                    ("1200", 0, order["cost"]),
                ],
                number,
            )
        invoice = self.add(
            "customer_invoices",
            {
                "id": invoice_id,
                "company_id": self.company_id,
                "number": number,
                "customer_id": customer.id,
                "sales_order_id": so["id"],
                "invoice_date": day,
                "due_date": day + timedelta(days=customer.terms),
                "status": InvoiceStatus.DRAFT if draft else InvoiceStatus.POSTED,
                "subtotal": order["net"],
                "tax_total": order["tax"],
                "total": total,
                "amount_paid": 0,
                "journal_entry_id": entry_id,
            },
        )
        if draft:
            return
        self.audit(
            "finance",
            "invoice.posted",
            "customer_invoice",
            number,
            self.moment(day, 10, 18),
            customer=customer.name,
            total=self.fmt(total),
            sales_order=so["number"],
        )
        self._plan_collection(day, customer, invoice, total)

    def _plan_collection(
        self, day: date, customer: Customer, invoice: dict[str, Any], total: int
    ) -> None:
        rng = self.rng
        due = invoice["due_date"]
        payer = customer.payer
        if payer == "defaulter" and day >= customer.default_from:
            if rng.random() < 0.2:
                part = half_up(total * rng.randint(25, 50), 100)
                self._schedule(
                    customer, invoice, part, due + timedelta(days=rng.randint(15, 80)), day
                )
            return
        if payer == "defaulter":
            payer = "late"
        low, high = PAYMENT_DELAYS[payer]
        pay_day = due + timedelta(days=rng.randint(low, high))
        if rng.random() < 0.12 and total >= 200:
            # part now, the rest a few weeks later
            first = half_up(total * rng.randint(30, 70), 100)
            first_day = max(pay_day - timedelta(days=rng.randint(10, 30)), day + timedelta(days=7))
            pay_day = max(pay_day, first_day + timedelta(days=14))
            self._schedule(customer, invoice, first, first_day, day)
            self._schedule(customer, invoice, total - first, pay_day, day)
        else:
            self._schedule(customer, invoice, total, pay_day, day)

    def _schedule(
        self, customer: Customer, invoice: dict[str, Any], amount: int, pay_day: date, issued: date
    ) -> None:
        pay_day = self.next_business_day(max(pay_day, issued + DAY))
        if amount > 0 and pay_day <= self.as_of:
            self.collections[pay_day].append((customer.index, invoice, amount))

    def _collect(self, day: date) -> None:
        items = self.collections.pop(day, [])
        if not items:
            return
        rng = self.rng
        grouped: dict[int, dict[int, list[Any]]] = {}
        for customer_index, invoice, amount in items:
            per_invoice = grouped.setdefault(customer_index, {})
            per_invoice.setdefault(invoice["id"], [invoice, 0])[1] += amount
        for customer_index, by_invoice in grouped.items():
            parts = [(invoice, amount) for invoice, amount in by_invoice.values()]
            customer = self.customers[customer_index]
            amount = sum(a for _, a in parts)
            payment_id = self.new_id("payments")
            number = self.number("RCPT", day, 5)
            bank = customer.bank
            if self.p.country == "BD":
                method = rng.choices(("bank_transfer", "cheque", "mobile_banking"), (6, 3, 1))[0]
            else:
                method = rng.choices(("ach", "check", "wire"), (6, 3, 1))[0]
            reference = (
                f"CHQ {rng.randint(100000, 999999)}"
                if method in ("cheque", "check")
                else f"TRX{rng.randint(10_000_000, 99_999_999)}"
            )
            entry_id = self.post(
                day,
                f"Receipt {number} from {customer.name}",
                [(self.bank_codes[bank], amount, 0), ("1100", 0, amount)],
                number,
            )
            self.add(
                "payments",
                {
                    "id": payment_id,
                    "company_id": self.company_id,
                    "number": number,
                    "direction": PaymentDirection.RECEIPT,
                    "customer_id": customer.id,
                    "supplier_id": None,
                    "bank_account_id": self.bank_ids[bank],
                    "payment_date": day,
                    "amount": amount,
                    "method": method,
                    "reference": reference,
                    "journal_entry_id": entry_id,
                },
            )
            self._allocate(payment_id, "invoice_id", parts)
            self.audit(
                "finance",
                "payment.recorded",
                "payment",
                number,
                self.moment(day),
                customer=customer.name,
                amount=self.fmt(amount),
                invoices=[invoice["number"] for invoice, _ in parts],
            )
