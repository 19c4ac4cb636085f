"""The buying side of the simulation: reorders, purchase orders and their
approval, receipts of goods, supplier bills and the weekly payment run.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from actions.erp.demo.catalog import APPROVAL_COMMENTS, REJECTION_REASONS
from actions.erp.demo.model import (
    DAY,
    FINAL_WINDOW_DAYS,
    NEVER,
    SHORTAGE_WINDOW_DAYS,
    SUPPLIER_DELAYS,
    TROUBLE_WINDOW_DAYS,
    OpenBill,
    Product,
)
from actions.erp.demo.store import half_up
from actions.erp.models import InvoiceStatus, MovementType, PaymentDirection, PurchaseOrderStatus


class PurchasingMixin:
    """Stock is reordered, approved, received, billed and paid for."""

    def _reorder(self, day: date) -> None:
        late_days = day >= self.as_of - timedelta(days=SHORTAGE_WINDOW_DAYS)
        groups: dict[tuple[int, int, str], list[tuple[Product, int]]] = {}
        for w in range(len(self.warehouses)):
            for product in self.products:
                if not product.sellable:
                    continue
                key = (product.index, w)
                position = self.available(product, w) + self.on_order[key]
                trigger = product.trigger[w]
                if position > trigger:
                    continue
                batches = max(1, math.ceil((trigger - position + 1) / product.reorder_qty))
                qty = product.reorder_qty * min(batches, 4)
                stuck = self.shortage.get(key, "") if late_days else ""
                groups.setdefault((product.supplier, w, stuck), []).append((product, qty))
        for (supplier, w, stuck), lines in groups.items():
            # top up the supplier's other products that will need it soon anyway
            for product in self.products if not stuck else ():
                if product.supplier != supplier or not product.sellable:
                    continue
                if any(product is line[0] for line in lines):
                    continue
                key = (product.index, w)
                if late_days and key in self.shortage:
                    continue
                position = self.available(product, w) + self.on_order[key]
                if position <= product.trigger[w] + product.reorder_qty // 2:
                    lines.append((product, product.reorder_qty))
            self._create_po(day, supplier, w, lines, kind="reorder", stuck=stuck)

    def _create_po(
        self,
        day: date,
        supplier_index: int,
        w: int,
        lines: list[tuple[Product, int]],
        *,
        kind: str,
        approve_after: int | None = None,
        receive_on: date | None = None,
        stuck: str = "",
    ) -> dict[str, Any]:
        rng = self.rng
        supplier = self.suppliers[supplier_index]
        order_id = self.new_id("purchase_orders")
        number = self.number("PO", day, 4)
        subtotal = sum(qty * product.cost for product, qty in lines)
        tax = half_up(subtotal * self.p.purchase_tax_bp, 10_000)
        total = subtotal + tax
        role = (
            "purchasing_approver" if total < self.p.approval_threshold * 100 else "finance_manager"
        )
        expected = self.next_business_day(day + timedelta(days=supplier.lead + 2))
        if receive_on is not None:
            expected = receive_on
        if kind == "overdue":  # promised for days ago, still not here
            expected = max(day + timedelta(days=5), self.as_of - timedelta(days=rng.randint(4, 15)))
        creator = "warehouse" if rng.random() < 0.85 else "admin"
        submit = day if rng.random() < 0.85 else self.add_business_days(day, 1)
        in_final_days = day >= self.as_of - timedelta(days=2)
        if kind == "reorder" and in_final_days and rng.random() < 0.3:
            submit = NEVER  # still a draft
        if kind in ("pending", "bulk", "overdue"):
            submit = day
        if kind == "draft":
            submit = NEVER
        row = self.add(
            "purchase_orders",
            {
                "id": order_id,
                "company_id": self.company_id,
                "number": number,
                "supplier_id": supplier.id,
                "warehouse_id": self.warehouses[w][0],
                "order_date": day,
                "expected_date": expected,
                "status": PurchaseOrderStatus.DRAFT,
                "subtotal": subtotal,
                "tax_total": tax,
                "total": total,
                "approver_role_id": None,
                "submitted_at": None,
                "created_by": self.users[creator],
            },
        )
        line_rows = []
        for product, qty in lines:
            line = self.add(
                "purchase_order_lines",
                {
                    "id": self.new_id("purchase_order_lines"),
                    "order_id": order_id,
                    "product_id": product.id,
                    "quantity": qty,
                    "unit_cost": product.cost,
                    "line_total": qty * product.cost,
                    "received_qty": 0,
                },
            )
            line_rows.append(line)
            if kind not in ("pending", "draft"):
                self.on_order[(product.index, w)] += qty
        po = {
            "row": row,
            "lines": lines,
            "line_rows": line_rows,
            "supplier": supplier_index,
            "warehouse": w,
            "role": role,
            "creator": creator,
            "kind": kind,
            "receive_on": receive_on,
            "stuck": stuck,
        }
        if submit > self.as_of:
            return po
        when = self.moment(submit, 9, 12)
        row["status"] = PurchaseOrderStatus.PENDING_APPROVAL
        row["approver_role_id"] = self.role_ids[role]
        row["submitted_at"] = when
        self._po_event(po, "submitted", "draft", "pending_approval", creator, when)
        if kind == "pending":
            return po
        if approve_after is not None:
            decide = self.add_business_days(submit, approve_after)
        else:
            delays = (0, 1, 1, 2, 3) if role == "purchasing_approver" else (1, 2, 3, 4, 6)
            decide = self.add_business_days(submit, rng.choice(delays))
            stuck_window = day >= self.as_of - timedelta(days=FINAL_WINDOW_DAYS)
            if kind == "reorder" and stuck_window and rng.random() < 0.04:
                decide = NEVER
            if stuck == "approval":
                decide = NEVER
        if decide <= self.as_of:
            self.agenda[decide].append(("decide", po))
        return po

    def _po_event(
        self,
        po: dict[str, Any],
        action: str,
        before: str,
        after: str,
        user: str,
        when: datetime,
        comment: str = "",
    ) -> None:
        row = po["row"]
        self.add(
            "purchase_order_events",
            {
                "id": self.new_id("purchase_order_events"),
                "order_id": row["id"],
                "action": action,
                "from_status": before,
                "to_status": after,
                "actor_user_id": self.users[user],
                "comment": comment,
                "at": when,
            },
        )
        self.audit(
            user,
            f"purchase_order.{action}",
            "purchase_order",
            row["number"],
            when,
            supplier=self.suppliers[po["supplier"]].name,
            total=self.fmt(row["total"]),
            status=after,
        )

    def _decide_po(self, day: date, po: dict[str, Any]) -> None:
        rng = self.rng
        row = po["row"]
        approver = self.role_user[po["role"]]
        when = max(self.moment(day, 10, 17), row["submitted_at"] + timedelta(minutes=30))
        if po["kind"] == "reorder" and not po["stuck"] and rng.random() < 0.04:
            row["status"] = PurchaseOrderStatus.REJECTED
            self._po_event(
                po,
                "rejected",
                "pending_approval",
                "rejected",
                approver,
                when,
                rng.choice(REJECTION_REASONS),
            )
            for product, qty in po["lines"]:
                self.on_order[(product.index, po["warehouse"])] -= qty
            return
        row["status"] = PurchaseOrderStatus.APPROVED
        self._po_event(
            po,
            "approved",
            "pending_approval",
            "approved",
            approver,
            when,
            rng.choice(APPROVAL_COMMENTS),
        )
        supplier = self.suppliers[po["supplier"]]
        if po["receive_on"] is not None:
            receive = po["receive_on"]
        elif (
            po["kind"] == "overdue"
            or po["stuck"] == "delivery"
            or (supplier.troubled and day >= self.as_of - timedelta(days=TROUBLE_WINDOW_DAYS))
        ):
            receive = NEVER
        else:
            low, high = SUPPLIER_DELAYS[supplier.reliability]
            late = rng.randint(low, high)
            receive = row["expected_date"] + timedelta(days=late)
        receive = self.next_business_day(max(receive, day + DAY)) if receive != NEVER else NEVER
        if receive <= self.as_of:
            self.agenda[receive].append(("receive", po))

    def _receive_po(self, day: date, po: dict[str, Any]) -> None:
        rng = self.rng
        row = po["row"]
        w = po["warehouse"]
        supplier = self.suppliers[po["supplier"]]
        for (product, qty), line in zip(po["lines"], po["line_rows"], strict=True):
            self._move(product, w, qty, MovementType.RECEIPT, row["number"], day, product.cost)
            self.on_order[(product.index, w)] -= qty
            line["received_qty"] = qty
        row["status"] = PurchaseOrderStatus.RECEIVED
        self._po_event(po, "received", "approved", "received", "warehouse", self.moment(day, 8, 16))
        bill_id = self.new_id("supplier_bills")
        number = self.number("BILL", day, 5)
        entry_id = self.post(
            day,
            f"Bill {number} from {supplier.name} for {row['number']}",
            [
                ("1200", row["subtotal"], 0),
                ("2100", row["tax_total"], 0),  # input VAT credit
                ("2000", 0, row["total"]),
            ],
            number,
        )
        due = day + timedelta(days=supplier.terms)
        bill = self.add(
            "supplier_bills",
            {
                "id": bill_id,
                "company_id": self.company_id,
                "number": number,
                "supplier_reference": f"{supplier.ref_prefix}-{rng.randint(10000, 99999)}",
                "supplier_id": supplier.id,
                "purchase_order_id": row["id"],
                "bill_date": day,
                "due_date": due,
                "status": InvoiceStatus.POSTED,
                "subtotal": row["subtotal"],
                "tax_total": row["tax_total"],
                "total": row["total"],
                "amount_paid": 0,
                "journal_entry_id": entry_id,
            },
        )
        held = due + timedelta(days=rng.randint(15, 60)) if rng.random() < 0.05 else day
        if po["kind"] == "bulk":
            held = day
        large = row["total"] >= self.p.approval_threshold * 50  # half the approval threshold
        installments = large and po["kind"] != "bulk" and rng.random() < 0.2
        self.open_bills.append(OpenBill(bill, po["supplier"], due, held, installments))
        self.audit(
            "finance",
            "bill.posted",
            "supplier_bill",
            number,
            self.moment(day, 12, 18),
            supplier=supplier.name,
            total=self.fmt(row["total"]),
            purchase_order=row["number"],
        )

    def _payment_run(self, day: date) -> None:
        if not self.open_bills:
            return
        bank = self.bank_codes[0]
        self._repay_loan(day)
        available = self.balance[bank] - self.cash_reserve
        horizon = day + timedelta(days=6)
        due = sorted(
            (b for b in self.open_bills if b.due <= horizon and b.held_until <= day),
            key=lambda b: (b.due, b.row["id"]),
        )
        grouped: dict[int, list[tuple[dict[str, Any], int]]] = {}
        for bill in due:
            if available <= 0:
                break
            open_amount = bill.row["total"] - bill.row["amount_paid"]
            if bill.installments and not bill.row["amount_paid"]:
                # agreed with the supplier: half now, the rest in two to five weeks
                open_amount = bill.row["total"] // 2
                bill.held_until = day + timedelta(days=self.rng.randint(14, 35))
                bill.due = bill.held_until
            amount = min(open_amount, available)
            if amount < open_amount and amount < open_amount // 4:
                break
            if amount < open_amount:  # part payment in round figures
                unit = 100_000 if self.p.currency == "BDT" else 10_000
                amount = amount // unit * unit
                if not amount:
                    break
            grouped.setdefault(bill.supplier, []).append((bill.row, amount))
            available -= amount
        for supplier_index, parts in grouped.items():
            self._pay_supplier(day, supplier_index, parts)
        self.open_bills = [b for b in self.open_bills if b.row["amount_paid"] < b.row["total"]]

    def _pay_supplier(
        self, day: date, supplier_index: int, parts: list[tuple[dict[str, Any], int]]
    ) -> None:
        rng = self.rng
        supplier = self.suppliers[supplier_index]
        amount = sum(a for _, a in parts)
        payment_id = self.new_id("payments")
        number = self.number("PAY", day, 5)
        entry_id = self.post(
            day,
            f"Payment {number} to {supplier.name}",
            [("2000", amount, 0), (self.bank_codes[0], 0, amount)],
            number,
        )
        method = "bank_transfer" if self.p.country == "BD" else rng.choice(("ach", "ach", "wire"))
        self.add(
            "payments",
            {
                "id": payment_id,
                "company_id": self.company_id,
                "number": number,
                "direction": PaymentDirection.PAYMENT,
                "customer_id": None,
                "supplier_id": supplier.id,
                "bank_account_id": self.bank_ids[0],
                "payment_date": day,
                "amount": amount,
                "method": method,
                "reference": f"{supplier.ref_prefix} "
                + ", ".join(bill["supplier_reference"].split("-")[-1] for bill, _ in parts)[:56],
                "journal_entry_id": entry_id,
            },
        )
        self._allocate(payment_id, "bill_id", parts)
        self.audit(
            "finance",
            "payment.recorded",
            "payment",
            number,
            self.moment(day),
            supplier=supplier.name,
            amount=self.fmt(amount),
            bills=[bill["number"] for bill, _ in parts],
        )
