"""Shared fixtures: seeded ERP databases on SQLite and on the PostgreSQL server."""

from __future__ import annotations

import itertools
import os
import shutil
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


# --- databases that tests may write to ------------------------------------------
# Writes must not leak into the shared read-only fixtures above, so each
# writing test gets its own copy of a seeded template: a file copy on SQLite,
# CREATE DATABASE … TEMPLATE on PostgreSQL (both well under a second).

_copies = itertools.count()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("erp-template") / "erp.db"
    url = seeded_database(f"sqlite:///{path}")
    dispose_engine(url)
    return path


@pytest.fixture(scope="session")
def postgresql_template() -> Iterator[str]:
    name = f"erp_template_{os.getpid()}"
    url = seeded_database(create_pg_database(name))
    dispose_engine(url)
    try:
        yield name
    finally:
        drop_pg_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def writable_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A private, freshly seeded database for one test, on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        copy = tmp_path / "erp.db"
        shutil.copyfile(template, copy)
        url = f"sqlite:///{copy}"
        yield url
        dispose_engine(url)
        return
    template_name: str = request.getfixturevalue("postgresql_template")
    name = f"erp_write_{os.getpid()}_{next(_copies)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    admin.dispose()
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        drop_pg_database(name)


@pytest.fixture
def writer(writable_url: str) -> ERPService:
    """A service on a private database, for tests that write."""
    return ERPService(writable_url, today=lambda: AS_OF)
