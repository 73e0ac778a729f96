"""The audit log refuses what 0002 let through: SQLite's `INSERT OR REPLACE` of an existing id
(the replaced row is deleted without firing a DELETE trigger) and PostgreSQL's `TRUNCATE`
(row triggers do not fire for it).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The function 0002 made raises for any trigger; a statement trigger returns nothing.
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
        )
        return
    # Any insert naming an id already stored: OR REPLACE would overwrite, OR IGNORE hide it.
    op.execute(
        "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
        "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        return
    op.execute("DROP TRIGGER audit_log_no_replace")
