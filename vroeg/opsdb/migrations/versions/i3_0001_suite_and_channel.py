"""partner onboarding: validation results name their suite; deliveries name their channel

Revision ID: i3_0001
Revises: i5_0001
Create Date: 2026-11-22 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'i3_0001'
down_revision = "i5_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Since issue 3 a delivery is validated by the schema suite and by its partner type's suite.
    with op.batch_alter_table('validation_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suite', sa.String(length=100), nullable=True))
    # Deliveries come from the command line, an inbox folder or a partner's database view.
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('channel')
    with op.batch_alter_table('validation_results', schema=None) as batch_op:
        batch_op.drop_column('suite')
