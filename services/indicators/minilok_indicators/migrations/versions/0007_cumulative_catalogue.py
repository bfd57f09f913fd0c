"""The catalogue's SPM indicators and imunisasi dasar lengkap are cumulative (PWS): already
stored rows get target_basis='cumulative', and their target_status is re-evaluated against the
pro-rated target without events (an import over the old values then emits nothing new)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:10:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

CUMULATIVE = ('SPM_BUMIL', 'SPM_BULIN', 'SPM_BBL', 'SPM_BALITA', 'SPM_USIA_DIKDAS', 'SPM_USIA_PRODUKTIF',
              'SPM_LANSIA', 'SPM_HIPERTENSI', 'SPM_DM', 'SPM_ODGJ', 'SPM_TB', 'SPM_HIV', 'IDL')


def upgrade() -> None:
    indicators = sa.table('indicators', sa.column('code', sa.String), sa.column('target_basis', sa.String))
    op.execute(indicators.update().where(indicators.c.code.in_(CUMULATIVE)).values(target_basis='cumulative'))
    from minilok_indicators.service_layer.targets import reevaluate_quietly
    session = Session(bind=op.get_bind())
    reevaluate_quietly(session, list(CUMULATIVE))
    session.flush()


def downgrade() -> None:
    indicators = sa.table('indicators', sa.column('code', sa.String), sa.column('target_basis', sa.String))
    op.execute(indicators.update().where(indicators.c.code.in_(CUMULATIVE)).values(target_basis='period'))
