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
"""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from actions.erp.demo.catalog import (
    ADJUSTMENT_REASONS,
    APPROVAL_COMMENTS,
    REJECTION_REASONS,
    CitySpec,
    CompanyProfile,
    ProductFamily,
)
from actions.erp.demo.store import (
    ProgressCallback,
    RowStore,
    add_months,
    at_time,
    half_up,
    nice,
    nice_up,
)
from actions.erp.models import (
    AccountType,
    InvoiceStatus,
    MovementType,
    PaymentDirection,
    PurchaseOrderStatus,
    SalesOrderStatus,
)

DAY = timedelta(days=1)
NEVER = date.max

# sales order lines per order and how likely each count is
LINE_COUNTS = (1, 2, 3, 4)
LINE_COUNT_WEIGHTS = (0.28, 0.32, 0.24, 0.16)
MEAN_LINES = sum(n * w for n, w in zip(LINE_COUNTS, LINE_COUNT_WEIGHTS, strict=True))
LINE_SIGMA = 0.55  # spread of a line's value around the company's typical line
LINE_MEAN_FACTOR = math.exp(LINE_SIGMA**2 / 2)

# how ordinary customers pay (share of them), and when: days after the due date
PAYER_PROFILES = (("prompt", 0.40), ("normal", 0.42), ("late", 0.18))
PAYMENT_DELAYS = {"prompt": (-8, 3), "normal": (-3, 14), "late": (5, 40), "slow": (35, 115)}
SUPPLIER_DELAYS = {"good": (-1, 2), "fair": (0, 7), "poor": (3, 18)}  # days after expected

# the final stretch of the simulation in which purchasing gets stuck
FINAL_WINDOW_DAYS = 35
SHORTAGE_WINDOW_DAYS = 45
TROUBLE_WINDOW_DAYS = 60
ORDER_FOOTNOTE_DAYS = 10  # recent deliveries that may still wait for their invoice


class SimulationError(RuntimeError):
    """An invariant the simulation guarantees was about to break (a bug)."""


@dataclass(eq=False)
class Product:
    index: int
    id: int
    sku: str
    name: str
    category: str
    price: int
    cost: int
    tax_bp: int
    sellable: bool
    weight: float = 0.0
    supplier: int = 0
    reorder_level: int = 0
    reorder_qty: int = 0
    trigger: list[int] = field(default_factory=list)  # reorder point per warehouse
    unit: str = "pcs"


@dataclass(eq=False)
class Customer:
    index: int
    id: int
    name: str
    warehouse: int
    terms: int
    weight: float
    size: float
    discount_bp: int
    payer: str
    created: date
    active_until: date = NEVER
    default_from: date = NEVER
    hold_from: date = NEVER
    account_manager: str = "sales"
    bank: int = 0
    city: CitySpec | None = None


@dataclass
class Supplier:
    index: int
    id: int
    name: str
    category: str
    terms: int
    lead: int
    reliability: str
    troubled: bool = False
    ref_prefix: str = "INV"


@dataclass
class OpenBill:
    row: dict[str, Any]
    supplier: int
    due: date
    held_until: date
    installments: bool = False  # half now, the rest a few weeks later


class CompanySimulation:
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

    # master data

    def _families(self) -> list[tuple[ProductFamily, int, str]]:
        """Every (family, variant index, name), categories interleaved so that
        a prefix of the list covers as many categories as it can."""
        per_category: dict[str, list[tuple[ProductFamily, int, str]]] = {}
        families = list(self.p.product_families)
        depth = max(len(f.variants) for f in families)
        for level in range(depth):
            for family in families:
                if level < len(family.variants):
                    name = family.name_of(level)
                    per_category.setdefault(family.category, []).append((family, level, name))
        combos: list[tuple[ProductFamily, int, str]] = []
        queues = list(per_category.values())
        for position in range(max(len(q) for q in queues)):
            for queue in queues:
                if position < len(queue):
                    combos.append(queue[position])
        return combos

    def _suppliers(self) -> None:
        p, rng = self.p, self.rng
        wanted_products = max(8, round(p.products * self.scale))
        categories: list[str] = []
        for family, _, _ in self._families()[: wanted_products + 3]:
            if family.category not in categories:
                categories.append(family.category)
        categories.append("Internal")
        count = max(len(categories), round(p.suppliers * self.scale))
        names: list[tuple[str, str]] = []
        depth = max(len(v) for v in p.supplier_names.values())
        for level in range(depth):
            for category in categories:
                options = p.supplier_names.get(category, ())
                if level < len(options):
                    names.append((category, options[level]))
        extra = 1
        while len(names) < count:  # only for scales above the catalogue
            category = categories[extra % (len(categories) - 1)]
            names.append(
                (
                    category,
                    f"{p.cities[extra % len(p.cities)].name.split(',')[0]} "
                    f"{category} Supply {extra}",
                )
            )
            extra += 1
        # every category must keep at least one supplier
        names = names[: max(count, len(categories))]
        self.suppliers: list[Supplier] = []
        terms_values = [t for t, _ in p.supplier_terms]
        terms_weights = [w for _, w in p.supplier_terms]
        lead_low, lead_high = p.lead_days
        for index, (category, name) in enumerate(names):
            supplier_id = self.new_id("suppliers")
            city, is_foreign = p.supplier_cities.get(name, (rng.choice(p.cities).name, False))
            lead = rng.randint(lead_low, lead_high) + (10 if is_foreign else 0)
            terms = rng.choices(terms_values, terms_weights)[0]
            if is_foreign:
                terms = 60
            reliability = rng.choices(("good", "fair", "poor"), (0.7, 0.25, 0.05))[0]
            slug = re.sub(r"[^a-z0-9]+", "", name.lower().split(" ltd")[0])[:24]
            self.add(
                "suppliers",
                {
                    "id": supplier_id,
                    "company_id": self.company_id,
                    "code": f"SUP-{index + 1:03d}",
                    "name": name,
                    "email": f"accounts@{slug}.example",
                    "phone": self._supplier_phone(city, is_foreign),
                    "city": city,
                    "payment_terms_days": terms,
                    "is_active": True,
                },
            )
            self.suppliers.append(
                Supplier(
                    index=index,
                    id=supplier_id,
                    name=name,
                    category=category,
                    terms=terms,
                    lead=lead,
                    reliability=reliability,
                    ref_prefix=rng.choice(("INV", "SI", "BILL", "TI")),
                )
            )

    def _supplier_phone(self, city: str, imported: bool) -> str:
        rng = self.rng
        if imported:
            code = {"China": "+86 21", "India": "+91 422", "Taiwan": "+886 7"}.get(
                city.rpartition(", ")[2], "+44 20"
            )
            return f"{code} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
        if self.p.country == "US":
            return f"(800) 555-01{rng.randint(0, 99):02d}"
        return self._phone(rng.choice(self.p.cities).phone_prefix)

    def _phone(self, prefix: str) -> str:
        if prefix.startswith("+880"):
            return f"{prefix}{self.rng.randint(1, 9)}-{self.rng.randint(100000, 999999)}"
        return f"{prefix}{self.rng.randint(0, 99):02d}"

    def _products(self) -> None:
        p, rng = self.p, self.rng
        total = max(8, round(p.products * self.scale))
        internal_count = min(len(p.internal_products), max(1, round(3 * self.scale)))
        sellable_count = total - internal_count
        combos = self._families()
        chosen = combos[:sellable_count]
        grade = 0
        while len(chosen) < sellable_count:  # only for scales above the catalogue
            family, level, name = combos[len(chosen) % len(combos)]
            grade = len(chosen) // len(combos)
            chosen.append(
                (
                    family,
                    level,
                    f"{name} - {('Economy', 'Premium', 'Bulk')[grade % 3]}"
                    f"{'' if grade < 3 else f' {grade}'}",
                )
            )
        internal = [(family, 0, family.name) for family in p.internal_products[:internal_count]]
        by_category: dict[str, list[Supplier]] = defaultdict(list)
        for supplier in self.suppliers:
            by_category[supplier.category].append(supplier)
        sku_counter: dict[str, int] = defaultdict(int)
        tax_bp = round(float(p.sales_tax_pct) * 100)
        self.products: list[Product] = []
        next_supplier: dict[str, int] = defaultdict(int)
        for index, (family, level, name) in enumerate(chosen + internal):
            sellable = index < sellable_count
            prefix = re.sub(r"[^A-Z]", "", family.category.upper())[:3]
            sku_counter[prefix] += 1
            price = self.money(family.price_of(level))
            cost = self.money(family.price_of(level) * rng.uniform(0.62, 0.76))
            if not sellable:
                cost = price
            suppliers = by_category[family.category]
            supplier = suppliers[next_supplier[family.category] % len(suppliers)]
            next_supplier[family.category] += 1
            product = Product(
                index=index,
                id=self.new_id("products"),
                sku=f"{prefix}-{1000 + sku_counter[prefix]}",
                name=name,
                category=family.category,
                price=price,
                cost=cost,
                tax_bp=tax_bp if sellable else 0,
                sellable=sellable,
                supplier=supplier.index,
                unit=family.unit,
            )
            self.products.append(product)
        # popularity: a long tail, shuffled across categories
        ranks = list(range(sellable_count))
        rng.shuffle(ranks)
        for product, rank in zip(self.products, ranks, strict=False):
            product.weight = 1.0 / (rank + 1) ** 0.75

    def _customers(self) -> None:
        p, rng = self.p, self.rng
        count = max(12, round(p.customers * self.scale))
        names: list[str] = []
        seen: set[str] = set()
        anchors = list(
            p.customer_anchor_names[: max(2, min(len(p.customer_anchor_names), count // 4))]
        )
        for name in anchors:
            names.append(name)
            seen.add(name.lower())
        first_weights = [1.0 / (i + 1) ** 0.6 for i in range(len(p.customer_first_words))]
        corporate = (
            "Textiles",
            "Garments",
            "Knitwear",
            "Apparels",
            "Agro Industries",
            "Dyeing Mills",
            "Spinning Mills",
            "Packaging",
            "Food Products",
            "Trading Corporation",
            "Fashion",
        )
        attempts = 0
        while len(names) < count:
            attempts += 1
            first = rng.choices(p.customer_first_words, first_weights)[0]
            second = rng.choice(p.customer_second_words)
            name = f"{first} {second}"
            if p.country == "BD":
                if second in corporate and rng.random() < 0.6:
                    name += " Ltd"
            elif not second.endswith("Co."):
                suffix = rng.choice(p.customer_suffixes)
                name = f"{name} {suffix}".strip()
            if attempts > 20_000:
                name = f"{name} {len(names)}"
            if name.lower() in seen:
                continue
            seen.add(name.lower())
            names.append(name)

        city_weights = [c.weight for c in p.cities]
        payers = [name for name, _ in PAYER_PROFILES]
        payer_weights = [weight for _, weight in PAYER_PROFILES]
        warehouse_index = {code: i for i, (_, code, _) in enumerate(self.warehouses)}
        terms_values = [t for t, _ in p.customer_terms]
        terms_weights = [w for _, w in p.customer_terms]
        self.customers: list[Customer] = []
        for index, name in enumerate(names):
            city = rng.choices(p.cities, city_weights)[0]
            weight = rng.lognormvariate(0, 0.9)
            created = self.start - timedelta(days=rng.randint(60, 3000))
            if rng.random() < 0.15:
                created = self.start + timedelta(days=rng.randint(0, max(1, self.total_days - 90)))
            customer = Customer(
                index=index,
                id=self.new_id("customers"),
                name=name,
                warehouse=warehouse_index[city.warehouse],
                terms=rng.choices(terms_values, terms_weights)[0],
                weight=weight,
                size=rng.lognormvariate(0, 0.3),
                discount_bp=0,
                payer=rng.choices(payers, payer_weights)[0],
                created=created,
                account_manager="sales" if index % 3 else "sales2",
                bank=0 if rng.random() < 0.9 else 1,
                city=city,
            )
            self.customers.append(customer)

        # big customers get discounts; a handful pay slowly or stop paying
        by_weight = sorted(self.customers, key=lambda c: (-c.weight, c.index))
        for rank, customer in enumerate(by_weight):
            if rank < len(by_weight) * 0.15:
                customer.discount_bp = rng.choice((250, 500, 500, 750, 1000))
            elif rng.random() < 0.15:
                customer.discount_bp = rng.choice((200, 250))
        band = by_weight[1 : max(6, len(by_weight) // 5)]
        band = [c for c in band if c.created < self.start]
        rng.shuffle(band)
        defaulters = max(1, round(3 * min(1.0, self.scale * 2)))
        slow = max(2, round(4 * min(1.0, self.scale * 2)))
        for customer in band[:defaulters]:
            customer.payer = "defaulter"
            customer.default_from = self.as_of - timedelta(days=rng.randint(240, 300))
            customer.hold_from = self.as_of - timedelta(days=rng.randint(35, 60))
        for customer in band[defaulters : defaulters + slow]:
            customer.payer = "slow"
        # a few inactive customers that stopped buying during the period
        quiet = [c for c in self.customers if c.payer in ("prompt", "normal")]
        rng.shuffle(quiet)
        for customer in quiet[: max(1, round(len(self.customers) * 0.04))]:
            customer.active_until = self.start + timedelta(
                days=rng.randint(60, max(61, self.total_days - 150))
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

    # sales

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
            for invoice, part in parts:
                invoice["amount_paid"] += part
                if invoice["amount_paid"] > invoice["total"]:
                    raise SimulationError(f"{invoice['number']} overpaid")
                self.add(
                    "payment_allocations",
                    {
                        "id": self.new_id("payment_allocations"),
                        "payment_id": payment_id,
                        "invoice_id": invoice["id"],
                        "bill_id": None,
                        "amount": part,
                    },
                )
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

    # purchasing

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
        for bill, part in parts:
            bill["amount_paid"] += part
            self.add(
                "payment_allocations",
                {
                    "id": self.new_id("payment_allocations"),
                    "payment_id": payment_id,
                    "invoice_id": None,
                    "bill_id": bill["id"],
                    "amount": part,
                },
            )
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

    def _write_master_data(self) -> None:
        """Customers and products are written last: their rows need what the
        simulation learnt (credit use, first order)."""
        rng = self.rng
        p = self.p
        monthly = self.month_revenue
        total_weight = sum(c.weight for c in self.customers)
        for customer in self.customers:
            expected = monthly * customer.weight / total_weight * customer.size
            limit = nice(max(expected * rng.uniform(1.5, 3.0), self.line_value * 2) / 100) * 100
            slug = re.sub(r"[^a-z0-9]+", "", customer.name.lower().replace(" ltd", ""))[:24]
            street = rng.choice(p.street_names)
            city = customer.city or p.cities[0]
            address = (
                f"House {rng.randint(1, 120)}, {street}"
                if p.country == "BD"
                else f"{rng.randint(10, 9800)} {street}"
            )
            self.add(
                "customers",
                {
                    "id": customer.id,
                    "company_id": self.company_id,
                    "code": f"CUST-{customer.index + 1:04d}",
                    "name": customer.name,
                    "email": f"accounts@{slug}.example",
                    "phone": self._phone(city.phone_prefix),
                    "city": city.name,
                    "address": address,
                    "payment_terms_days": customer.terms,
                    "credit_limit": limit,
                    "is_active": customer.active_until == NEVER,
                    "created_at": customer.created,
                },
            )
        for product in self.products:
            self.add(
                "products",
                {
                    "id": product.id,
                    "company_id": self.company_id,
                    "sku": product.sku,
                    "name": product.name,
                    "category": product.category,
                    "unit": product.unit,
                    "list_price": product.price,
                    "standard_cost": product.cost,
                    "tax_rate_pct": product.tax_bp,
                    "reorder_level": product.reorder_level,
                    "reorder_qty": product.reorder_qty,
                    "is_sellable": product.sellable,
                    "is_active": True,
                },
            )
