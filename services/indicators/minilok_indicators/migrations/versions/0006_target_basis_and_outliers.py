"""target_basis on indicators (period | cumulative) and the value_outliers table

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:00:00
"""
import minilok_shared.db
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('indicators', sa.Column('target_basis', sa.String(length=16), server_default='period',
                                          nullable=False))
    op.create_table('value_outliers',
    sa.Column('indicator_code', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('area_code', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('median', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('flagged_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('indicator_code', 'period', 'area_code', name=op.f('pk_value_outliers'))
    )
    op.create_index('ix_value_outliers_period', 'value_outliers', ['indicator_code', 'period'], unique=False)
    op.create_index(op.f('ix_value_outliers_area_code'), 'value_outliers', ['area_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_value_outliers_area_code'), table_name='value_outliers')
    op.drop_index('ix_value_outliers_period', table_name='value_outliers')
    op.drop_table('value_outliers')
    op.drop_column('indicators', 'target_basis')
