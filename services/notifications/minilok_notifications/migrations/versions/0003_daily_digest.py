"""daily digest: deliveries gathered into one message

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_deliveries_digest_id'), ['digest_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_deliveries_digest_id_deliveries'), 'deliveries',
                                    ['digest_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deliveries_digest_id_deliveries'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_deliveries_digest_id'))
        batch_op.drop_column('digest_id')
