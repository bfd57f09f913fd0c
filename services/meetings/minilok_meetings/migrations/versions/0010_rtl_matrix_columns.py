"""follow-ups: the RTL matrix's columns (tujuan, sasaran, lokasi, indikator keberhasilan, biaya,
sumber dana), all optional, so every follow-up already there stays as it was

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('objective', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('target_group', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('location', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('success_indicator', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('cost_estimate', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('funding_source', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        for name in ('funding_source', 'cost_estimate', 'success_indicator', 'location',
                     'target_group', 'objective'):
            batch_op.drop_column(name)
