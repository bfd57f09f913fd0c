"""What the indicators service is, for the shared CLI, migrations and beat (entry point `minilok.services`)."""

from pathlib import Path

from minilok_shared.service import ServiceSpec

from minilok_indicators.config import get_settings
from minilok_indicators.models import metadata

spec = ServiceSpec(
    name="indicators",
    settings=get_settings,
    metadata=metadata,
    migrations=str(Path(__file__).parent / "migrations"),
    app="minilok_indicators.app:create_app",
    handlers="minilok_indicators.handlers:handlers",
    celery="minilok_indicators.tasks:celery_app",
    cli="minilok_indicators.cli:cli",
)
