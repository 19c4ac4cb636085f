"""Name resolution against real databases: SQLite and PostgreSQL.

Each backend gets its own scratch database with two companies whose master
data overlaps on purpose (near-duplicate names, one name in both companies),
so the tests prove both the matching policy and that one company never sees
another's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from actions.erp.db import normalise_url
from actions.erp.errors import Ambiguous, InvalidInput, NotFound
from actions.erp.models import Base, Company, Customer, Product, Supplier, Warehouse
from actions.erp.resolve import (
    candidates_for,
    normalise_name,
    resolve_customer,
    resolve_product,
    resolve_supplier,
    resolve_warehouse,
)

POSTGRES_ADMIN_URL = os.environ.get(
    "ERP_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)

CUSTOMERS_A = [
    ("C001", "Rahman Traders", True),
    ("C002", "Rahman Garments", True),
    ("C003", "Rahmania Textiles", True),
    ("C004", "Karim & Sons Ltd", True),
    ("C005", "Dhaka Fabrics Limited", True),
    ("C006", "Old Rahim Store", False),
    ("C007", "Nova Traders", True),
    ("C008", "Nova Traders Ltd", False),
    ("C011", "Sunrise Enterprises", True),
    ("C012", "Sunrise Enterprises", True),
]
CUSTOMERS_B = [
    ("B001", "Sylhet Tea Estates", True),
    ("B002", "Rahman Traders", True),
    ("B003", "Chittagong Shipping Lines", True),
]
SUPPLIERS_A = [
    ("S001", "Jamuna Cotton Mills", True),
    ("S002", "Jamuna Packaging Ltd", True),
    ("S003", "Global Dyes & Chemicals", True),
    ("S004", "Eastern Logistics", False),
]
SUPPLIERS_B = [("S001", "Sylhet Packaging Co", True)]
PRODUCTS_A = [
    ("TSH-001", "Cotton T-Shirt"),
    ("TSH-002", "Polo Shirt"),
    ("DNM-010", "Denim Jeans"),
    ("FAB-100", "Cotton Fabric Roll"),
]
PRODUCTS_B = [("TEA-001", "Green Tea 500g"), ("TSH-001", "Cotton T-Shirt")]
WAREHOUSES_A = [
    ("WH-DHK", "Dhaka Central Warehouse", "Dhaka"),
    ("WH-CTG", "Chittagong Port Store", "Chittagong"),
    ("WH-GZP", "Gazipur Depot", "Gazipur"),
]
WAREHOUSES_B = [
    ("WH-SYL", "Sylhet Warehouse", "Sylhet"),
    ("WH-MAIN", "Main Warehouse", "Narayanganj"),
]


@dataclass(frozen=True)
class Db:
    engine: Engine
    company_a: int
    company_b: int

    def session(self) -> Session:
        return Session(self.engine)


def _add_company(session: Session, code: str, name: str, data: dict[str, list]) -> int:
    company = Company(code=code, name=name, currency="BDT", country="BD", city="Dhaka")
    session.add(company)
    session.flush()
    cid = company.id
    for ccode, cname, active in data["customers"]:
        session.add(
            Customer(
                company_id=cid,
                code=ccode,
                name=cname,
                city="Dhaka",
                credit_limit=Decimal("100000"),
                is_active=active,
                created_at=date(2025, 1, 1),
            )
        )
    for scode, sname, active in data["suppliers"]:
        session.add(
            Supplier(company_id=cid, code=scode, name=sname, city="Dhaka", is_active=active)
        )
    for sku, pname in data["products"]:
        session.add(
            Product(
                company_id=cid,
                sku=sku,
                name=pname,
                category="General",
                list_price=Decimal("10"),
                standard_cost=Decimal("6"),
                tax_rate_pct=Decimal("15"),
            )
        )
    for wcode, wname, city in data["warehouses"]:
        session.add(Warehouse(company_id=cid, code=wcode, name=wname, city=city))
    session.flush()
    return cid


def _seed(engine: Engine) -> Db:
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        a = _add_company(
            session,
            "PADMA",
            "Padma Trading Ltd",
            {
                "customers": CUSTOMERS_A,
                "suppliers": SUPPLIERS_A,
                "products": PRODUCTS_A,
                "warehouses": WAREHOUSES_A,
            },
        )
        b = _add_company(
            session,
            "MEGHNA",
            "Meghna Foods Ltd",
            {
                "customers": CUSTOMERS_B,
                "suppliers": SUPPLIERS_B,
                "products": PRODUCTS_B,
                "warehouses": WAREHOUSES_B,
            },
        )
        session.commit()
    return Db(engine, a, b)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Db]:
    """A seeded scratch database per backend, removed afterwards."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("resolve") / "erp.db"
        engine = create_engine(f"sqlite:///{path}")
        yield _seed(engine)
        engine.dispose()
        return
    name = f"test_resolve_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(normalise_url(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"))
    try:
        yield _seed(engine)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def session(db: Db) -> Iterator[Session]:
    with db.session() as session:
        yield session
        session.rollback()


