"""Fill an empty ERP database with deterministic demo data.

    from actions.erp.seed import seed, demo_users
    summary = seed("sqlite:///var/erp.db", as_of=date(2026, 11, 22))
    print(summary.describe())

Two companies (`padma`, Padma Trading Ltd in Dhaka, BDT; `northwind`,
Northwind Supply Inc in Newark, USD) with 14 months of daily trading that
ends on `as_of`: sales orders, invoices, receipts, purchase orders through
their approval workflow, supplier bills and payments, stock movements, a
general ledger in which every entry balances, and demo users for every role.
See `actions/erp/demo/simulation.py` for how the story is told.

The same `seed`, `as_of` and `scale` always give the same rows (password
hashes aside: they are salted). Nothing happens at import time; the schema
must already exist; a database that has companies is refused.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, Table, func, insert, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from actions.erp.access import PERMISSIONS, ROLES
from actions.erp.db import get_engine
from actions.erp.demo.catalog import PASSWORD_ADJECTIVES, PASSWORD_NOUNS, PROFILES
from actions.erp.demo.simulation import CompanySimulation
from actions.erp.demo.store import GLOBAL, ProgressCallback, RowStore, add_months
from actions.erp.models import Base, Company, Permission, Role, RolePermission
from actions.erp.types import Money
from bot.auth import hash_password

DEFAULT_SEED = 20251
HISTORY_MONTHS = 14
BATCH_SIZE = 5000
MIN_SCALE, MAX_SCALE = 0.05, 10.0


class SeedError(RuntimeError):
    """The demo data cannot be loaded into this database."""


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    full_name: str
    company_code: str
    roles: tuple[str, ...]


@dataclass
class SeedSummary:
    as_of: date
    start: date
    seed: int
    scale: float
    counts: dict[str, dict[str, int]]  # table -> company code ("*" for shared rows) -> rows
    timings: dict[str, float]  # stage -> seconds
    users: list[DemoUser] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(sum(per.values()) for per in self.counts.values())

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())

    def count(self, table: str, company: str | None = None) -> int:
        per = self.counts.get(table, {})
        return per.get(company, 0) if company else sum(per.values())

    def describe(self) -> str:
        companies = [p.code for p in PROFILES]
        lines = [
            f"Demo data from {self.start} to {self.as_of} "
            f"(seed {self.seed}, scale {self.scale:g}): "
            f"{self.total_rows:,} rows in {self.seconds:.1f} s",
            f"  {'table':<24}" + "".join(f"{c:>11}" for c in companies) + f"{'shared':>9}",
        ]
        for table, per in self.counts.items():
            lines.append(
                f"  {table:<24}"
                + "".join(f"{per.get(c, 0):>11,}" for c in companies)
                + f"{per.get(GLOBAL, 0):>9,}"
            )
        lines.append(
            "  timings: " + ", ".join(f"{stage} {sec:.1f} s" for stage, sec in self.timings.items())
        )
        return "\n".join(lines)


def demo_users(seed: int = DEFAULT_SEED) -> list[DemoUser]:
    """The demo users and their readable passwords; no database needed."""
    rng = random.Random(f"demo-passwords/{seed}")
    users: list[DemoUser] = []
    used: list[str] = []
    for profile in PROFILES:
        for spec in profile.users:
            while True:
                password = (
                    f"{rng.choice(PASSWORD_ADJECTIVES)}-{rng.choice(PASSWORD_NOUNS)}-"
                    f"{rng.randint(10, 99)}"
                )
                if password not in used:
                    break
            used.append(password)
            users.append(
                DemoUser(
                    username=f"{profile.code}.{spec.suffix}",
                    password=password,
                    full_name=spec.full_name,
                    company_code=profile.code,
                    roles=spec.roles,
                )
            )
    return users


def history_start(as_of: date) -> date:
    """First day of the simulated history: 14 months before `as_of`."""
    return add_months(as_of, -HISTORY_MONTHS)


def seed(
    target: str | URL | Engine | Session,
    *,
    as_of: date,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
) -> SeedSummary:
    """Load the demo companies into an empty database and return what was written.

    `target` is a database URL, an Engine (one transaction, committed at the
    end) or a Session (rows are added to its transaction; the caller commits).
    `scale` multiplies the number of customers, products, suppliers and daily
    orders (1.0: 230 customers, 125 products, 52 suppliers, about 5,500 sales
    orders and 130,000 rows in all).
    `progress(stage, done, total)` is called as the work advances.
    Raises SeedError if the database already has companies.
    """
    if not isinstance(as_of, date):
        raise TypeError("as_of must be a date")
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be between {MIN_SCALE} and {MAX_SCALE}")
    if isinstance(target, Session):
        return _seed(target, as_of, scale, seed, progress, batch_size)
    if isinstance(target, Engine):
        engine = target
    elif isinstance(target, URL):
        engine = get_engine(target.render_as_string(hide_password=False))
    else:
        engine = get_engine(target)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # take the write lock at once: a second seeder waits, then sees companies
            connection = connection.execution_options(sqlite_begin="IMMEDIATE")
        with Session(bind=connection) as session:
            try:
                summary = _seed(session, as_of, scale, seed, progress, batch_size)
                started = time.perf_counter()
                session.commit()
                summary.timings["commit"] = time.perf_counter() - started
            except BaseException:
                session.rollback()
                raise
    return summary


def _seed(
    session: Session,
    as_of: date,
    scale: float,
    seed_value: int,
    progress: ProgressCallback | None,
    batch_size: int,
) -> SeedSummary:
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    existing = session.execute(select(Company.code).order_by(Company.code)).scalars().all()
    if existing:
        raise SeedError(
            f"The database already has {len(existing)} "
            f"compan{'y' if len(existing) == 1 else 'ies'} ({', '.join(existing)}); "
            "demo data is only loaded into an empty database."
        )
    tables = [t for t in Base.metadata.sorted_tables if "id" in t.c and t.c.id.primary_key]
    first_ids = {}
    for table in tables:
        first_ids[table.name] = (session.scalar(select(func.max(table.c.id))) or 0) + 1
    store = RowStore(first_ids)

    role_ids = _roles(session, store)
    users = demo_users(seed_value)
    hashed = []
    for done, user in enumerate(users):
        if progress:
            progress("users", done, len(users))
        hashed.append(hash_password(user.password))
    timings["prepare"] = time.perf_counter() - clock

    start = history_start(as_of)
    for profile in PROFILES:
        clock = time.perf_counter()
        company_users = [
            (u.username, u.username.split(".", 1)[1], u.full_name, u.roles, h)
            for u, h in zip(users, hashed, strict=True)
            if u.company_code == profile.code
        ]
        simulation = CompanySimulation(
            store,
            profile,
            rng=random.Random(f"{seed_value}/{profile.code}"),
            as_of=as_of,
            start=start,
            scale=scale,
            role_ids=role_ids,
            users=company_users,
            progress=progress,
        )
        simulation.run()
        timings[f"simulate {profile.code}"] = time.perf_counter() - clock

    clock = time.perf_counter()
    _insert_all(session, store, progress, batch_size)
    timings["insert"] = time.perf_counter() - clock

    counts = {
        table.name: dict(sorted(store.counts[table.name].items()))
        for table in Base.metadata.sorted_tables
        if table.name in store.counts
    }
    return SeedSummary(
        as_of=as_of,
        start=start,
        seed=seed_value,
        scale=scale,
        counts=counts,
        timings=timings,
        users=users,
    )


def _roles(session: Session, store: RowStore) -> dict[str, int]:
    """Every role and permission of the catalogue; rows already there are kept."""
    permission_ids = dict(session.execute(select(Permission.code, Permission.id)).tuples().all())
    for code, description in PERMISSIONS.items():
        if code not in permission_ids:
            permission_ids[code] = store.next_id("permissions")
            store.add(
                "permissions",
                GLOBAL,
                {"id": permission_ids[code], "code": code, "description": description},
            )
    role_ids = dict(session.execute(select(Role.code, Role.id)).tuples().all())
    granted = set(session.execute(select(RolePermission.role_id, RolePermission.permission_id)))
    for code, (name, permissions) in ROLES.items():
        if code not in role_ids:
            role_ids[code] = store.next_id("roles")
            store.add(
                "roles",
                GLOBAL,
                {
                    "id": role_ids[code],
                    "code": code,
                    "name": name,
                    "description": "May " + "; ".join(PERMISSIONS[p] for p in permissions) + ".",
                },
            )
        for permission in permissions:
            pair = (role_ids[code], permission_ids[permission])
            if pair not in granted:
                granted.add(pair)
                store.add(
                    "role_permissions",
                    GLOBAL,
                    {"role_id": pair[0], "permission_id": pair[1]},
                )
    return role_ids


def _insert_all(
    session: Session, store: RowStore, progress: ProgressCallback | None, batch_size: int
) -> None:
    tables = [t for t in Base.metadata.sorted_tables if store.rows.get(t.name)]
    total = store.total()
    done = 0
    for table in tables:
        rows = store.rows[table.name]
        money = [c.name for c in table.columns if isinstance(c.type, Money)]
        statement = insert(table)
        for offset in range(0, len(rows), batch_size):
            batch = rows[offset : offset + batch_size]
            for row in batch:
                for name in money:
                    value = row[name]
                    if value is not None:
                        row[name] = Decimal(value).scaleb(-2)
            session.execute(statement, batch)
            done += len(batch)
            if progress:
                progress("insert", done, total)
        store.rows[table.name] = []
    if session.get_bind().dialect.name == "postgresql":
        _advance_sequences(session, tables)


def _advance_sequences(session: Session, tables: Sequence[Table]) -> None:
    """Rows came with their own keys: move each id sequence past them."""
    for table in tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:name, 'id'), "
                f'(SELECT MAX(id) FROM "{table.name}"))'
            ),
            {"name": table.name},
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load the demo ERP data into an empty database.")
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"), help="database URL")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="last day (today)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("give --url or set DATABASE_URL")

    def report(stage: str, done: int, total: int) -> None:
        print(f"\r{stage:<22} {done:>8,}/{total:,}", end="", flush=True)

    try:
        summary = seed(
            args.url,
            as_of=args.as_of or date.today(),
            scale=args.scale,
            seed=args.seed,
            progress=report,
        )
    except SeedError as error:
        print(error)
        return 1
    print()
    print(summary.describe())
    for user in summary.users:
        print(f"  {user.username:<22} {user.password:<18} {', '.join(user.roles)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
