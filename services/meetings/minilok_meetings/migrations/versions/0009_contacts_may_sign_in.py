"""agency contacts: who may sign in (boleh masuk), on for every contact already there

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every contact could sign in before this switch existed: existing rows keep that right.
    with op.batch_alter_table('agency_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('can_sign_in', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('agency_contacts', schema=None) as batch_op:
        batch_op.drop_column('can_sign_in')