RESOLVERS = {
    "customer": resolve_customer,
    "supplier": resolve_supplier,
    "product": resolve_product,
    "warehouse": resolve_warehouse,
}


# --- exact and fuzzy matches ----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "typed", "expected"),
    [
        ("customer", "Rahman Traders", "Rahman Traders"),
        ("customer", "RAHMAN TRADERS", "Rahman Traders"),
        ("customer", "rahman traders ltd.", "Rahman Traders"),
        ("customer", "Karim and Sons", "Karim & Sons Ltd"),
        ("customer", "M/S Karim & Sons Limited", "Karim & Sons Ltd"),
        ("customer", "dhaka fabrics", "Dhaka Fabrics Limited"),
        ("customer", "c005", "Dhaka Fabrics Limited"),
        ("supplier", "Global Dyes and Chemicals", "Global Dyes & Chemicals"),
        ("supplier", "jamuna packaging", "Jamuna Packaging Ltd"),
        ("product", "TSH-001", "Cotton T-Shirt"),
        ("product", "tsh001", "Cotton T-Shirt"),
        ("product", "tsh 002", "Polo Shirt"),
        ("product", "cotton t-shirt", "Cotton T-Shirt"),
        ("product", "Denim jeans", "Denim Jeans"),
        ("warehouse", "WH-CTG", "Chittagong Port Store"),
        ("warehouse", "chittagong", "Chittagong Port Store"),
        ("warehouse", "Gazipur warehouse", "Gazipur Depot"),
        ("warehouse", "dhaka central", "Dhaka Central Warehouse"),
    ],
)
def test_exact_match(session: Session, db: Db, kind: str, typed: str, expected: str) -> None:
    row = RESOLVERS[kind](session, db.company_a, typed)
    assert row.name == expected
    assert row.company_id == db.company_a


@pytest.mark.parametrize(
    ("kind", "typed", "expected"),
    [
        ("customer", "rahmn traders", "Rahman Traders"),
        ("customer", "rahman tradrs", "Rahman Traders"),
        ("customer", "Rahman Garment", "Rahman Garments"),
        ("customer", "rahmania", "Rahmania Textiles"),
        ("customer", "dhaka fabric", "Dhaka Fabrics Limited"),
        ("customer", "karim", "Karim & Sons Ltd"),
        ("supplier", "jamuna cotton mill", "Jamuna Cotton Mills"),
        ("supplier", "global dyes", "Global Dyes & Chemicals"),
        ("product", "denim jean", "Denim Jeans"),
        ("product", "polo shrt", "Polo Shirt"),
        ("warehouse", "chitagong port store", "Chittagong Port Store"),
    ],
)
def test_typo_and_partial_match(
    session: Session, db: Db, kind: str, typed: str, expected: str
) -> None:
    assert RESOLVERS[kind](session, db.company_a, typed).name == expected


