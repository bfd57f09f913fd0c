"""area name search: each area's normalised name and its words (GET /areas?q=)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

CHUNK = 2000


def upgrade() -> None:
    op.add_column('areas', sa.Column('search_name', sa.String(length=200), nullable=True))
    op.create_table('area_words',
    sa.Column('area_code', sa.String(length=64), nullable=False),
    sa.Column('word', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['area_code'], ['areas.code'], name=op.f('fk_area_words_area_code_areas'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_code', 'word', name=op.f('pk_area_words'))
    )
    op.create_index('ix_area_words_word', 'area_words', ['word', 'area_code'], unique=False,
                    postgresql_ops={'word': 'text_pattern_ops'})
    # Areas loaded before this revision: their words once, in chunks (a national load is 90,000).
    from minilok_indicators.domain.names import name_words

    bind = op.get_bind()
    areas = sa.table('areas', sa.column('code', sa.String), sa.column('name', sa.String),
                     sa.column('search_name', sa.String))
    words = sa.table('area_words', sa.column('area_code', sa.String), sa.column('word', sa.String))
    rows = bind.execute(sa.select(areas.c.code, areas.c.name).order_by(areas.c.code)).all()
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        bind.execute(areas.update().where(areas.c.code == sa.bindparam('b_code'))
                     .values(search_name=sa.bindparam('b_search_name')),
                     [{'b_code': code, 'b_search_name': ' '.join(name_words(name))[:200]} for code, name in part])
        word_rows = [{'area_code': code, 'word': word} for code, name in part for word in name_words(name)]
        if word_rows:
            bind.execute(words.insert(), word_rows)


def downgrade() -> None:
    op.drop_index('ix_area_words_word', table_name='area_words')
    op.drop_table('area_words')
    op.drop_column('areas', 'search_name')
