"""escalation that listens (acknowledge, pause, repeat), evidence, extension requests, sign-in codes,
and the agencies a follow-up was escalated to

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:07:45.939806
"""
from alembic import op
import sqlalchemy as sa
import minilok_shared.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_failures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_key', sa.String(length=254), nullable=False),
    sa.Column('at', minilok_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_failures_contact_at', ['contact_key', 'at'], unique=False)

    op.create_table('sign_in_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_key', sa.String(length=254), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_sign_in_codes_agency_id_agencies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_codes'))
    )
    with op.batch_alter_table('sign_in_codes', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_codes_contact_created', ['contact_key', 'created_at'], unique=False)
        batch_op.create_index('ix_sign_in_codes_expires_at', ['expires_at'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('followup_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('storage_key', sa.String(length=300), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=300), nullable=True),
    sa.Column('original_name', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['followup_id'], ['followups.id'], name=op.f('fk_evidence_followup_id_followups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_followup_id', ['followup_id', 'id'], unique=False)

    op.create_table('extension_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('followup_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('puskesmas_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('decided_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['followup_id'], ['followups.id'], name=op.f('fk_extension_requests_followup_id_followups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['puskesmas_id'], ['puskesmas.id'], name=op.f('fk_extension_requests_puskesmas_id_puskesmas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extension_requests'))
    )
    with op.batch_alter_table('extension_requests', schema=None) as batch_op:
        batch_op.create_index('ix_extension_requests_followup_id', ['followup_id', 'id'], unique=False)
        batch_op.create_index('ix_extension_requests_puskesmas_status', ['puskesmas_id', 'status', 'id'], unique=False)

    op.create_table('followup_escalations',
    sa.Column('followup_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agency_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('at', minilok_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_followup_escalations_agency_id_agencies')),
    sa.ForeignKeyConstraint(['followup_id'], ['followups.id'], name=op.f('fk_followup_escalations_followup_id_followups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('followup_id', 'agency_id', name=op.f('pk_followup_escalations'))
    )
    with op.batch_alter_table('followup_escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_escalations_agency_id'), ['agency_id'], unique=False)

    with op.batch_alter_table('escalation_policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repeat_every', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('progress_pause', sa.String(length=32), nullable=True))

    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_until', minilok_shared.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_stage_at', minilok_shared.db.UTCDateTime(timezone=True), nullable=True))

    # Policies saved before repeat and pause existed get the contract's defaults.
    op.execute("UPDATE escalation_policies SET repeat_every = 'P5D', progress_pause = 'P3D'")
    backfill_escalations()


def backfill_escalations() -> None:
    """Agencies already escalated to, read from the history (its JSON is parsed here, in batches)."""
    bind = op.get_bind()
    history = sa.table("followup_history", sa.column("id", sa.BigInteger), sa.column("followup_id", sa.BigInteger),
                       sa.column("kind", sa.String), sa.column("at", minilok_shared.db.UTCDateTime(timezone=True)),
                       sa.column("data", sa.JSON))
    escalations = sa.table("followup_escalations", sa.column("followup_id", sa.BigInteger),
                           sa.column("agency_id", sa.BigInteger), sa.column("level", sa.Integer),
                           sa.column("at", minilok_shared.db.UTCDateTime(timezone=True)))
    agencies = {row[0] for row in bind.execute(sa.text("SELECT id FROM agencies"))}
    last_id = 0
    while True:
        rows = bind.execute(sa.select(history.c.id, history.c.followup_id, history.c.at, history.c.data)
                            .where(history.c.kind.in_(("overdue", "escalated")), history.c.id > last_id)
                            .order_by(history.c.id).limit(5000)).all()
        if not rows:
            return
        last_id = rows[-1].id
        found: dict[tuple[int, int], dict] = {}
        for row in rows:
            data = row.data or {}
            for agency_id in data.get("escalated_to_agency_ids") or []:
                if agency_id in agencies:
                    found[(row.followup_id, agency_id)] = {
                        "followup_id": row.followup_id, "agency_id": agency_id,
                        "level": int(data.get("escalation_level") or 0), "at": row.at}
        if found:
            keys = list(found)
            existing = set(bind.execute(sa.select(escalations.c.followup_id, escalations.c.agency_id).where(
                escalations.c.followup_id.in_({k[0] for k in keys}))).all())
            fresh = [v for k, v in found.items() if k not in existing]
            if fresh:
                bind.execute(escalations.insert(), fresh)


def downgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_column('last_stage_at')
        batch_op.drop_column('paused_until')
        batch_op.drop_column('acknowledged_at')

    with op.batch_alter_table('escalation_policies', schema=None) as batch_op:
        batch_op.drop_column('progress_pause')
        batch_op.drop_column('repeat_every')

    with op.batch_alter_table('followup_escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_escalations_agency_id'))

    op.drop_table('followup_escalations')
    with op.batch_alter_table('extension_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_extension_requests_puskesmas_status')
        batch_op.drop_index('ix_extension_requests_followup_id')

    op.drop_table('extension_requests')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_followup_id')

    op.drop_table('evidence')
    with op.batch_alter_table('sign_in_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_codes_expires_at')
        batch_op.drop_index('ix_sign_in_codes_contact_created')

    op.drop_table('sign_in_codes')
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_failures_contact_at')

    op.drop_table('sign_in_failures')
