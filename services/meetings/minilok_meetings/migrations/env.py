"""Alembic environment of the meetings service: its tables' metadata."""

from minilok_meetings.models import metadata
from minilok_shared.db import run_alembic_env

run_alembic_env(metadata)
