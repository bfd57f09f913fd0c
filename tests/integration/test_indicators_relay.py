"""Values in through the API → `indicator.below_target` in the outbox → published to RabbitMQ by a
real `minilok relay indicators` process, as a CloudEvent that other services can parse."""

from __future__ import annotations

import os

import pika
from fastapi.testclient import TestClient
from minilok_indicators.app import create_app
from minilok_indicators.config import get_settings
from minilok_indicators.spec import spec
from minilok_shared.auth import create_token
from minilok_shared.db import upgrade
from minilok_shared.events import EXCHANGE
from minilok_shared.events.envelope import parse_event
from minilok_shared.events.outbox import declare_exchange
from support import Processes, wait_for


def test_below_target_reaches_rabbitmq(rabbitmq_url, database_url, tmp_path, monkeypatch, unique):
    url = database_url("indicators")
    monkeypatch.setenv("INDICATORS_DATABASE_URL", url)
    get_settings.cache_clear()
    upgrade(spec.migrations, url, "indicators")

    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    channel = connection.channel()
    declare_exchange(channel)
    queue = f"test-indicators-{unique}"
    channel.queue_declare(queue, exclusive=True)
    channel.queue_bind(queue, EXCHANGE, routing_key="indicator.*")

    admin = {"Authorization": f"Bearer {create_token(os.environ['MINILOK_SECRET'], 'admin')}"}
    with TestClient(create_app()) as client:
        assert client.post("/api/v1/areas/bulk", headers=admin, json=[
            {"code": "35.15", "name": "Kabupaten Sidoarjo", "level": "kota"},
            {"code": "35.15.16", "name": "Balongbendo", "level": "kecamatan", "parent_code": "35.15"},
        ]).status_code == 201
        assert client.post("/api/v1/indicators", headers=admin, json={
            "code": "IDL", "name": "Imunisasi dasar lengkap", "unit": "percent", "target": 90,
            "direction": "higher_is_better", "period_type": "monthly", "denominator_aggregation": "mean",
        }).status_code == 201
        response = client.post("/api/v1/values", headers=admin, json=[
            {"indicator_code": "IDL", "area_code": "35.15.16", "period": "2026-01", "numerator": 40,
             "denominator": 100}])
        assert response.json() == {"accepted": 1, "rejected": []}
    get_settings.cache_clear()

    processes = Processes({"INDICATORS_DATABASE_URL": url, "RABBITMQ_URL": rabbitmq_url,
                           "MINILOK_VAR_DIR": str(tmp_path)}, tmp_path)
    received = []
    try:
        processes.start("relay", "relay", "indicators")

        def two_events() -> bool:
            method, _properties, body = channel.basic_get(queue, auto_ack=True)
            if method is not None:
                received.append(parse_event(body))
            return len(received) == 2

        wait_for(two_events, 30, message=f"two events ({processes.log('relay')[-2000:]})")
    finally:
        processes.stop_all()
        connection.close()
    assert {(e["type"], e["subject"], e["source"]) for e in received} == {
        ("indicator.below_target", "35.15", "/indicators"), ("indicator.below_target", "35.15.16", "/indicators")}
    kecamatan = next(e for e in received if e["subject"] == "35.15.16")
    assert kecamatan["data"]["value"] == 40.0 and kecamatan["data"]["target"] == 90
