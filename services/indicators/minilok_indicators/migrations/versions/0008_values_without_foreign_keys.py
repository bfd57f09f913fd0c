"""indicator_values loses its foreign keys to areas and indicators: every value comes in through
`ingest_values`, which rejects an unknown area or indicator by name (and neither is ever deleted),
while the checks cost a bulk import two key lookups per row, more than half the time of its upsert

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:20:00
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

FOREIGN_KEYS = (('fk_indicator_values_indicator_code_indicators', 'indicators', 'indicator_code'),
                ('fk_indicator_values_area_code_areas', 'areas', 'area_code'))


def upgrade() -> None:
    with op.batch_alter_table('indicator_values') as batch:  # SQLite: the table is copied without them
        for name, _table, _column in FOREIGN_KEYS:
            batch.drop_constraint(name, type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('indicator_values') as batch:
        for name, table, column in FOREIGN_KEYS:
            batch.create_foreign_key(name, table, [column], ['code'])
