"""Celery tasks of the indicators service (`minilok worker indicators`)."""

from __future__ import annotations

import logging

from minilok_indicators.config import get_settings
from minilok_indicators.models import Area, Indicator
from minilok_indicators.targets import recheck_area_targets
from minilok_shared.celery_app import make_celery
from minilok_shared.db import make_engine, make_sessionmaker

log = logging.getLogger(__name__)

celery_app = make_celery("indicators", get_settings())

RECHECK_TASK = "indicators.recheck_targets"


@celery_app.task(name=RECHECK_TASK, ignore_result=True)
def recheck_targets(indicator_code: str, area_code: str) -> int:
    """Re-evaluate below/above target under an area after its target changed; returns the events."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            indicator, area = session.get(Indicator, indicator_code), session.get(Area, area_code)
            if indicator is None or area is None:
                return 0
            events = recheck_area_targets(session, indicator, area, settings.event_level_set())
            session.commit()
            return len(events)
    finally:
        engine.dispose()


def enqueue_recheck(indicator_code: str, area_code: str) -> None:
    """Ask a worker for the re-check; the change is committed already, so a broker outage is
    logged, not answered with an error."""
    try:
        recheck_targets.apply_async((indicator_code, area_code), retry=False)
    except Exception:
        log.exception("could not enqueue %s for %s/%s", RECHECK_TASK, indicator_code, area_code)
