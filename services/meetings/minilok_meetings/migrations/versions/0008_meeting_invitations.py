"""meeting invitations, sequence and cancellation; contact lookup indexes for sign-in by code

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:48:37.803004
"""
from alembic import op
import sqlalchemy as sa
import minilok_shared.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting_invitations',
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agency_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('invited_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_meeting_invitations_agency_id_agencies')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_invitations_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', 'agency_id', name=op.f('pk_meeting_invitations'))
    )
    with op.batch_alter_table('meeting_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_invitations_agency_id'), ['agency_id'], unique=False)

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('cancelled_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))



    # Sign-in by code looks contacts up by phone and by lower-cased email.
    op.create_index("ix_agency_contacts_phone", "agency_contacts", ["phone"])
    op.create_index("ix_agency_contacts_email_lower", "agency_contacts", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_agency_contacts_email_lower", table_name="agency_contacts")
    op.drop_index("ix_agency_contacts_phone", table_name="agency_contacts")
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('sequence')

    with op.batch_alter_table('meeting_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_invitations_agency_id'))

    op.drop_table('meeting_invitations')
