"""Schema migrations (Alembic), driven from code rather than an alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from actions.erp.db import normalise_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(database_url))
    return config


def upgrade(database_url: str) -> None:
    """Bring the schema to the newest revision; a no-op when it is current."""
    command.upgrade(alembic_config(database_url), "head")


def make_revision(database_url: str, message: str) -> None:
    """Autogenerate a revision from the models (for developers)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
