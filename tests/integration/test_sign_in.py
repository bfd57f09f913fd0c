"""Sign-in by one-time code against the real apps and databases: `POST /auth/code` answers 202
for anyone and sends only to known contacts; the code leaves meetings sealed in an
`auth.code_requested` outbox event, which the notifications handler turns into a direct message
that `send_direct` delivers to a fake WhatsApp/SMS gateway (a real local HTTP server) or an SMTP
sink; `POST /auth/verify` trades it once for a token of the contact's agency (agency, puskesmas
or dinas); wrong, used and expired codes answer 401, five wrong ones 429; no code in clear in
either database."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import timedelta

import jwt
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from minilok_meetings import models as meetings_models
from minilok_meetings.domain.sign_in import ANSWER_AFTER
from minilok_meetings.service_layer.sign_in import SEALED_CODES
from minilok_notifications import models as notifications_models
from minilok_notifications.handlers import handlers as notification_handlers
from minilok_notifications.service_layer.direct_messages import due_direct_messages, send_direct
from minilok_shared.db import utcnow
from minilok_shared.events.consumer import HandlerContext
from sqlalchemy import select, update
from support import free_port
from test_notifications_channels import SmtpSink
from test_notifications_support import Receiver

PHONE, PHONE_AS_WRITTEN = "+6281234561234", "0812-3456-1234"
HEAD_PHONE, DINAS_EMAIL = "+6281300001111", "sie.p2p@dinkes.batam.go.id"


@pytest.fixture
def gateway():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp():
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.url = f"smtp://127.0.0.1:{controller.port}"
    yield sink
    controller.stop()


class World:
    def __init__(self, meetings, notifications):
        self.meetings, self.notifications = meetings, notifications
        api = meetings
        self.puskesmas = api.post("/api/v1/puskesmas", json={
            "code": "P2171060201", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta",
            "area_code": "21.71.06", "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}).json()
        pid = self.puskesmas["id"]
        self.babinsa = self.agency("Babinsa Baloi Permai", "babinsa", puskesmas_id=pid,
                                   contacts=[{"name": "Serda Budi", "phone": PHONE_AS_WRITTEN}])
        self.own = self.agency("Puskesmas Baloi Permai", "puskesmas", puskesmas_id=pid,
                               contacts=[{"name": "dr. Sari", "role": "Kepala", "phone": HEAD_PHONE}])
        self.dinas = self.agency("Dinas Kesehatan Kota Batam", "dinas_kesehatan", area_code="21.71",
                                 contacts=[{"name": "Sie P2P", "email": "Sie.P2P@Dinkes.Batam.go.id"}])

    def agency(self, name, kind, **fields) -> dict:
        r = self.meetings.post("/api/v1/agencies", json={"name": name, "kind": kind, **fields})
        assert r.status_code == 201, r.text
        return r.json()

    def ask(self, **contact):
        return self.meetings.client.post("/api/v1/auth/code", json=contact)

    def verify(self, code: str, **contact):
        return self.meetings.client.post("/api/v1/auth/verify", json={**contact, "code": code})

    @property
    def meetings_db(self):
        return self.meetings.client.app.state.sessionmaker

    @property
    def notifications_state(self):
        return self.notifications.client.app.state

    def code_events(self) -> list[dict]:
        with self.meetings_db() as session:
            bodies = session.scalars(select(meetings_models.outbox.c.body)
                                     .where(meetings_models.outbox.c.type == "auth.code_requested")
                                     .order_by(meetings_models.outbox.c.id)).all()
        return [json.loads(b) for b in bodies]

    def code_of(self, event: dict) -> str:
        return SEALED_CODES.decrypt(self.meetings.secret, event["data"]["code_sealed"])

    def latest_code(self) -> str:
        return self.code_of(self.code_events()[-1])

    def consume(self, event: dict) -> list:
        """What `minilok consume notifications` does with the event: every handler bound to its type,
        in one transaction, then what they queue after the commit."""
        state = self.notifications_state
        ctx = HandlerContext(state.sessionmaker(), event)
        with ctx.session.begin():
            for handler in notification_handlers.for_type(event["type"]):
                handler(ctx)
        ctx.session.close()
        with state.sessionmaker() as session:
            return list(session.scalars(select(notifications_models.DirectMessage)
                                        .where(notifications_models.DirectMessage.event_id == event["id"])))

    def send(self, message_id: int):
        state = self.notifications_state
        return send_direct(state.sessionmaker, state.settings, message_id)


@pytest.fixture
def world(service_api, monkeypatch, gateway, smtp):
    monkeypatch.setenv("WHATSAPP_GATEWAY_URL", gateway.url + "/wa")
    monkeypatch.setenv("SMS_GATEWAY_URL", gateway.url + "/sms")
    monkeypatch.setenv("SMTP_URL", smtp.url)
    return World(service_api("meetings"), service_api("notifications"))


def test_unknown_contact_gets_202_and_nothing_is_sent(world):
    for contact in ({"phone": "081299998888"}, {"email": "nobody@example.org"}):
        started = time.monotonic()
        r = world.ask(**contact)
        assert r.status_code == 202 and r.json() == {"sent": True}
        # Answered no sooner than a known contact's (which sends): the time tells nothing either.
        assert time.monotonic() - started >= ANSWER_AFTER.total_seconds()
    assert world.code_events() == []
    with world.meetings_db() as session:
        assert session.scalars(select(meetings_models.SignInCode)).all() == []
    assert world.verify("123456", phone="081299998888").status_code == 401


def test_a_known_phone_gets_its_code_over_whatsapp_sealed_on_the_way(world, gateway):
    started = time.monotonic()
    r = world.ask(phone="+62 812 3456 1234")
    assert r.status_code == 202 and r.json() == {"sent": True}
    assert time.monotonic() - started >= ANSWER_AFTER.total_seconds()
    (event,) = world.code_events()
    assert event["type"] == "auth.code_requested" and event["source"] == "/meetings"
    data = event["data"]
    assert data["channel"] == "phone" and data["target"] == PHONE and data["language"] == "id"
    code = world.code_of(event)
    assert re.fullmatch(r"[0-9]{6}", code)
    assert code not in json.dumps(event)  # sealed: not in the event, not in its outbox row

    # The notifications service: only its direct-message handler hears auth.* (never fan_out).
    assert [h.__name__ for h in notification_handlers.for_type("auth.code_requested")] == ["send_sign_in_code"]
    (message,) = world.consume(event)
    assert (message.channel, message.target, message.status) == ("whatsapp", PHONE, "pending")
    assert world.consume(event)[0].id == message.id  # a redelivered event: still one message
    with world.notifications_state.sessionmaker() as session:
        assert session.scalars(select(notifications_models.Delivery)).all() == []
    assert world.send(message.id) == ("sent", None)
    (request,) = gateway.requests
    sent = json.loads(request["body"])
    assert request["path"].endswith("/wa") and sent["channel"] == "whatsapp" and sent["to"] == PHONE
    assert sent["text"] == (f"Kode masuk Minilok Anda: {code}. Berlaku 10 menit. "
                            "Jangan berikan kode ini kepada siapa pun.")
    assert world.send(message.id) == ("skipped", None)  # sent once
    assert len(gateway.requests) == 1

    # No code in clear in either database: the code's row holds its HMAC, the message its seal.
    with world.meetings_db() as session:
        (row,) = session.scalars(select(meetings_models.SignInCode)).all()
        outbox = session.execute(select(meetings_models.outbox)).all()
    assert code not in row.code_hash and len(row.code_hash) == 64 and row.contact_key == PHONE
    assert all(code not in r.body for r in outbox)
    with world.notifications_state.sessionmaker() as session:
        (stored,) = session.scalars(select(notifications_models.DirectMessage)).all()
        inbox = session.execute(select(notifications_models.inbox)).all()
    assert code not in stored.payload_sealed and code not in json.dumps(stored.attempts)
    assert all(code not in str(tuple(r)) for r in inbox)

    r = world.verify(code, phone=PHONE_AS_WRITTEN)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["role"] == "agency" and body["agency_id"] == world.babinsa["id"] and "puskesmas_id" not in body
    claims = jwt.decode(body["token"], world.meetings.secret, algorithms=["HS256"], issuer="minilok")
    assert claims["sub"] == f"contact:{world.babinsa['contacts'][0]['id']}"
    assert timedelta(days=29) < timedelta(seconds=claims["exp"] - claims["iat"]) <= timedelta(days=30)
    # The token opens the agency's own data.
    auth = {"Authorization": f"Bearer {body['token']}"}
    assert world.meetings.client.get(f"/api/v1/agencies/{world.babinsa['id']}", headers=auth).status_code == 200
    # Once only.
    assert world.verify(code, phone=PHONE).status_code == 401


def test_sms_without_a_whatsapp_gateway_and_email_for_an_email(world, gateway, smtp, monkeypatch):
    world.ask(email="SIE.P2P@dinkes.batam.go.id")
    (event,) = world.code_events()
    assert event["data"]["channel"] == "email" and event["data"]["target"] == DINAS_EMAIL
    (message,) = world.consume(event)
    assert message.channel == "email"
    assert world.send(message.id)[0] == "sent"
    (mail,) = smtp.messages
    assert mail["To"] == DINAS_EMAIL and mail["Subject"] == "[Minilok] Kode masuk Anda"
    assert f"Kode masuk Minilok Anda: {world.code_of(event)}." in mail.get_body(("plain",)).get_content()

    settings = world.notifications_state.settings
    monkeypatch.setattr(settings, "whatsapp_gateway_url", "")
    world.ask(phone=HEAD_PHONE)
    (message,) = world.consume(world.code_events()[-1])
    assert message.channel == "sms"
    assert world.send(message.id)[0] == "sent"
    sent = json.loads(gateway.requests[-1]["body"])
    assert gateway.requests[-1]["path"].endswith("/sms") and sent["to"] == HEAD_PHONE
    assert world.latest_code() in sent["text"] and sent["parts"]


def test_a_failing_gateway_is_retried_until_the_code_expires(world, gateway):
    gateway.script.extend([503, 500])
    world.ask(phone=PHONE)
    (message,) = world.consume(world.code_events()[-1])
    status, delay = world.send(message.id)
    assert (status, delay) == ("pending", 2)
    assert world.send(message.id) == ("skipped", None)  # not due yet

    DirectMessage = notifications_models.DirectMessage
    with world.notifications_state.sessionmaker() as session:  # what the sweep would queue: nothing yet
        assert due_direct_messages(session, utcnow()) == []
    with world.notifications_state.sessionmaker.begin() as session:  # the 2 s have passed
        session.execute(update(DirectMessage).values(next_attempt_at=utcnow()))
    with world.notifications_state.sessionmaker() as session:  # a lost countdown task: the sweep has it
        assert due_direct_messages(session, utcnow()) == [message.id]
    assert world.send(message.id) == ("pending", 5)
    with world.notifications_state.sessionmaker.begin() as session:
        session.execute(update(DirectMessage).values(next_attempt_at=utcnow()))
    assert world.send(message.id) == ("sent", None)
    assert len(gateway.requests) == 3

    # A message whose code has expired is never sent.
    world.ask(phone=HEAD_PHONE)
    (late,) = world.consume(world.code_events()[-1])
    with world.notifications_state.sessionmaker.begin() as session:
        session.execute(update(DirectMessage).where(DirectMessage.id == late.id)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert world.send(late.id) == ("failed", None)
    assert len(gateway.requests) == 3


def test_a_puskesmas_contact_signs_in_as_its_puskesmas_and_a_dinas_contact_as_dinas(world):
    world.ask(phone="0813 0000 1111")
    r = world.verify(world.latest_code(), phone=HEAD_PHONE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["role"], body["puskesmas_id"], body["area_code"]) == ("puskesmas", world.puskesmas["id"], "21.71.06")
    assert "agency_id" not in body
    claims = jwt.decode(body["token"], world.meetings.secret, algorithms=["HS256"], issuer="minilok")
    assert timedelta(seconds=claims["exp"] - claims["iat"]) == timedelta(hours=12)
    auth = {"Authorization": f"Bearer {body['token']}"}
    assert world.meetings.client.get(f"/api/v1/puskesmas/{world.puskesmas['id']}", headers=auth).status_code == 200

    world.ask(email=DINAS_EMAIL)
    r = world.verify(world.latest_code(), email="Sie.P2P@dinkes.batam.go.id")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["role"], body["agency_id"], body["area_code"]) == ("dinas", world.dinas["id"], "21.71")


def test_wrong_expired_and_replaced_codes_are_401(world):
    world.ask(phone=PHONE)
    first = world.latest_code()
    wrong = f"{(int(first) + 1) % 10**6:06d}"
    r = world.verify(wrong, phone=PHONE)
    assert r.status_code == 401 and "Kode salah" in r.json()["detail"]
    world.ask(phone=PHONE)
    second = world.latest_code()
    if second != first:  # one in a million they are equal
        assert world.verify(first, phone=PHONE).status_code == 401  # the newer code replaced it
    with world.meetings_db.begin() as session:
        session.execute(update(meetings_models.SignInCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert world.verify(second, phone=PHONE).status_code == 401  # expired


def test_five_wrong_codes_lock_the_contact_even_for_the_right_code(world):
    world.ask(phone=PHONE)
    code = world.latest_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert [world.verify(wrong, phone=PHONE).status_code for _ in range(5)] == [401] * 5
    r = world.verify(code, phone="0812 3456 1234")
    assert r.status_code == 429
    assert 890 <= int(r.headers["retry-after"]) <= 900 and "15 menit" in r.json()["detail"]
    # Another contact is not locked.
    world.ask(phone=HEAD_PHONE)
    assert world.verify(world.latest_code(), phone=HEAD_PHONE).status_code == 200
    # Fifteen minutes later the failures have aged out and the (still valid) code works.
    Failure = meetings_models.SignInFailure
    with world.meetings_db.begin() as session:
        session.execute(update(Failure).values(at=utcnow() - timedelta(minutes=15)))
    assert world.verify(code, phone=PHONE).status_code == 200


def test_at_most_three_codes_per_contact_are_sent_in_fifteen_minutes(world):
    assert [world.ask(phone=PHONE).status_code for _ in range(5)] == [202] * 5
    assert len(world.code_events()) == 3
    # The last code sent still works (an unsent request did not replace it).
    assert world.verify(world.latest_code(), phone=PHONE).status_code == 200


def test_contacts_shared_by_agencies_sign_in_as_the_first(world):
    later = world.agency("Koramil 02/Batam Kota", "koramil", puskesmas_id=world.puskesmas["id"],
                         contacts=[{"name": "Serda Budi", "phone": PHONE}])
    assert later["id"] > world.babinsa["id"]
    world.ask(phone=PHONE)
    assert world.verify(world.latest_code(), phone=PHONE).json()["agency_id"] == world.babinsa["id"]


def test_bad_input_is_422_naming_the_field(world):
    r = world.ask(phone="0812")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "phone"]
    r = world.ask(email="not-an-email")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "email"]
    assert world.ask(phone=PHONE, email=DINAS_EMAIL).status_code == 422
    r = world.verify("12ab56", phone=PHONE)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "code"]


def test_a_retried_verify_with_its_idempotency_key_answers_the_same_token(world):
    world.ask(phone=PHONE)
    body = {"phone": PHONE, "code": world.latest_code()}
    key = {"Idempotency-Key": "verify-once-1"}
    first = world.meetings.client.post("/api/v1/auth/verify", json=body, headers=key)
    again = world.meetings.client.post("/api/v1/auth/verify", json=body, headers=key)
    assert first.status_code == again.status_code == 200
    assert first.json()["token"] == again.json()["token"] and again.headers.get("idempotent-replayed") == "true"
    with world.meetings_db() as session:
        assert session.scalars(select(meetings_models.SignInFailure)).all() == []


def test_the_sign_in_routes_are_rate_limited_per_client_address(service_api, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "3")
    app = service_api("meetings").client.app
    # A client address of its own (the budget is per address, and this run's other tests share one).
    client = TestClient(app, client=(f"10.{uuid.uuid4().int % 250}.7.{uuid.uuid4().int % 250}", 50000))
    # Seven requests within at most two clock minutes: one minute holds four of them.
    codes = [client.post("/api/v1/auth/code", json={"phone": "081299998888"}).status_code for _ in range(7)]
    assert codes[0] == 202 and 429 in codes and set(codes) == {202, 429}
    other = TestClient(app, client=("192.0.2.77", 50000))
    assert other.post("/api/v1/auth/code", json={"phone": "081299998888"}).status_code == 202


def test_the_dashboard_signs_in_by_code(world):
    web = TestClient(world.meetings.client.app, follow_redirects=False)
    page = web.get("/login")
    assert page.status_code == 200
    for needed in ('id="contact"', 'inputmode="email"', "Kirim kode", "Masuk dengan token (admin &amp; integrasi)"):
        assert needed in page.text
    r = web.post("/login/code", data={"contact": PHONE_AS_WRITTEN, "next": "/board"})
    assert r.status_code == 200
    assert "Masukkan 6 digit kode yang kami kirim ke" in r.text and "0812-xxxx-1234" in r.text
    assert 'autocomplete="one-time-code"' in r.text and 'inputmode="numeric"' in r.text
    assert "Kirim ulang kode" in r.text and "Ganti nomor" in r.text
    code = world.latest_code()

    wrong = web.post("/login/verify", data={"contact": PHONE_AS_WRITTEN, "code": f"{(int(code) + 1) % 10**6:06d}"})
    assert wrong.status_code == 401 and "Kode salah atau sudah kedaluwarsa" in wrong.text
    bad = web.post("/login/verify", data={"contact": PHONE_AS_WRITTEN, "code": "12"})
    assert bad.status_code == 422 and "6 angka" in bad.text
    foreign = web.post("/login/verify", data={"contact": PHONE_AS_WRITTEN, "code": code},
                       headers={"origin": "https://evil.example"})
    assert foreign.status_code == 403
    # As the form sends it, with its idempotency key: a double tap answers the same sign-in.
    form = {"contact": PHONE_AS_WRITTEN, "code": code[:3] + " " + code[3:], "next": "/board",
            "idempotency_key": "verify-form-1"}
    r = web.post("/login/verify", data=form)
    assert r.status_code == 303 and r.headers["location"] == "/board"
    again = TestClient(world.meetings.client.app, follow_redirects=False).post("/login/verify", data=form)
    assert again.status_code == 303 and again.headers["set-cookie"] == r.headers["set-cookie"]
    assert web.get("/board").status_code == 200  # the session holds the agency's token

    # Someone reading the dashboard in English gets the code's text in English too.
    english = TestClient(world.meetings.client.app, follow_redirects=False, cookies={"minilok_lang": "en"})
    assert "Enter the 6-digit code we sent to" in english.post("/login/code", data={"contact": DINAS_EMAIL}).text
    assert world.code_events()[-1]["data"]["language"] == "en"

    other = TestClient(world.meetings.client.app, follow_redirects=False)
    assert other.post("/login/code", data={"contact": "bukan nomor"}).status_code == 422
    other.post("/login/code", data={"contact": HEAD_PHONE})
    for _ in range(5):
        other.post("/login/verify", data={"contact": HEAD_PHONE, "code": "000000"})
    locked = other.post("/login/verify", data={"contact": HEAD_PHONE, "code": world.latest_code()})
    assert locked.status_code == 429 and "Coba lagi dalam 15 menit" in locked.text
