"""follow-up lists by puskesmas and status, newest first: one index range per page

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:05:00

GET /follow-ups?status=... for a puskesmas (its token, or an admin's puskesmas_id) orders by id
descending. With only (puskesmas_id, id) PostgreSQL walked the puskesmas's follow-ups backwards and
dropped those of other statuses (for a rare status, or combined with the status index in a bitmap:
~13 ms at 1M follow-ups); (puskesmas_id, status, id) reads exactly the page (bench/api_load.py).
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index('ix_followups_puskesmas_status_id', ['puskesmas_id', 'status', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_puskesmas_status_id')
