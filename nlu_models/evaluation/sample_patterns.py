"""Write the patterns file from a throw-away demo database.

What `python -m bot nlu build-patterns` does against the real database, for
when there is none yet (and to reproduce the evaluation): a temporary SQLite
demo database is created with the project's migrations and seed generator
(`actions.erp.seed`, scale 1 as in `make run`), then
`bot.nlu_patterns.build_patterns` writes the JSONL.

`--catalog` instead inserts a few rows per demo company from
`actions/erp/demo/catalog.py` through the ERP models into an in-memory SQLite
database (no seed generator needed).

Run in the ACTIONS environment from the repository root:
    .venvs/actions/bin/python -m nlu_models.evaluation.sample_patterns [--catalog] [OUT]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from bot.nlu_patterns import DEFAULT_OUT_PATH, build_patterns

AS_OF = date(2026, 11, 22)


def from_seed(out: Path, scale: float) -> int:
    from actions.erp.migrate import upgrade
    from actions.erp.seed import seed

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/erp_demo.db"
        upgrade(url)
        seed(url, as_of=AS_OF, scale=scale)
        return build_patterns(url, out)


def from_catalog(out: Path) -> int:
    from actions.erp.db import get_engine
    from actions.erp.demo import catalog
    from actions.erp.models import Base, Company, Customer, Product, Supplier, Warehouse

    url = "sqlite://"
    engine = get_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        for profile in catalog.PROFILES:
            company = Company(
                code=profile.code,
                name=profile.name,
                currency=profile.currency,
                country=profile.country,
                city=profile.city,
            )
            session.add(company)
            session.flush()
            cid = company.id
            cities = [c.name for c in profile.cities]
            for w in profile.warehouses:
                session.add(Warehouse(company_id=cid, code=w.code, name=w.name, city=w.city))
            for i, name in enumerate(profile.customer_anchor_names):
                session.add(
                    Customer(
                        company_id=cid,
                        code=f"C{i:03d}",
                        name=name,
                        city=cities[i % len(cities)],
                        credit_limit=Decimal("1000"),
                        created_at=AS_OF,
                    )
                )
            n = 0
            for names in profile.supplier_names.values():
                for name in names:
                    session.add(
                        Supplier(
                            company_id=cid,
                            code=f"S{n:03d}",
                            name=name,
                            city=cities[n % len(cities)],
                        )
                    )
                    n += 1
            n = 0
            for family in profile.product_families:
                for variant in family.variants:
                    session.add(
                        Product(
                            company_id=cid,
                            sku=f"{profile.code[:3].upper()}-{n:04d}",
                            name=f"{family.name} {variant}".strip(),
                            category=family.category,
                            unit=family.unit,
                            list_price=Decimal("1"),
                            standard_cost=Decimal("1"),
                            tax_rate_pct=Decimal("0"),
                        )
                    )
                    n += 1
        session.commit()
    return build_patterns(url, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT_PATH)
    parser.add_argument("--catalog", action="store_true", help="a few catalog rows, no seed")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    count = from_catalog(args.out) if args.catalog else from_seed(args.out, args.scale)
    print(f"{count} patterns -> {args.out}")


if __name__ == "__main__":
    main()
