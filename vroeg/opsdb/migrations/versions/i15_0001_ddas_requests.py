"""ddas_requests: every request to the DDAS API (issue 15)

Revision ID: i15_0001
Revises: i19_0003
Create Date: 2026-12-05 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "i15_0001"
down_revision = "i19_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ddas_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("client_subject", sa.String(length=255), nullable=True),
        sa.Column("client_sha256", sa.String(length=64), nullable=True),
        sa.Column("token_subject", sa.String(length=255), nullable=True),
        sa.Column("signer_subject", sa.String(length=255), nullable=True),
        sa.Column("van", sa.Date(), nullable=True),
        sa.Column("tot", sa.Date(), nullable=True),
        sa.Column("organisatie", sa.String(length=200), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("page_size", sa.Integer(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("fout", sa.String(length=64), nullable=True),
        sa.Column("signalen", sa.Integer(), nullable=True),
        sa.Column("zaken", sa.Integer(), nullable=True),
        sa.Column("total_records", sa.Integer(), nullable=True),
        sa.Column("response_sha256", sa.String(length=64), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ddas_requests_received_at", "ddas_requests", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_ddas_requests_received_at", table_name="ddas_requests")
    op.drop_table("ddas_requests")