# --- ambiguity ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "typed", "must_include"),
    [
        ("customer", "rahman", ["Rahman Traders", "Rahman Garments"]),
        ("customer", "rahmans", ["Rahman Traders", "Rahman Garments", "Rahmania Textiles"]),
        ("supplier", "jamuna", ["Jamuna Cotton Mills", "Jamuna Packaging Ltd"]),
        ("product", "cotton", ["Cotton T-Shirt", "Cotton Fabric Roll"]),
        ("customer", "traders", ["Rahman Traders", "Nova Traders"]),
    ],
)
def test_ambiguous(session: Session, db: Db, kind: str, typed: str, must_include: list) -> None:
    with pytest.raises(Ambiguous) as error:
        RESOLVERS[kind](session, db.company_a, typed)
    candidates = error.value.candidates
    assert set(must_include) <= set(candidates)
    assert 2 <= len(candidates) <= 5
    assert len(set(candidates)) == len(candidates)
    message = str(error.value)
    assert f"“{typed}”" in message and message.endswith("Which one do you mean?")
    assert all(name in message for name in candidates)


def test_ambiguous_candidates_are_best_first(session: Session, db: Db) -> None:
    with pytest.raises(Ambiguous) as error:
        resolve_customer(session, db.company_a, "rahman")
    candidates = error.value.candidates
    assert set(candidates[:2]) == {"Rahman Traders", "Rahman Garments"}
    assert candidates[2] == "Rahmania Textiles"
    assert "Meghna" not in str(error.value)


def test_duplicate_names_are_told_apart_by_code(session: Session, db: Db) -> None:
    with pytest.raises(Ambiguous) as error:
        resolve_customer(session, db.company_a, "Sunrise Enterprises")
    assert error.value.candidates == ["Sunrise Enterprises (C011)", "Sunrise Enterprises (C012)"]
    chosen = resolve_customer(session, db.company_a, error.value.candidates[1])
    assert chosen.code == "C012"


def test_single_plausible_candidate_asks_to_confirm(session: Session, db: Db) -> None:
    with pytest.raises(Ambiguous) as error:
        resolve_supplier(session, db.company_a, "Jamuna Cotton Packaging Mills")
    assert error.value.candidates[0] in ("Jamuna Cotton Mills", "Jamuna Packaging Ltd")


# --- not found and company isolation ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "typed"),
    [
        ("customer", "xylophone corp"),
        ("customer", "Zebra Holdings"),
        ("supplier", "Acme Widgets"),
        ("product", "Laptop"),
        ("warehouse", "Rajshahi"),
    ],
)
def test_not_found(session: Session, db: Db, kind: str, typed: str) -> None:
    with pytest.raises(NotFound) as error:
        RESOLVERS[kind](session, db.company_a, typed)
    message = str(error.value)
    assert message.startswith(f"I couldn't find a {kind} called “{typed}” in Padma Trading Ltd.")
    assert message.endswith(("?", "."))


@pytest.mark.parametrize(
    ("kind", "typed", "other_company_name"),
    [
        ("customer", "Sylhet Tea Estates", "Sylhet Tea Estates"),
        ("customer", "Chittagong Shipping Lines", "Chittagong Shipping Lines"),
        ("supplier", "Sylhet Packaging", "Sylhet Packaging Co"),
        ("product", "Green Tea 500g", "Green Tea 500g"),
        ("product", "TEA-001", "Green Tea 500g"),
        ("warehouse", "Sylhet Warehouse", "Sylhet Warehouse"),
        ("warehouse", "WH-SYL", "Sylhet Warehouse"),
    ],
)
def test_other_companys_rows_are_never_found(
    session: Session, db: Db, kind: str, typed: str, other_company_name: str
) -> None:
    # The row exists in company B ...
    assert RESOLVERS[kind](session, db.company_b, typed).name == other_company_name
    # ... but company A must not see it, nor be offered it as a suggestion.
    with pytest.raises((NotFound, Ambiguous)) as error:
        RESOLVERS[kind](session, db.company_a, typed)
    candidates = getattr(error.value, "candidates", [])
    assert other_company_name not in candidates
    assert isinstance(error.value, NotFound) or "Meghna" not in str(error.value)


def test_same_name_resolves_within_each_company(session: Session, db: Db) -> None:
    in_a = resolve_customer(session, db.company_a, "Rahman Traders")
    in_b = resolve_customer(session, db.company_b, "Rahman Traders")
    assert (in_a.company_id, in_b.company_id) == (db.company_a, db.company_b)
    assert in_a.id != in_b.id
    # company B has only one Rahman, so the short name is not ambiguous there
    assert resolve_customer(session, db.company_b, "rahman").id == in_b.id


