"""Money in the simulation: journal postings, payment allocations, running
costs (rent, utilities, VAT, salaries, bank charges), dividends, the
credit line and transfers between the bank accounts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from actions.erp.demo.model import DAY, SimulationError
from actions.erp.demo.store import add_months, nice, nice_up


class FinanceMixin:
    """The ledger and the money that must go out."""

    def post(
        self,
        day: date,
        description: str,
        lines: list[tuple[str, int, int]],
        source_ref: str = "",
    ) -> int:
        """A balanced journal entry; zero lines are left out."""
        lines = [(code, dr, cr) for code, dr, cr in lines if dr or cr]
        debit = sum(dr for _, dr, _ in lines)
        credit = sum(cr for _, _, cr in lines)
        if debit != credit or debit == 0:
            raise SimulationError(f"unbalanced journal entry {description}: {debit} != {credit}")
        entry_id = self.new_id("journal_entries")
        self.add(
            "journal_entries",
            {
                "id": entry_id,
                "company_id": self.company_id,
                "number": self.number("JE", day, 6),
                "entry_date": day,
                "description": description[:300],
                "source_ref": source_ref,
            },
        )
        for code, dr, cr in lines:
            if dr and cr:
                raise SimulationError("a journal line is either a debit or a credit")
            self.add(
                "journal_lines",
                {
                    "id": self.new_id("journal_lines"),
                    "entry_id": entry_id,
                    "account_id": self.gl[code],
                    "debit": dr,
                    "credit": cr,
                },
            )
            self.balance[code] += dr - cr
        for code in (self.bank_codes[0], self.bank_codes[1]):
            if self.balance[code] < 0:
                raise SimulationError(f"{self.code}: bank {code} overdrawn on {day}")
        return entry_id

    def _allocate(
        self, payment_id: int, column: str, parts: list[tuple[dict[str, Any], int]]
    ) -> None:
        """Settle invoices (`column` "invoice_id") or bills ("bill_id") with
        their share of one payment, one allocation row each."""
        for document, part in parts:
            document["amount_paid"] += part
            if document["amount_paid"] > document["total"]:
                raise SimulationError(f"{document['number']} overpaid")
            self.add(
                "payment_allocations",
                {
                    "id": self.new_id("payment_allocations"),
                    "payment_id": payment_id,
                    "invoice_id": document["id"] if column == "invoice_id" else None,
                    "bill_id": document["id"] if column == "bill_id" else None,
                    "amount": part,
                },
            )

    # money that must go out

    def _ensure_cash(self, day: date, bank_index: int, amount: int) -> None:
        """Make room for a payment that cannot wait: move money or borrow."""
        code = self.bank_codes[bank_index]
        other = self.bank_codes[1 - bank_index]
        floor = self.cash_reserve // 4 if bank_index == 0 else 0
        short = amount + floor - self.balance[code]
        if short <= 0:
            return
        top_up = nice_up(short / 100) * 100
        spare = self.balance[other] - (self.cash_reserve // 4 if bank_index == 1 else 0)
        if spare >= top_up:
            self.post(
                day,
                f"Transfer to {self.p.banks[bank_index].name.lower()}",
                [(code, top_up, 0), (other, 0, top_up)],
            )
            return
        loan = nice_up(max(short, self.month_revenue * 0.2) / 100) * 100
        self.loan += loan
        self.post(day, "Short-term loan drawdown", [(code, loan, 0), ("2500", 0, loan)])

    def _repay_loan(self, day: date) -> None:
        bank = self.bank_codes[0]
        if self.loan and self.balance[bank] > self.cash_reserve * 3 + self.loan:
            amount = self.loan
            self.loan = 0
            self.post(day, "Short-term loan repayment", [("2500", amount, 0), (bank, 0, amount)])

    def _running_costs(self, day: date) -> None:
        rng = self.rng
        month = day.strftime("%B %Y")
        first_business = self.next_business_day(day.replace(day=1))
        next_month = add_months(day.replace(day=1), 1)
        last_business = next_month - DAY
        while not self.is_business_day(last_business):
            last_business -= DAY
        if day == first_business and day != self.start:
            years = day.year - self.start.year
            rent = self.money(self.rent / 100 * (1.05**years))
            self._ensure_cash(day, 0, rent)
            self.post(
                day,
                f"Office and warehouse rent {month}",
                [("6200", rent, 0), (self.bank_codes[0], 0, rent)],
            )
        if day == self.next_business_day(day.replace(day=10)):
            bill = self.money(self.utilities / 100 * rng.uniform(0.85, 1.2))
            self._ensure_cash(day, 0, bill)
            previous = (day.replace(day=1) - DAY).strftime("%B %Y")
            self.post(
                day, f"Utilities {previous}", [("6300", bill, 0), (self.bank_codes[0], 0, bill)]
            )
        if day == self.next_business_day(day.replace(day=15)):
            previous_month = day.replace(day=1) - DAY
            owed = self.month_end_tax.get((previous_month.year, previous_month.month), 0)
            owed = min(owed, -self.balance["2100"])
            if owed > 0:
                self._ensure_cash(day, 0, owed)
                label = "VAT return" if self.p.country == "BD" else "Sales tax return"
                self.post(
                    day,
                    f"{label} {previous_month.strftime('%B %Y')}",
                    [("2100", owed, 0), (self.bank_codes[0], 0, owed)],
                )
        if day.month in (1, 4, 7, 10) and day == self.next_business_day(day.replace(day=20)):
            self._dividend(day)
        if day == last_business:
            years = day.year - self.start.year
            salaries = self.money(self.salaries / 100 * (1.06**years) * rng.uniform(0.98, 1.03))
            self._ensure_cash(day, 1, salaries)
            self.post(
                day, f"Salaries {month}", [("6100", salaries, 0), (self.bank_codes[1], 0, salaries)]
            )
            spare = self.balance[self.bank_codes[1]] - salaries * 2
            if spare > salaries // 2:
                sweep = nice(spare / 100) * 100
                sweep = sweep if sweep <= spare else spare // 100 * 100
                self.post(
                    day,
                    f"Transfer to {self.p.banks[0].name.lower()}",
                    [(self.bank_codes[0], sweep, 0), (self.bank_codes[1], 0, sweep)],
                )
            for bank_index in (0, 1):
                fee = self.money(self.bank_fee / 100 * rng.uniform(0.8, 1.3))
                self._ensure_cash(day, bank_index, fee)
                self.post(
                    day, "Bank charges", [("6400", fee, 0), (self.bank_codes[bank_index], 0, fee)]
                )

    def _dividend(self, day: date) -> None:
        """Quarterly payout of cash the business does not need."""
        bank = self.bank_codes[0]
        cash = self.balance[bank] + self.balance[self.bank_codes[1]]
        surplus = min(cash - self.month_revenue * 1.3, self.balance[bank] - self.cash_reserve * 2)
        if surplus < self.month_revenue * 0.1:
            return
        amount = nice(surplus * 0.8 / 100) * 100
        if amount >= self.balance[bank] - self.cash_reserve:
            return
        label = "Dividend paid" if self.p.country == "BD" else "Distribution to shareholders"
        self.post(day, f"{label} {day.strftime('%B %Y')}", [("3100", amount, 0), (bank, 0, amount)])
