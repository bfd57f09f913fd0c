"""Email, WhatsApp and SMS against real local servers: aiosmtpd as the SMTP server and a fake
HTTP gateway that records requests. A follow-up event reaches each channel, in Bahasa Indonesia."""

from __future__ import annotations

import json
import uuid
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from minilok_notifications.service_layer.attempts import attempt
from minilok_notifications.service_layer.fan_out import record_event
from support import free_port
from test_notifications_support import Receiver, followup_event, notifications_client, send_test, token

ADMIN = token("admin")


class SmtpSink:
    def __init__(self):
        self.messages = []
        self.raw = []
        self.reject = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject:
            return self.reject
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.content)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


@pytest.fixture
def smtp():
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.url = f"smtp://127.0.0.1:{controller.port}"
    yield sink
    controller.stop()


@pytest.fixture
def gateway():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def client(monkeypatch, database_url, smtp, gateway):
    with notifications_client(monkeypatch, database_url("notifications", migrated=True), SMTP_URL=smtp.url,
                              WHATSAPP_GATEWAY_URL=gateway.url + "/wa", SMS_GATEWAY_URL=gateway.url + "/sms",
                              MINILOK_PUBLIC_URL="https://minilok.example") as c:
        yield c


def subscribe(client, channel, target, **extra):
    r = client.post("/api/v1/subscriptions", headers=ADMIN, json={"agency_id": 10, "event_types": ["followup.*"],
                                                                  "channel": channel, "target": target, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def deliver_event(client, event):
    """Record the event as the consumer does, then attempt each delivery as the worker does."""
    state = client.app.state
    with state.sessionmaker.begin() as session:
        ids = record_event(session, event)
    return [attempt(state.sessionmaker, state.settings, i)[0] for i in ids]


def test_followup_event_reaches_email_whatsapp_and_sms(client, smtp, gateway):
    subscribe(client, "email", "kader@example.org")
    subscribe(client, "whatsapp", "+6281234567890")
    subscribe(client, "sms", "+6281234567891")
    subscribe(client, "email", "other@example.org", agency_id=99)  # not its follow-up
    event = followup_event(str(uuid.uuid4()), type="followup.overdue", owner=10)
    event["time"] = "2026-02-23T03:00:00Z"
    assert deliver_event(client, event) == ["delivered"] * 3

    (mail,) = smtp.messages
    assert mail["To"] == "kader@example.org"
    assert mail["Subject"] == "[Minilok] Tindak lanjut terlambat: Pemberantasan sarang nyamuk"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Jumat, 20 Februari 2026 23.59 WIB (terlambat 3 hari)" in text
    assert "https://minilok.example/follow-ups/7" in html

    by_path = {r["path"]: json.loads(r["body"]) for r in gateway.requests}
    wa, sms = by_path["/hook/wa"], by_path["/hook/sms"]
    assert wa["channel"] == "whatsapp" and wa["to"] == "+6281234567890" and wa["event_id"] == event["id"]
    assert wa["text"].startswith('Minilok: RTL no. 7 "Pemberantasan sarang nyamuk" terlambat 3 hari.')
    assert sms["to"] == "+6281234567891" and all(len(p) <= 160 for p in sms["parts"]) and len(sms["parts"]) <= 2
    assert all(r["headers"]["idempotency-key"].startswith("msg_") for r in gateway.requests)


def test_english_email(client, smtp):
    subscribe(client, "email", "kader@example.org", language="en")
    assert deliver_event(client, followup_event(str(uuid.uuid4()), owner=10)) == ["delivered"]
    assert smtp.messages[0]["Subject"].startswith("[Minilok] New follow-up")


def test_smtp_rejection_fails_and_gateway_errors_retry(client, smtp, gateway):
    subscribe(client, "email", "kader@example.org")
    subscribe(client, "sms", "+6281234567891")
    smtp.reject = "550 No such user"
    gateway.script.append(503)
    statuses = deliver_event(client, followup_event(str(uuid.uuid4()), owner=10))
    assert sorted(statuses) == ["failed", "pending"]
    log = client.get("/api/v1/deliveries", headers=ADMIN).json()["items"]
    by_channel = {d["channel"]: d for d in log}
    assert by_channel["email"]["attempts"][0]["response_status"] == 550
    assert by_channel["sms"]["attempts"][0]["response_status"] == 503


def test_test_endpoint_on_email(client, smtp):
    sub = subscribe(client, "email", "kader@example.org")
    assert send_test(client, sub["id"])["status"] == "delivered"
    assert smtp.messages[0]["Subject"] == "[Minilok] Uji coba notifikasi"


def test_a_newline_or_a_long_title_still_makes_a_valid_one_line_subject(client, smtp):
    subscribe(client, "email", "kader@example.org")
    broken = followup_event(str(uuid.uuid4()), owner=10)
    broken["data"]["followup"]["title"] = "PSN serentak\nRW 03\r\nBcc: x@example.org"
    long = followup_event(str(uuid.uuid4()), owner=10)
    long["data"]["followup"]["title"] = "Pemberantasan sarang nyamuk serentak di seluruh RW " * 4
    assert deliver_event(client, broken) + deliver_event(client, long) == ["delivered", "delivered"]
    first, second = smtp.messages
    assert first["Subject"] == "[Minilok] Tindak lanjut baru: PSN serentak RW 03 Bcc: x@example.org"
    assert first["Bcc"] is None and first["To"] == "kader@example.org"
    assert second["Subject"] == "[Minilok] Tindak lanjut baru: " + " ".join(
        long["data"]["followup"]["title"].split())
    head = smtp.raw[1].split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    subject_lines = [line for line in head[head.index(next(x for x in head if x.startswith(b"Subject:"))):]
                     if line.startswith((b"Subject:", b" ", b"\t"))]
    assert len(subject_lines) > 1 and all(len(line) <= 78 for line in head)  # folded, not one overlong line
