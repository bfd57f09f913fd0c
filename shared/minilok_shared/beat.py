"""One Celery beat for the whole system: it merges each installed service's schedule and sends
every task by name to that service's queue, so it imports no service code."""

from __future__ import annotations

from minilok_shared.celery_app import make_celery
from minilok_shared.config import CommonSettings
from minilok_shared.service import all_services


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
    return app, settings
