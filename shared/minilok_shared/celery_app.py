"""The Celery app factory: Redis broker, JSON only, tasks acknowledged after they finish and
given back to the queue if a worker dies mid-task."""

from __future__ import annotations

from celery import Celery

from minilok_shared.config import CommonSettings


def make_celery(service: str, settings: CommonSettings, include: list[str] | None = None) -> Celery:
    app = Celery(f"minilok_{service}", broker=settings.redis_url, include=include or [])
    app.conf.update(
        task_default_queue=service,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        # A task not acknowledged within this long (its worker died) is delivered again.
        broker_transport_options={"visibility_timeout": 600,
                                  **({"global_keyprefix": settings.redis_key_prefix} if settings.redis_key_prefix else {})},
        enable_utc=True,
        timezone="UTC",
    )
    return app
