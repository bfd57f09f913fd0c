"""Celery tasks of the indicators service (`minilok worker indicators`): the re-check after a target changed."""

from __future__ import annotations

import logging
from functools import lru_cache

from minilok_shared.celery_app import make_celery
from minilok_shared.db import make_engine, make_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from minilok_indicators.config import get_settings
from minilok_indicators.service_layer.targets import recheck_area_targets

log = logging.getLogger(__name__)

celery_app = make_celery("indicators", get_settings())

RECHECK_TASK = "minilok.indicators.recheck_targets"


@lru_cache
def _session_factory(database_url: str) -> sessionmaker[Session]:
    # Created lazily, after the worker forks: one per process, connections never shared between processes.
    return make_sessionmaker(make_engine(database_url))


@celery_app.task(name=RECHECK_TASK, ignore_result=True)
def recheck_targets(indicator_code: str, area_code: str) -> int:
    """Re-evaluate below/above target under an area after its target changed; returns the events."""
    settings = get_settings()
    with _session_factory(settings.database_url)() as session:
        events = recheck_area_targets(session, indicator_code, area_code, settings.event_level_set())
        session.commit()
        return len(events)


def enqueue_recheck(indicator_code: str, area_code: str) -> None:
    """Ask a worker for the re-check; the change is committed already, so a broker outage is
    logged, not answered with an error."""
    try:
        recheck_targets.apply_async((indicator_code, area_code), retry=False)
    except Exception:
        log.exception("could not enqueue %s for %s/%s", RECHECK_TASK, indicator_code, area_code)
