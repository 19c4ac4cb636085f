"""The Alembic migrations produce exactly the schema the models describe."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from actions.erp.db import get_engine
from actions.erp.migrate import alembic_config, upgrade
from actions.erp.models import Base


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    upgrade(database_url)  # already at head: must be a no-op
    with get_engine(database_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_a_database_seeded_before_purchasing_create_gets_it(writable_url: str) -> None:
    """Migration 0006 grants the new permission in a database seeded without it."""
    grants = """
        SELECT r.code FROM role_permissions rp JOIN roles r ON r.id = rp.role_id
        JOIN permissions p ON p.id = rp.permission_id
        WHERE p.code = 'purchasing.create' ORDER BY r.code
    """

    def granted() -> list[str]:
        with get_engine(writable_url).connect() as connection:
            return [row[0] for row in connection.execute(text(grants))]

    assert granted() == ["administrator", "purchasing_approver", "warehouse_clerk"]
    command.downgrade(alembic_config(writable_url), "0005")
    assert granted() == []  # as a database seeded before the permission existed
    upgrade(writable_url)
    assert granted() == ["administrator", "purchasing_approver", "warehouse_clerk"]
    upgrade(writable_url)  # at head again: nothing is granted twice
    assert granted() == ["administrator", "purchasing_approver", "warehouse_clerk"]
