"""publications: versions per team and month, and what replaced what (issue 19)

Revision ID: i19_0001
Revises: i13_0001
Create Date: 2026-12-04 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "i19_0001"
down_revision = "i13_0001"
branch_labels = None
depends_on = None

#: Written on lists replaced before versions existed (the text of its time, as a snapshot).
EARLIER = "Vervangen door een latere publicatie van dezelfde maand (van vóór de versies)."


def upgrade() -> None:
    with op.batch_alter_table("publications") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                      server_default="1"))
        batch_op.add_column(sa.Column("content_sha256", sa.String(64)))
        batch_op.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("superseded_by", sa.Integer()))
        batch_op.add_column(sa.Column("superseded_reason", sa.Text()))
    # Existing lists of one team and month, oldest first, become versions 1, 2, ...; each but the
    # newest is replaced by the next, at the moment that one was published. Nothing is deleted.
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT id, gemeente, wijkteam, period, created_at FROM publications "
        "ORDER BY gemeente, wijkteam, period, created_at, id")).all()
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault((row.gemeente, row.wijkteam, row.period), []).append(row)
    for group in groups.values():
        for number, (row, after) in enumerate(zip(group, group[1:] + [None]), start=1):
            connection.execute(sa.text(
                "UPDATE publications SET version = :version, superseded_at = :at, "
                "superseded_by = :by, superseded_reason = :reason WHERE id = :id"),
                {"version": number, "id": row.id,
                 "at": after.created_at if after else None, "by": after.id if after else None,
                 "reason": EARLIER if after else None})


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch_op:
        for column in ("superseded_reason", "superseded_by", "superseded_at", "content_sha256",
                       "version"):
            batch_op.drop_column(column)
