"""runs: the process doing the run (pid, host, heartbeat) and a CHECK on the status (issue 19)

Revision ID: i19_0003
Revises: i19_0002
Create Date: 2026-12-05 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "i19_0003"
down_revision = "i19_0002"
branch_labels = None
depends_on = None

#: The run statuses at this revision, written out (a migration is a snapshot of its time; see
#: vroeg.opsdb.statuses.RunStatus).
STATUSES = ("gestart", "gepubliceerd", "mislukt", "afgebroken")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch_op:
        batch_op.add_column(sa.Column("pid", sa.Integer()))
        batch_op.add_column(sa.Column("host", sa.String(255)))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True)))
        batch_op.create_check_constraint(
            "ck_runs_status", "status IN ({})".format(", ".join(f"'{s}'" for s in STATUSES)))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch_op:
        batch_op.drop_constraint("ck_runs_status", type_="check")
        for column in ("heartbeat_at", "host", "pid"):
            batch_op.drop_column(column)
