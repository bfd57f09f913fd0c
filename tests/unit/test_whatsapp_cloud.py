"""WhatsApp Cloud API, without I/O: the template message each event becomes (name, language, body
parameters, the owner's "Diterima" button), parameters sanitised as Meta demands, the sign-in code as
an AUTHENTICATION template, the API's answer read, and the webhook's signature and handshake."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from minilok_notifications.channels import Message
from minilok_notifications.channels.whatsapp_cloud import (
    parameter,
    read_answer,
    read_reply_payload,
    template_name,
    template_payload,
)
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.service_layer.whatsapp_inbound import reply_payload, signature_valid, verify_subscription
from minilok_shared.action_links import read_action_token
from whatsapp_cloud_fake import button_reply, problems

SECRET = "unit-test-secret-of-at-least-32-bytes-long"
DUE = datetime(2027, 5, 20, 15, 59, 59, tzinfo=UTC)
BASE = "https://minilok.example.go.id"


def event(type_="followup.overdue", owner=10, status="open", title="PSN serentak RW 03"):
    return {"id": "e1", "type": type_, "time": "2027-05-22T03:00:00Z",
            "data": {"followup": {"id": 7, "title": title, "action": "Abatisasi", "owner_agency_id": owner,
                                  "supporting_agency_ids": [11], "due_at": DUE.isoformat(), "status": status,
                                  "escalation_level": 1, "owner_agency_name": "Kelurahan Baloi",
                                  "puskesmas_name": "Puskesmas Baloi Permai", "timezone": "Asia/Makassar"}}}


def message(ev, agency_id=10, language="id"):
    return Message(delivery_id=1, message_id="m1", subscription_id=1, channel="whatsapp", target="+6281234567890",
                   language=language, timezone="Asia/Jakarta", body=json.dumps(ev), agency_id=agency_id)


def settings(**extra):
    return NotificationsSettings(MINILOK_SECRET=SECRET, MINILOK_PUBLIC_URL=BASE, WHATSAPP_GATEWAY_FORMAT="cloud_api",
                                 **extra)


def texts(payload):
    body = next(c for c in payload["template"]["components"] if c["type"] == "body")
    return [p["text"] for p in body["parameters"]]


def test_overdue_to_the_owner_is_its_template_with_an_acknowledge_button_carrying_our_token():
    payload = template_payload(message(event()), settings(), "teks pendek")
    assert problems(payload) == []
    assert payload["to"] == "6281234567890" and payload["type"] == "template"
    template = payload["template"]
    assert template["name"] == "minilok_followup_overdue" and template["language"] == {"code": "id"}
    # The puskesmas's own time (WITA), the words the texts use; the link is a button's.
    assert texts(payload) == ["PSN serentak RW 03 (RTL no. 7)", "Puskesmas Baloi Permai",
                              "Kamis, 20 Mei 2027 23.59 WITA"]
    button, link_button = template["components"][1:]
    assert (button["type"], button["sub_type"], button["index"]) == ("button", "quick_reply", "0")
    action, token = read_reply_payload(button["parameters"][0]["payload"])
    claim = read_action_token(SECRET, token)
    assert (action, claim.followup_id, claim.agency_id) == ("acknowledge", 7, 10)
    assert len(button["parameters"][0]["payload"]) <= 256  # Meta's limit for a quick-reply payload
    # The template's URL is {MINILOK_PUBLIC_URL}/a/{{1}}: the suffix is the action link's token.
    assert (link_button["sub_type"], link_button["index"]) == ("url", "1")
    assert link_button["parameters"] == [{"type": "text", "text": token}]


def test_english_subscription_gets_the_english_template_and_words():
    payload = template_payload(message(event(), language="en"), settings(), "short")
    assert payload["template"]["language"] == {"code": "en"}
    assert texts(payload)[2] == "Thursday, 20 May 2027 23:59 WITA"


@pytest.mark.parametrize("agency_id, status", [(11, "open"), (10, "done")])
def test_not_the_owner_or_nothing_to_act_on_gets_the_update_template_without_buttons(agency_id, status):
    payload = template_payload(message(event(status=status), agency_id=agency_id), settings(), "x")
    assert problems(payload) == []
    assert payload["template"]["name"] == "minilok_followup_update"
    assert [c["type"] for c in payload["template"]["components"]] == ["body"]
    headline, title, puskesmas, status_word, due, page = texts(payload)
    assert headline == "Tindak lanjut terlambat"
    assert status_word == {"open": "Terbuka", "done": "Selesai"}[status]
    assert page == f"{BASE}/follow-ups/7" and "/a/" not in json.dumps(payload)


def test_meeting_and_other_events_have_their_templates():
    meeting = {"id": "m", "type": "meeting.scheduled", "data": {"meeting": {
        "id": 3, "title": "Lokmin bulanan", "puskesmas_name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta",
        "scheduled_at": "2027-05-20T02:00:00Z", "location": "Aula Kecamatan"}}}
    payload = template_payload(message(meeting), settings(), "x")
    assert payload["template"]["name"] == "minilok_meeting_update" and problems(payload) == []
    assert texts(payload)[3] == "Kamis, 20 Mei 2027 09.00 WIB" and texts(payload)[4] == "Aula Kecamatan"
    other = template_payload(message({"id": "i", "type": "indicator.below_target", "data": {}}), settings(),
                             "Indikator K1 di bawah target")
    assert other["template"]["name"] == "minilok_notice" and texts(other) == ["Indikator K1 di bawah target"]


def test_template_names_are_settings_per_event_type(monkeypatch):
    monkeypatch.setenv("WHATSAPP_TEMPLATES", json.dumps({"followup.overdue": "rtl_terlambat_v2",
                                                        "followup.completed": "rtl_selesai", "other": "umum"}))
    custom = settings()
    monkeypatch.delenv("WHATSAPP_TEMPLATES")
    assert template_name("followup.overdue", True, custom) == "rtl_terlambat_v2"
    assert template_name("followup.overdue", False, custom) == "minilok_followup_update"
    assert template_name("followup.completed", False, custom) == "rtl_selesai"
    assert template_name("indicator.recovered", False, custom) == "umum"
    assert template_name("meeting.cancelled", False, settings()) == "minilok_meeting_update"


@pytest.mark.parametrize("raw, sent", [
    ("Rapat\nlintas\tsektor", "Rapat lintas sektor"),
    ("banyak     spasi", "banyak spasi"),
    ("  ", "-"),
    (None, "-"),
    ("\x00kontrol\x1b", "kontrol"),
])
def test_parameters_are_one_line_never_empty(raw, sent):
    assert parameter(raw) == {"type": "text", "text": sent}


def test_a_title_with_newlines_and_a_long_one_still_pass_metas_checks():
    payload = template_payload(message(event(title="Baris satu\n\nBaris    dua\t" + "x" * 2000)), settings(), "x")
    assert problems(payload) == []
    assert len(texts(payload)[0]) <= 300 and texts(payload)[0].startswith("Baris satu Baris dua")


def test_sign_in_code_is_an_authentication_template_with_copy_code_button():
    direct = {"id": "d1", "type": "auth.code_requested", "data": {"code": "482913"}}
    payload = template_payload(message(direct, agency_id=None), settings(), "Kode masuk Minilok Anda: 482913")
    assert problems(payload) == []
    template = payload["template"]
    assert template["name"] == "minilok_sign_in_code"
    assert template["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "482913"}]}]


def test_answers_read_wamid_errors_and_throttling():
    assert read_answer(200, {"messages": [{"id": "wamid.ABC"}]}) == ("wamid.ABC", None, False)
    assert read_answer(200, {"messages": []}) == (None, None, False)
    assert read_answer(400, {"error": {"code": 132000, "message": "Number of parameters does not match",
                                       "error_data": {"details": "body: 3 expected"}}}) == \
        (None, "WhatsApp 132000: Number of parameters does not match (body: 3 expected)", False)
    assert read_answer(400, {"error": {"code": 130429, "message": "Rate limit hit"}})[2] is True
    assert read_answer(502, "<html>") == (None, None, False)


@pytest.mark.parametrize("payload", ["", "ack", "ack:", "halo", "done:abc", "Diterima"])
def test_payloads_not_ours_are_not_replies(payload):
    assert read_reply_payload(payload) is None


def test_reply_payload_from_template_button_and_interactive_reply():
    message_ = button_reply("ack:TOKEN", wamid="wamid.X")["entry"][0]["changes"][0]["value"]["messages"][0]
    assert reply_payload(message_) == "ack:TOKEN"
    tapped = {"type": "button_reply", "button_reply": {"id": "ack:T", "title": "Diterima"}}
    assert reply_payload({"type": "interactive", "interactive": tapped}) == "ack:T"
    assert reply_payload({"type": "text", "text": {"body": "ack:T"}}) is None
    assert reply_payload({"type": "button", "button": "ack:T"}) is None


def test_signature_is_hmac_sha256_of_the_raw_body_with_the_app_secret():
    raw = b'{"entry": []}'
    good = "sha256=" + hmac.new(b"app-secret", raw, hashlib.sha256).hexdigest()
    assert signature_valid("app-secret", raw, good)
    assert signature_valid("app-secret", raw, good.upper().replace("SHA256=", "sha256="))
    assert not signature_valid("app-secret", raw + b" ", good)
    assert not signature_valid("other-secret", raw, good)
    assert not signature_valid("app-secret", raw, good.removeprefix("sha256="))
    assert not signature_valid("app-secret", raw, None)
    assert not signature_valid("", raw, "sha256=" + hmac.new(b"", raw, hashlib.sha256).hexdigest())


def test_verify_handshake_needs_our_token_and_one_set():
    assert verify_subscription(settings(WHATSAPP_VERIFY_TOKEN="verify-me"), "subscribe", "verify-me")
    assert not verify_subscription(settings(WHATSAPP_VERIFY_TOKEN="verify-me"), "subscribe", "other")
    assert not verify_subscription(settings(WHATSAPP_VERIFY_TOKEN="verify-me"), "unsubscribe", "verify-me")
    assert not verify_subscription(settings(), "subscribe", "")
    assert not verify_subscription(settings(WHATSAPP_VERIFY_TOKEN="verify-me"), "subscribe", None)
