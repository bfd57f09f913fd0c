"""The Celery app factory: Redis broker, JSON only, tasks acknowledged after they finish and
given back to the queue if a worker dies mid-task."""

from __future__ import annotations

from collections.abc import Callable

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
        broker_transport_options={
            "visibility_timeout": 600,
            **({"global_keyprefix": settings.redis_key_prefix} if settings.redis_key_prefix else {})},
        enable_utc=True,
        timezone="UTC",
    )
    return app


def add_health_step(app: Celery, heartbeat) -> Callable[[], str]:
    """Feed the health endpoint from the worker's main process: a consumer bootstep that starts
    once the worker consumes from Redis and stops when that connection is lost (Celery then
    reconnects and starts it again). While it runs, the worker's timer beats `heartbeat` every
    second: with the default prefork pool that timer is driven by the consumer's event loop, so
    the beats stop when the loop hangs or while the worker is cut off from Redis. Returns the
    /ready check of the broker."""
    from celery import bootsteps

    state = {"connected": False}

    class MinilokHealth(bootsteps.StartStopStep):
        requires = ("celery.worker.consumer.tasks:Tasks",)

        def __init__(self, parent, **kwargs):
            super().__init__(parent, **kwargs)
            self.tref = None

        def start(self, c):
            state["connected"] = True
            heartbeat.beat()
            self.tref = c.timer.call_repeatedly(1.0, heartbeat.beat)

        def stop(self, c):
            state["connected"] = False
            if self.tref is not None:
                self.tref.cancel()
                self.tref = None

        shutdown = stop

    app.steps["consumer"].add(MinilokHealth)
    return lambda: "ok" if state["connected"] else "error: not connected"
