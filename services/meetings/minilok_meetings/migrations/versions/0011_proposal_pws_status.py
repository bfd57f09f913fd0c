"""proposals: the PWS status (jelek, cukup) the area had when it was proposed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Proposals made before PWS statuses existed have none: they stay empty, not guessed.
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pws_status', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_column('pws_status')
