"""Saved column mappings of clinics' exports, recognised by their headers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_mappings",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("header_key", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("saved_by", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index(
        "ix_import_mappings_header_key", "import_mappings", ["header_key"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_import_mappings_header_key", table_name="import_mappings")
    op.drop_table("import_mappings")
