"""runs.kind (monthly run or crisis lane), the crisis notification's team and count, and when a
portal user last saw the list overview (issue 17)

Revision ID: i17_0001
Revises: i15_0001
Create Date: 2026-12-05 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "i17_0001"
down_revision = "i15_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch_op:
        # Every run before this revision was a monthly run.
        batch_op.add_column(sa.Column("kind", sa.String(16), nullable=False,
                                      server_default="maand"))
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("wijkteam", sa.String(64)))
        batch_op.add_column(sa.Column("households", sa.Integer()))
        batch_op.create_index("ix_notifications_kind_team", ["gemeente", "kind", "wijkteam"])
    with op.batch_alter_table("portal_users") as batch_op:
        batch_op.add_column(sa.Column("lists_seen_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("portal_users") as batch_op:
        batch_op.drop_column("lists_seen_at")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_index("ix_notifications_kind_team")
        batch_op.drop_column("households")
        batch_op.drop_column("wijkteam")
    with op.batch_alter_table("runs") as batch_op:
        batch_op.drop_column("kind")
