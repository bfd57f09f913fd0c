"""What the notifications service is, for the shared CLI, migrations and beat (entry point `minilok.services`)."""

from pathlib import Path

from minilok_shared.service import ServiceSpec

from minilok_notifications.config import get_settings
from minilok_notifications.models import metadata

spec = ServiceSpec(
    name="notifications",
    settings=get_settings,
    metadata=metadata,
    migrations=str(Path(__file__).parent / "migrations"),
    app="minilok_notifications.app:create_app",
    handlers="minilok_notifications.handlers:handlers",
    celery="minilok_notifications.tasks:celery_app",
    beat_schedule={
        "sweep-due-deliveries": {
            "task": "minilok.notifications.sweep_due_deliveries",
            "schedule": get_settings().sweep_interval_seconds,
        },
    },
)
