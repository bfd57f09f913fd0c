"""`minilok consume indicators` as a real process: followup.completed is recorded once, however
often RabbitMQ delivers it."""

from __future__ import annotations

import pika
from minilok_indicators.models import FollowUpCompletion, inbox
from minilok_shared.events import EXCHANGE
from minilok_shared.events.envelope import CONTENT_TYPE, dumps, new_event
from minilok_shared.events.outbox import declare_exchange
from sqlalchemy import create_engine, func, select
from support import Processes, wait_for


def completed_event() -> dict:
    followup = {
        "id": 42, "meeting_id": 3, "puskesmas_id": 1, "title": "Pelacakan kontak erat TB di RT 05",
        "action": "Kunjungan rumah", "owner_agency_id": 9, "supporting_agency_ids": [10],
        "due_at": "2026-03-31T23:59:59+08:00", "status": "done", "escalation_level": 0,
        "area_code": "64.71.02.1003", "indicator_code": "TB_CNR",
    }
    return new_event("followup.completed", "/meetings", 42, {"followup": followup, "previous_status": "in_progress"},
                     puskesmasid=1, ownerid=9)


def publish(url: str, event: dict) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    declare_exchange(channel)
    channel.basic_publish(EXCHANGE, event["type"], dumps(event),
                          pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=2, message_id=event["id"]))
    connection.close()


def queue_ready(url: str, queue: str) -> bool:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        connection.channel().queue_declare(queue, passive=True)
        return True
    except pika.exceptions.ChannelClosedByBroker:
        return False
    finally:
        if connection.is_open:
            connection.close()


def test_followup_completed_is_recorded_exactly_once(rabbitmq_url, database_url, tmp_path):
    db_url = database_url("indicators")
    processes = Processes({"INDICATORS_DATABASE_URL": db_url, "RABBITMQ_URL": rabbitmq_url,
                           "MINILOK_VAR_DIR": str(tmp_path)}, tmp_path)
    engine = create_engine(db_url)
    try:
        processes.start("consumer", "consume", "indicators")
        wait_for(lambda: queue_ready(rabbitmq_url, "minilok.indicators"), 30,
                 message=f"the indicators queue ({processes.log('consumer')[-2000:]})")
        event = completed_event()
        publish(rabbitmq_url, event)
        publish(rabbitmq_url, event)

        def handled_twice() -> bool:
            return "followup.completed duplicate" in processes.log("consumer")

        wait_for(handled_twice, 30, message=f"the duplicate to be dropped ({processes.log('consumer')[-2000:]})")
        with engine.connect() as conn:
            rows = conn.execute(select(FollowUpCompletion.__table__)).all()
            inbox_rows = conn.execute(select(func.count()).select_from(inbox)).scalar()
        assert len(rows) == 1
        row = rows[0]
        assert (row.followup_id, row.puskesmas_id, row.area_code, row.indicator_code, row.event_id) == (
            "42", "1", "64.71.02.1003", "TB_CNR", event["id"])
        assert row.completed_at is not None
        assert inbox_rows == 1
    finally:
        processes.stop_all()
        engine.dispose()
