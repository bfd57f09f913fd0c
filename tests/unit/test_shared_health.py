"""Health of relays, consumers, workers and beat: heartbeat staleness, readiness answers, the
Celery bootstep's state and the settings (no I/O: clocks and connections are fakes)."""

from __future__ import annotations

import pytest
from minilok_shared.config import CommonSettings
from minilok_shared.health import Heartbeat, Probe, readiness
from sqlalchemy import create_engine


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_heartbeat_starts_fresh_ages_and_is_reset_by_a_beat():
    clock = Clock()
    heartbeat = Heartbeat(clock)
    assert heartbeat.age() == 0
    clock.advance(42.5)
    assert heartbeat.age() == 42.5
    heartbeat.beat()
    assert heartbeat.age() == 0


def test_health_is_ok_up_to_the_threshold_and_stale_beyond():
    clock = Clock()
    probe = Probe("meetings", "relay", Heartbeat(clock), stale_after=60)
    clock.advance(60)
    status, body = probe.health()
    assert status == 200
    assert body == {"status": "ok", "service": "meetings", "process": "relay", "heartbeat_age_seconds": 60,
                    "stale_after_seconds": 60}
    clock.advance(0.5)
    status, body = probe.health()
    assert status == 503 and body["status"] == "stale" and body["heartbeat_age_seconds"] == 60.5
    probe.heartbeat.beat()
    assert probe.health()[0] == 200


def test_health_never_runs_the_readiness_checks():
    def explode() -> str:
        raise AssertionError("a liveness probe must not check dependencies")

    probe = Probe("notifications", "consumer", Heartbeat(Clock()), 60, {"rabbitmq": explode})
    assert probe.health()[0] == 200


def test_waiting_on_purpose_keeps_beating():
    """A back-off of 30 s between reconnections is the loop working, not a hang."""
    clock = Clock()
    heartbeat = Heartbeat(clock)
    ages = []

    class Event:
        def wait(self, seconds):
            ages.append(heartbeat.age())
            clock.advance(seconds)
            return False

        def is_set(self):
            return False

    assert heartbeat.wait(Event(), 30) is False
    assert len(ages) == 30 and set(ages) == {0}
    assert heartbeat.age() == 0

    class SetEvent(Event):
        def wait(self, seconds):
            clock.advance(0.2)
            return True

    assert heartbeat.wait(SetEvent(), 30) is True
    assert heartbeat.age() == 0


def test_ready_names_what_fails_in_the_apis_shape():
    probe = Probe("notifications", "worker", Heartbeat(Clock()), 60,
                  {"database": lambda: "ok", "redis": lambda: "error: not connected"})
    status, body = probe.ready()
    assert status == 503
    assert body == {"status": "unavailable", "service": "notifications",
                    "checks": {"database": "ok", "redis": "error: not connected"}, "failing": ["redis"],
                    "process": "worker"}
    probe.checks["redis"] = lambda: "ok"
    assert probe.ready() == (200, {"status": "ok", "service": "notifications",
                                   "checks": {"database": "ok", "redis": "ok"}, "failing": [],
                                   "process": "worker"})


def test_a_check_that_raises_is_reported_not_propagated():
    def broken() -> str:
        raise ConnectionResetError("gone")

    status, body = Probe("beat", "beat", Heartbeat(Clock()), 60, {"redis": broken}).ready()
    assert status == 503 and body["checks"] == {"redis": "error: ConnectionResetError"}


def test_readiness_is_what_the_apis_answer():
    assert readiness("meetings", {"database": "ok", "redis": "ok", "rabbitmq": "error: AMQPConnectionError"}) == (
        503, {"status": "unavailable", "service": "meetings",
              "checks": {"database": "ok", "redis": "ok", "rabbitmq": "error: AMQPConnectionError"},
              "failing": ["rabbitmq"]})


