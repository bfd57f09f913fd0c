"""One Celery beat for the whole system: it merges each installed service's schedule and sends
every task by name to that service's queue, so it imports no service code."""

from __future__ import annotations

from celery.beat import PersistentScheduler

from minilok_shared.celery_app import make_celery
from minilok_shared.config import CommonSettings
from minilok_shared.health import Heartbeat
from minilok_shared.service import all_services

# Beat's main loop ticks at least this often, so that its heartbeat says whether it is alive.
MAX_LOOP_SECONDS = 10.0

# Beaten by every tick of the one beat of this process; read by the health endpoint.
HEARTBEAT = Heartbeat()


class MinilokScheduler(PersistentScheduler):
    """Celery's default scheduler, beating `HEARTBEAT` around each tick. A tick that cannot reach
    Redis blocks while Celery retries the connection, so the heartbeat goes stale."""

    def tick(self, *args, **kwargs):
        HEARTBEAT.beat()
        try:
            return super().tick(*args, **kwargs)
        finally:
            HEARTBEAT.beat()


def build_beat_app():
    settings = CommonSettings()
    app = make_celery("beat", settings)
    schedule = {}
    for name, spec in all_services().items():
        for entry_name, entry in spec.beat_schedule.items():
            entry = dict(entry)
            entry.setdefault("options", {}).setdefault("queue", name)
            schedule[f"{name}.{entry_name}"] = entry
    app.conf.beat_schedule = schedule
    app.conf.beat_scheduler = f"{__name__}:MinilokScheduler"
    app.conf.beat_max_loop_interval = MAX_LOOP_SECONDS
    return app, settings
