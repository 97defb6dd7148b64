"""operations: notifications to the data officer

Revision ID: i7_0001
Revises: i3_0001
Create Date: 2026-11-22 20:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'i7_0001'
down_revision = "i3_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('gemeente', sa.String(length=4), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('about', sa.String(length=100), nullable=True),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('send_error', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_notifications_gemeente', 'notifications', ['gemeente'])


def downgrade() -> None:
    op.drop_index('ix_notifications_gemeente', table_name='notifications')
    op.drop_table('notifications')
