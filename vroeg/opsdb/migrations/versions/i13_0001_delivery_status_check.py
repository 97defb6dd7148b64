"""deliveries: the status column accepts only a delivery status (vroeg.opsdb.statuses)

Revision ID: i13_0001
Revises: i7_0001
Create Date: 2026-11-24 12:00:00
"""
from alembic import op

revision = "i13_0001"
down_revision = "i7_0001"
branch_labels = None
depends_on = None

#: The statuses at this revision, written out: a migration is a snapshot of its time and must not
#: follow later changes of the enum (a new status needs a migration of its own). tests/test_opsdb.py
#: checks that the migrated database takes every DeliveryStatus and refuses anything else.
STATUSES = ("ontvangen", "geladen", "afgekeurd", "onleesbaar", "dubbel", "mislukt")


def upgrade() -> None:
    # SQLite cannot add a constraint to a table: batch mode copies the table (db.migrate turns
    # SQLite's foreign keys off meanwhile, so the copy keeps the quarantine rows that point to it).
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.create_check_constraint(
            "ck_deliveries_status", "status IN ({})".format(", ".join(f"'{s}'" for s in STATUSES)))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_constraint("ck_deliveries_status", type_="check")
