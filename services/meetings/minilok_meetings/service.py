from pathlib import Path

from minilok_meetings.config import get_settings
from minilok_meetings.models import metadata
from minilok_shared.service import ServiceSpec

spec = ServiceSpec(
    name="meetings",
    settings=get_settings,
    metadata=metadata,
    migrations=str(Path(__file__).parent / "migrations"),
    app="minilok_meetings.app:create_app",
)
