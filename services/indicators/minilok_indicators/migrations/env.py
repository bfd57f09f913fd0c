"""Alembic environment of the indicators service: its tables' metadata."""

from minilok_indicators.models import metadata
from minilok_shared.db import run_alembic_env

run_alembic_env(metadata)
