"""idempotency keys (a repeated POST answers its first response) and revoked tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:00:00
"""
from minilok_shared.migrations import create_security_tables, drop_security_tables

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_security_tables()


def downgrade() -> None:
    drop_security_tables()
