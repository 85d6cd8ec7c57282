"""Patients: measured whole-body fat (``body_fat_percent``, nullable: NULL = not measured).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode, as in 0002: SQLite cannot drop a column otherwise portably
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("body_fat_percent", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("body_fat_percent")
