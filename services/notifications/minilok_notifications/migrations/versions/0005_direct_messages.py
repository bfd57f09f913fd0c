"""direct messages: sign-in codes sent to one person, outside subscriptions

Revision ID: 0005
Revises: 0004
"""
import minilok_shared.db
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('direct_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.String(length=100), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('payload_sealed', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.JSON(), nullable=False),
    sa.Column('next_attempt_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_until', minilok_shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_messages')),
    sa.UniqueConstraint('event_id', name=op.f('uq_direct_messages_event_id'))
    )
    with op.batch_alter_table('direct_messages', schema=None) as batch_op:
        batch_op.create_index('ix_direct_messages_status_next', ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('direct_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_direct_messages_status_next')
    op.drop_table('direct_messages')
