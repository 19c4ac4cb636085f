"""Setting up a simulated company: the company, its books, users and plans."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from actions.erp.demo.model import LINE_MEAN_FACTOR, MEAN_LINES
from actions.erp.demo.store import at_time, nice
from actions.erp.models import AccountType


class CompanySetupMixin:
    """The company row, chart of accounts, bank accounts, users, approval
    rules, and the demand plan the simulation is sized on."""

    def _company(self) -> None:
        p = self.p
        self.company_id = self.new_id("companies")
        self.add(
            "companies",
            {
                "id": self.company_id,
                "code": p.code,
                "name": p.name,
                "currency": p.currency,
                "country": p.country,
                "city": p.city,
                "created_at": datetime(p.founded_year, 3, 1, 9, 0),
            },
        )
        self.warehouses: list[tuple[int, str, float]] = []
        for spec in p.warehouses:
            warehouse_id = self.new_id("warehouses")
            self.add(
                "warehouses",
                {
                    "id": warehouse_id,
                    "company_id": self.company_id,
                    "code": spec.code,
                    "name": spec.name,
                    "city": spec.city,
                },
            )
            self.warehouses.append((warehouse_id, spec.code, spec.weight))

    def _accounts(self) -> None:
        p = self.p
        bank1, bank2 = p.banks
        chart = [
            (bank1.gl_code, bank1.gl_name, AccountType.ASSET),
            (bank2.gl_code, bank2.gl_name, AccountType.ASSET),
            ("1100", "Accounts receivable", AccountType.ASSET),
            ("1200", "Inventory", AccountType.ASSET),
            ("1500", "Office and warehouse equipment", AccountType.ASSET),
            ("2000", "Accounts payable", AccountType.LIABILITY),
            ("2100", p.tax_account_name, AccountType.LIABILITY),
            ("2500", "Short-term bank loan", AccountType.LIABILITY),
            ("3000", "Share capital", AccountType.EQUITY),
            ("3100", "Retained earnings", AccountType.EQUITY),
            ("4000", "Sales revenue", AccountType.REVENUE),
            ("4900", "Other income", AccountType.REVENUE),
            ("5000", "Cost of goods sold", AccountType.EXPENSE),
            ("5100", "Inventory adjustments", AccountType.EXPENSE),
            ("6100", "Salaries and wages", AccountType.EXPENSE),
            ("6200", "Rent", AccountType.EXPENSE),
            ("6300", "Utilities", AccountType.EXPENSE),
            ("6400", "Bank charges", AccountType.EXPENSE),
            ("6900", "Miscellaneous expenses", AccountType.EXPENSE),
        ]
        for code, name, kind in chart:
            account_id = self.new_id("gl_accounts")
            self.gl[code] = account_id
            self.add(
                "gl_accounts",
                {
                    "id": account_id,
                    "company_id": self.company_id,
                    "code": code,
                    "name": name,
                    "account_type": kind,
                },
            )
        self.bank_codes = (bank1.gl_code, bank2.gl_code)
        self.bank_ids: list[int] = []
        for spec in (bank1, bank2):
            bank_id = self.new_id("bank_accounts")
            self.bank_ids.append(bank_id)
            self.add(
                "bank_accounts",
                {
                    "id": bank_id,
                    "company_id": self.company_id,
                    "name": spec.name,
                    "bank_name": spec.bank_name,
                    "account_number_masked": spec.masked,
                    "gl_account_id": self.gl[spec.gl_code],
                },
            )

    def _users(self) -> None:
        for username, suffix, full_name, roles, password_hash in self.user_specs:
            user_id = self.new_id("users")
            self.users[suffix] = user_id
            first, _, last = full_name.partition(" ")
            self.add(
                "users",
                {
                    "id": user_id,
                    "company_id": self.company_id,
                    "username": username,
                    "full_name": full_name,
                    "email": f"{first}.{last.replace(' ', '')}@{self.p.email_domain}".lower(),
                    "password_hash": password_hash,
                    "is_active": True,
                    "created_at": at_time(self.start - timedelta(days=30), 9, 0),
                },
            )
            for role in roles:
                self.add("user_roles", {"user_id": user_id, "role_id": self.role_ids[role]})
        self.role_user = {
            "purchasing_approver": "approver",
            "finance_manager": "finance",
        }

    def _approval_rules(self) -> None:
        threshold = self.p.approval_threshold * 100
        for role, low, high in (
            ("purchasing_approver", 0, threshold),
            ("finance_manager", threshold, None),
        ):
            self.add(
                "approval_rules",
                {
                    "id": self.new_id("approval_rules"),
                    "company_id": self.company_id,
                    "document_type": "purchase_order",
                    "role_id": self.role_ids[role],
                    "min_amount": low,
                    "max_amount": high,
                },
            )
        # new customers' credit limits: sales officers up to a ceiling, administrators any
        for role, ceiling in (
            ("sales_officer", self.p.credit_grant_limit * 100),
            ("administrator", None),
        ):
            self.add(
                "approval_rules",
                {
                    "id": self.new_id("approval_rules"),
                    "company_id": self.company_id,
                    "document_type": "customer_credit_limit",
                    "role_id": self.role_ids[role],
                    "min_amount": 0,
                    "max_amount": ceiling,
                },
            )

    def _plan_demand(self) -> None:
        """Expected demand, reorder levels, opening stock, budgets."""
        p = self.p
        week = sum(p.weekday_factor) / 7
        self.base_rate = p.orders_per_day * self.scale
        end_rate = self.base_rate * week * (1 + p.growth)
        mid_rate = self.base_rate * week * (1 + p.growth / 2)
        line_value = self.money(p.line_value)
        self.line_value = line_value
        mean_size = sum(c.size for c in self.customers) / len(self.customers)
        # expected revenue per month at the end and in the middle of the period
        self.month_revenue = mid_rate * 30.4 * MEAN_LINES * line_value * LINE_MEAN_FACTOR
        sellable = [pr for pr in self.products if pr.sellable]
        total_weight = sum(pr.weight for pr in sellable)
        # which warehouse ships what share
        share = [0.0] * len(self.warehouses)
        active_weight = sum(c.weight for c in self.customers)
        for c in self.customers:
            for w in range(len(self.warehouses)):
                share[w] += (
                    c.weight
                    / active_weight
                    * (0.9 if w == c.warehouse else 0.1 / max(1, len(self.warehouses) - 1))
                )
        self.warehouse_share = share
        for product in self.products:
            supplier = self.suppliers[product.supplier]
            if not product.sellable:
                product.reorder_level = 0
                product.reorder_qty = 0
                product.trigger = [-1] * len(self.warehouses)
                continue
            units_per_line = line_value * LINE_MEAN_FACTOR * mean_size / product.price
            daily = end_rate * MEAN_LINES * (product.weight / total_weight) * units_per_line
            per_warehouse = [daily * s for s in share]
            average = daily / len(self.warehouses)
            # slow movers sell in few large lines: their buffers are counted in lines
            product.reorder_level = nice(max(2.0, average * 7, units_per_line))
            product.reorder_qty = nice(max(5.0, average * 60, 3 * units_per_line), minimum=5)
            cover_days = supplier.lead + 7
            product.trigger = [
                product.reorder_level + math.ceil(d * cover_days * 1.5 + units_per_line)
                for d in per_warehouse
            ]
        # monthly running costs
        self.salaries = self.money(self.month_revenue * 0.085 / 100)
        self.rent = self.money(self.month_revenue * 0.03 / 100)
        self.utilities = self.money(self.month_revenue * 0.011 / 100)
        self.bank_fee = self.money(12 if p.currency == "USD" else 1500)
        self.cash_reserve = int(self.month_revenue * 0.12)
