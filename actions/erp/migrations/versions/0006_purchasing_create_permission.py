"""purchasing.create permission

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:40:00.000000

Grants the new permission to raise purchase orders to the warehouse clerk,
the purchasing approver and the administrator in a database that was seeded
before the permission existed. A fresh database gets it from the seed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PERMISSION = "purchasing.create"
ROLES = ("warehouse_clerk", "purchasing_approver", "administrator")


def upgrade() -> None:
    connection = op.get_bind()
    seeded = connection.execute(sa.text("SELECT COUNT(*) FROM permissions")).scalar()
    exists = connection.execute(
        sa.text("SELECT id FROM permissions WHERE code = :code"), {"code": PERMISSION}
    ).scalar()
    if not seeded or exists is not None:
        return
    next_id = connection.execute(sa.text("SELECT COALESCE(MAX(id), 0) + 1 FROM permissions")).scalar()
    connection.execute(
        sa.text("INSERT INTO permissions (id, code, description) VALUES (:id, :code, :d)"),
        {"id": next_id, "code": PERMISSION, "d": "raise purchase orders"},
    )
    for role in ROLES:
        role_id = connection.execute(
            sa.text("SELECT id FROM roles WHERE code = :code"), {"code": role}
        ).scalar()
        if role_id is not None:
            connection.execute(
                sa.text(
                    "INSERT INTO role_permissions (role_id, permission_id) VALUES (:r, :p)"
                ),
                {"r": role_id, "p": next_id},
            )


def downgrade() -> None:
    connection = op.get_bind()
    permission_id = connection.execute(
        sa.text("SELECT id FROM permissions WHERE code = :code"), {"code": PERMISSION}
    ).scalar()
    if permission_id is None:
        return
    connection.execute(
        sa.text("DELETE FROM role_permissions WHERE permission_id = :p"), {"p": permission_id}
    )
    connection.execute(sa.text("DELETE FROM permissions WHERE id = :p"), {"p": permission_id}
    )
