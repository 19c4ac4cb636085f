"""Shared fixtures: seeded ERP databases on SQLite and on the PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from actions.erp.db import dispose_engine
from actions.erp.migrate import upgrade
from actions.erp.service import ERPService

AS_OF = date(2026, 11, 22)
TEST_SCALE = 0.2
PG_ADMIN_URL = os.environ.get(
    "ERP_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def create_pg_database(name: str) -> str:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(name: str) -> None:
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    dispose_engine(url)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seeded_database(url: str) -> str:
    from actions.erp.seed import seed

    upgrade(url)
    seed(url, as_of=AS_OF, scale=TEST_SCALE)
    return url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("erp") / "erp.db"
    return seeded_database(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    name = f"erp_test_{os.getpid()}"
    url = create_pg_database(name)
    try:
        yield seeded_database(url)
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A seeded demo database; every test using it runs on both backends."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="session")
def service(database_url: str) -> ERPService:
    return ERPService(database_url, today=lambda: AS_OF)
