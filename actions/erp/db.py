"""Database engines and transactions. Nothing connects at import time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def normalise_url(url: str) -> str:
    """Accept the common `postgres://` spelling and pick the psycopg2 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str) -> Engine:
    """One engine (and connection pool) per database URL, created on first use."""
    url = normalise_url(url)
    with _engines_lock:
        if url not in _engines:
            _engines[url] = _create_engine(url)
        return _engines[url]


def dispose_engine(url: str) -> None:
    """Close the pool of a database, e.g. before dropping it."""
    with _engines_lock:
        engine = _engines.pop(normalise_url(url), None)
    if engine is not None:
        engine.dispose()


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate_if_writing)
        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _configure_sqlite(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate_if_writing(connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def read_session(url: str) -> Iterator[Session]:
    """A session for queries; rolled back at the end, so it can never write."""
    session = Session(bind=get_engine(url), expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


_sqlite_writers: dict[str, threading.Lock] = {}


@contextmanager
def write_session(url: str) -> Iterator[Session]:
    """One transaction: committed when the block succeeds, rolled back otherwise.

    On SQLite the transaction starts with BEGIN IMMEDIATE so that two writers
    serialise at the start instead of failing at commit. SQLite has one writer
    at a time anyway; writers of one process queue on a lock first, because
    SQLite's own busy wait sleeps in steps of up to 100 ms.
    """
    engine = get_engine(url)
    if engine.dialect.name != "sqlite":
        with _transaction(engine) as session:
            yield session
        return
    with _engines_lock:
        writer = _sqlite_writers.setdefault(normalise_url(url), threading.Lock())
    with writer, _transaction(engine, sqlite_begin="IMMEDIATE") as session:
        yield session


@contextmanager
def _transaction(engine: Engine, **options: str) -> Iterator[Session]:
    with engine.connect() as connection:
        if options:
            connection = connection.execution_options(**options)
        with Session(bind=connection, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


def locked_or_added(
    session: Session, query: Select[Any], new: Callable[[], Row]
) -> tuple[Row, bool]:
    """The one row `query` finds, locked for update, or `new()` added; True if added.

    The insert runs in a savepoint: when a concurrent request inserts the same
    row first (a unique constraint fails), that row is returned instead, so
    two requests at once end with one row that both then update.
    """
    row = session.scalar(query.with_for_update())
    if row is not None:
        return row, False
    try:
        with session.begin_nested():
            row = new()
            session.add(row)
        return row, True
    except IntegrityError:
        row = session.scalar(query.with_for_update())
        assert row is not None, "a unique constraint failed, yet no row matches"
        return row, False