def test_relay_reports_its_own_connection_when_leading_and_reachability_on_standby(monkeypatch):
    from minilok_shared.db import new_metadata
    from minilok_shared.events import outbox
    from minilok_shared.events.outbox import OutboxRelay, outbox_table

    probed = []
    monkeypatch.setattr(outbox, "check_rabbitmq", lambda url: probed.append(url) or "ok")
    relay = OutboxRelay(create_engine("sqlite://"), outbox_table(new_metadata()), "amqp://broker/vhost", "meetings")
    assert relay.broker_check() == "ok" and probed == ["amqp://broker/vhost"]  # standby: can it take over?
    relay.leading = True
    assert relay.broker_check() == "error: not connected yet"
    relay._disconnect("AMQPConnectionError")
    assert relay.broker_check() == "error: AMQPConnectionError"
    relay.broker_state = "ok"
    assert relay.broker_check() == "ok" and len(probed) == 1


def test_consumer_is_ready_only_while_consuming():
    from minilok_shared.db import new_metadata
    from minilok_shared.events.consumer import EventConsumer, Handlers, inbox_table

    consumer = EventConsumer("notifications", create_engine("sqlite://"), inbox_table(new_metadata()), Handlers(),
                             "amqp://broker/vhost")
    assert consumer.broker_check() == "error: not connected yet"
    consumer.ready.set()
    assert consumer.broker_check() == "ok"
    consumer._close()
    consumer._broker_error = "ProbableAccessDeniedError"
    assert consumer.broker_check() == "error: ProbableAccessDeniedError"


def test_celery_bootstep_tracks_the_connection_and_beats_on_the_workers_timer():
    from minilok_shared.celery_app import add_health_step, make_celery

    app = make_celery("health-test", CommonSettings(redis_url="redis://127.0.0.1:1/0"))
    clock = Clock()
    heartbeat = Heartbeat(clock)
    broker_check = add_health_step(app, heartbeat)
    (step_class,) = [s for s in app.steps["consumer"] if s.__name__ == "MinilokHealth"]
    assert broker_check() == "error: not connected"

    class Entry:
        cancelled = False

        def cancel(self):
            self.cancelled = True

    class Timer:
        def call_repeatedly(self, seconds, fun):
            self.seconds, self.fun, self.entry = seconds, fun, Entry()
            return self.entry

    class Consumer:
        timer = Timer()

    step = step_class(Consumer())
    clock.advance(30)
    step.start(Consumer)
    assert broker_check() == "ok" and heartbeat.age() == 0
    clock.advance(5)
    Consumer.timer.fun()  # the worker's event loop fires the timer
    assert heartbeat.age() == 0 and Consumer.timer.seconds <= 1
    step.stop(Consumer)  # connection lost: Celery restarts the consumer's steps
    assert broker_check() == "error: not connected" and Consumer.timer.entry.cancelled


def test_health_settings_are_read_only_from_their_minilok_names(monkeypatch):
    for name in ("MINILOK_HEALTH_PORT", "MINILOK_HEALTH_HOST", "MINILOK_HEALTH_STALE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HEALTH_PORT", "9999")
    monkeypatch.setenv("HEALTH_HOST", "0.0.0.0")
    settings = CommonSettings(_env_file=None)
    assert (settings.health_port, settings.health_host, settings.health_stale_seconds) == (0, "127.0.0.1", 60)
    monkeypatch.setenv("MINILOK_HEALTH_PORT", "8080")
    monkeypatch.setenv("MINILOK_HEALTH_HOST", "0.0.0.0")
    monkeypatch.setenv("MINILOK_HEALTH_STALE_SECONDS", "90")
    settings = CommonSettings(_env_file=None)
    assert (settings.health_port, settings.health_host, settings.health_stale_seconds) == (8080, "0.0.0.0", 90)


@pytest.mark.parametrize("value", ["-1", "70000"])
def test_health_port_out_of_range_is_refused(monkeypatch, value):
    monkeypatch.setenv("MINILOK_HEALTH_PORT", value)
    with pytest.raises(ValueError):
        CommonSettings(_env_file=None)
