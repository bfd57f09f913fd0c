"""What the meetings service is, for the shared CLI, migrations and beat (entry point `minilok.services`)."""

from pathlib import Path

from minilok_shared.service import ServiceSpec

from minilok_meetings.config import get_settings
from minilok_meetings.models import metadata


def puskesmas_area(puskesmas_id: str) -> str:
    """The area code of a puskesmas, for its tokens; LookupError if there is none with that id."""
    from minilok_shared.db import make_engine, upgrade
    from sqlalchemy import select

    from minilok_meetings.models import Puskesmas

    settings = get_settings()
    if not puskesmas_id.isdigit() or int(puskesmas_id) >= 2**63:
        raise LookupError(f"no puskesmas with id {puskesmas_id!r} in the meetings database")
    upgrade(spec.migrations, settings.database_url, spec.name)
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            area = connection.scalar(select(Puskesmas.area_code).where(Puskesmas.id == int(puskesmas_id)))
    finally:
        engine.dispose()
    if area is None:
        raise LookupError(f"no puskesmas with id {puskesmas_id!r} in the meetings database")
    return area


spec = ServiceSpec(
    name="meetings",
    settings=get_settings,
    metadata=metadata,
    migrations=str(Path(__file__).parent / "migrations"),
    app="minilok_meetings.app:create_app",
    handlers="minilok_meetings.handlers:handlers",
    celery="minilok_meetings.tasks:celery_app",
    puskesmas_area="minilok_meetings.spec:puskesmas_area",
    beat_schedule={
        "scan-reminders": {
            "task": "minilok.meetings.scan_reminders",
            "schedule": get_settings().scan_interval_seconds,
            # A scan that could not start before the next one is due is dropped, not piled up.
            "options": {"expires": get_settings().scan_interval_seconds},
        },
    },
)