def test_sku_shared_by_two_companies(session: Session, db: Db) -> None:
    a = resolve_product(session, db.company_a, "TSH-001")
    b = resolve_product(session, db.company_b, "TSH-001")
    assert (a.company_id, b.company_id) == (db.company_a, db.company_b)


def test_not_found_suggests_close_names(session: Session, db: Db) -> None:
    with pytest.raises(NotFound) as error:
        resolve_supplier(session, db.company_a, "Global Logistics")
    message = str(error.value)
    assert "Did you mean" in message and "Global Dyes & Chemicals" in message
    assert "Sylhet" not in message


# --- active and inactive records ------------------------------------------------


def test_inactive_exact_match_is_returned(session: Session, db: Db) -> None:
    row = resolve_customer(session, db.company_a, "old rahim store")
    assert row.name == "Old Rahim Store" and row.is_active is False
    assert resolve_supplier(session, db.company_a, "Eastern Logistics").is_active is False


def test_inactive_rows_are_not_fuzzy_matched(session: Session, db: Db) -> None:
    with pytest.raises(NotFound):
        resolve_customer(session, db.company_a, "old rahim stor")


def test_active_exact_match_wins_over_inactive(session: Session, db: Db) -> None:
    # "Nova Traders" (active) and "Nova Traders Ltd" (inactive) normalise alike.
    row = resolve_customer(session, db.company_a, "Nova Traders Ltd")
    assert row.name == "Nova Traders" and row.is_active


# --- warehouses: the "main warehouse" fallback ----------------------------------


@pytest.mark.parametrize("typed", ["main warehouse", "Main", "the main warehouse", "default"])
def test_main_warehouse_is_the_first_by_id(session: Session, db: Db, typed: str) -> None:
    row = resolve_warehouse(session, db.company_a, typed)
    assert row.code == "WH-DHK"


def test_a_warehouse_really_named_main_wins(session: Session, db: Db) -> None:
    assert resolve_warehouse(session, db.company_b, "main warehouse").code == "WH-MAIN"


# --- input checks and candidates_for ----------------------------------------------


@pytest.mark.parametrize("typed", ["", "   ", "&", "Ltd."])
def test_empty_names_are_refused(session: Session, db: Db, typed: str) -> None:
    if typed == "Ltd.":
        # A name made only of suffixes keeps its words rather than becoming empty.
        with pytest.raises(NotFound):
            resolve_customer(session, db.company_a, typed)
        return
    with pytest.raises(InvalidInput, match="which customer"):
        resolve_customer(session, db.company_a, typed)


def test_overlong_names_are_refused(session: Session, db: Db) -> None:
    with pytest.raises(InvalidInput, match="too long"):
        resolve_customer(session, db.company_a, "x" * 201)


def test_candidates_for(session: Session, db: Db) -> None:
    found = candidates_for(session, db.company_a, "customer", "rahman", limit=3)
    assert [name for name, _ in found][:2] in (
        ["Rahman Garments", "Rahman Traders"],
        ["Rahman Traders", "Rahman Garments"],
    )
    assert len(found) == 3
    scores = [score for _, score in found]
    assert scores == sorted(scores, reverse=True) and scores[0] == 100.0
    assert candidates_for(session, db.company_a, "customers", "rahman", limit=1) == found[:1]


def test_candidates_for_stays_in_the_company(session: Session, db: Db) -> None:
    names = [name for name, _ in candidates_for(session, db.company_a, "customer", "sylhet tea")]
    assert "Sylhet Tea Estates" not in names
    assert candidates_for(session, db.company_b, "product", "green tea")[0] == (
        "Green Tea 500g",
        100.0,
    )


def test_candidates_for_unknown_kind(session: Session, db: Db) -> None:
    with pytest.raises(ValueError, match="unknown master-data kind"):
        candidates_for(session, db.company_a, "invoice", "x")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Karim & Sons Ltd.", "karim sons"),
        ("M/S Rahman Traders", "rahman traders"),
        ("The Company Ltd", "the company ltd"),
        ("Café Dhaka Co.", "cafe dhaka"),
        ("Rahman's  Traders, Inc", "rahmans traders"),
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected
