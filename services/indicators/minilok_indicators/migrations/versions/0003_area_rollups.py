"""area rollups: subtree totals per (indicator, period, area), kept up to date on ingest

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('area_rollups',
    sa.Column('indicator_code', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('area_code', sa.String(length=64), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=False),
    sa.Column('denominator', sa.Float(), nullable=False),
    sa.Column('denominator_reports', sa.Integer(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('indicator_code', 'period', 'area_code', name=op.f('pk_area_rollups'))
    )
    # Values stored before this revision: compute their rollups once, from the values.
    from minilok_indicators.service_layer.aggregates import rebuild

    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_table('area_rollups')
