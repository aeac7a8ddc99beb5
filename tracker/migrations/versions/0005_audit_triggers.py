"""append-only audit enforced by the database

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

The ORM already refuses to change an AuditEvent (tracker/audit.py), but plain SQL (a console,
a script, another program on the same database) did not go through it. Triggers make the
database itself refuse UPDATE and DELETE on auditevent (and TRUNCATE on PostgreSQL); INSERT
is untouched. Only a migration's downgrade, or dropping the whole table or schema, removes
history, which takes the rights of the schema's owner.

On SQLite a batch ("move and copy") alteration of auditevent recreates the table and loses
its triggers: a later migration that alters auditevent must create them again (the
statements in `_create_sqlite_triggers`); tests/test_audit.py checks them at head.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "auditevent is append-only"
SQLITE_TRIGGERS = {
    "auditevent_no_update": "UPDATE",
    "auditevent_no_delete": "DELETE",
}
PG_FUNCTION = "auditevent_append_only"


def _create_sqlite_triggers() -> None:
    """SQLite: RAISE(ABORT) before any UPDATE or DELETE of an audit row."""
    for name, operation in SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {operation} ON auditevent "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} refused'); END"
        )


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        # SQLSTATE 42501 (insufficient_privilege): it is a refusal, not a fault of the data.
        op.execute(
            f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON auditevent "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        op.execute(
            "CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON auditevent "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    else:
        _create_sqlite_triggers()


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER auditevent_no_truncate ON auditevent")
        op.execute("DROP TRIGGER auditevent_append_only ON auditevent")
        op.execute(f"DROP FUNCTION {PG_FUNCTION}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
