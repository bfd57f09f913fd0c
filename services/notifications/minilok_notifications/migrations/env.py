"""Alembic environment of the notifications service: its tables' metadata."""

from minilok_notifications.models import metadata
from minilok_shared.db import run_alembic_env

run_alembic_env(metadata)
