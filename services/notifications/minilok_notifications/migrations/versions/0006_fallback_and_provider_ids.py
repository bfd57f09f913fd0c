"""subscription fallback, provider message ids

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:48:38.853507
"""
from alembic import op
import sqlalchemy as sa
import minilok_shared.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fallback_used', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('target_override', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('provider_message_id', sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f('ix_deliveries_provider_message_id'), ['provider_message_id'], unique=False)

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fallback_channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('fallback_target', sa.String(length=2048), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('fallback_target')
        batch_op.drop_column('fallback_channel')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_provider_message_id'))
        batch_op.drop_column('provider_message_id')
        batch_op.drop_column('target_override')
        batch_op.drop_column('fallback_used')

