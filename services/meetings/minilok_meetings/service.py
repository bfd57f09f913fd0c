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
    handlers="minilok_meetings.handlers:handlers",
    celery="minilok_meetings.tasks:celery_app",
    beat_schedule={
        "scan-reminders": {
            "task": "meetings.scan_reminders",
            "schedule": get_settings().scan_interval_seconds,
            # A scan that could not start before the next one is due is dropped, not piled up.
            "options": {"expires": get_settings().scan_interval_seconds},
        },
    },
)
