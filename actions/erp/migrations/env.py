"""Alembic environment: migrations run against the URL the caller configured."""

from __future__ import annotations

from alembic import context

from actions.erp.db import get_engine
from actions.erp.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER support
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
