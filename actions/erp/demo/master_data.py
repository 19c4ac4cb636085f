"""Suppliers, products and customers of a simulated company."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

from actions.erp.demo.catalog import ProductFamily
from actions.erp.demo.model import NEVER, PAYER_PROFILES, Customer, Product, Supplier
from actions.erp.demo.store import nice


class MasterDataMixin:
    """Who the company buys from, what it sells and who it sells to."""

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

    # written when the simulation ends

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
                    "discount_pct": customer.discount_bp,
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
