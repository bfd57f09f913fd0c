"""Action links: who gets one (the owning agency, about its active follow-up, when asked to act),
what its token says (that follow-up and agency) and how long it lasts (30 days after the due time)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from minilok_notifications.channels import Message
from minilok_notifications.channels.messages import action_link, render_message, sms_parts
from minilok_notifications.config import NotificationsSettings
from minilok_shared.action_links import ExpiredActionLink, InvalidActionLink, read_action_token

SECRET = "unit-test-secret-of-at-least-32-bytes-long"
DUE = datetime(2027, 5, 20, 15, 59, 59, tzinfo=UTC)  # after the test clock: the link is live
BASE = "https://minilok.example.go.id"


def event(type_="followup.overdue", owner=10, status="open"):
    return {"id": "e1", "type": type_, "time": "2027-05-22T03:00:00Z",
            "data": {"followup": {"id": 7, "title": "PSN serentak RW 03", "action": "Abatisasi",
                                  "owner_agency_id": owner, "supporting_agency_ids": [11], "due_at": DUE.isoformat(),
                                  "status": status, "escalation_level": 1, "owner_agency_name": "Kelurahan Baloi",
                                  "puskesmas_name": "Puskesmas Baloi Permai"}}}


def message(ev, agency_id, channel="whatsapp", language="id"):
    return Message(delivery_id=1, message_id="m1", subscription_id=1, channel=channel, target="+6281234567890",
                   language=language, timezone="Asia/Jakarta", body=json.dumps(ev), agency_id=agency_id)


def settings():
    return NotificationsSettings(MINILOK_SECRET=SECRET, MINILOK_PUBLIC_URL=BASE)


def token_of(link: str) -> str:
    assert link.startswith(f"{BASE}/a/")
    return link.removeprefix(f"{BASE}/a/")


@pytest.mark.parametrize("type_", ["followup.created", "followup.due_soon", "followup.overdue", "followup.escalated",
                                   "followup.reopened"])
def test_the_owner_gets_a_link_for_its_follow_up_and_agency(type_):
    link = action_link(event(type_), 10, SECRET, BASE)
    claim = read_action_token(SECRET, token_of(link))
    assert (claim.followup_id, claim.agency_id) == (7, 10)
    assert claim.expires_at == (DUE + timedelta(days=30)).replace(microsecond=0)


@pytest.mark.parametrize("agency_id", [11, 12, None])  # a supporter, an agency escalated to, a puskesmas-wide one
def test_no_link_for_anyone_but_the_owner(agency_id):
    assert action_link(event(), agency_id, SECRET, BASE) is None


@pytest.mark.parametrize("type_,status", [("followup.completed", "done"), ("followup.cancelled", "cancelled"),
                                          ("followup.updated", "in_progress"), ("followup.overdue", "done"),
                                          ("followup.acknowledged", "open")])
def test_no_link_about_what_asks_nothing_of_the_owner(type_, status):
    assert action_link(event(type_, status=status), 10, SECRET, BASE) is None


def test_an_in_progress_follow_up_still_gets_its_link():
    assert action_link(event(status="in_progress"), 10, SECRET, BASE)


def test_the_link_expires_30_days_after_due_and_another_secret_is_refused():
    def link_due(days_ago):
        ev = event()
        ev["data"]["followup"]["due_at"] = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
        return token_of(action_link(ev, 10, SECRET, BASE))

    assert read_action_token(SECRET, link_due(29)).followup_id == 7
    with pytest.raises(ExpiredActionLink):
        read_action_token(SECRET, link_due(31))
    with pytest.raises(InvalidActionLink):
        read_action_token("another-secret-of-at-least-32-bytes!!", link_due(1))


def test_whatsapp_text_carries_the_action_link_and_stays_sane_in_length():
    rendered = render_message(message(event(), 10), settings())
    link = action_link(event(), 10, SECRET, BASE)
    assert f"Mohon tanggapi: {link}" in rendered.short
    assert "/follow-ups/7" not in rendered.short
    # One WhatsApp message; an SMS of at most 3 parts even with a long base URL.
    assert len(rendered.short) <= 400 and len(sms_parts(rendered.short)) <= 3, len(rendered.short)


def test_email_carries_the_action_link_and_the_page_link():
    rendered = render_message(message(event(), 10, channel="email", language="en"), settings())
    link = action_link(event(), 10, SECRET, BASE)
    assert f"Respond here (acknowledge, report progress, complete, or ask for more time):\n{link}" in rendered.text
    assert f'<a href="{link}"' in rendered.html
    assert f"{BASE}/follow-ups/7" in rendered.text


def test_a_supporter_gets_the_follow_up_page_only():
    rendered = render_message(message(event(), 11), settings())
    assert "/a/" not in rendered.short and rendered.short.endswith(f"{BASE}/follow-ups/7")
    assert "/a/" not in render_message(message(event(), 11, channel="email"), settings()).text


def test_logs_never_keep_a_link_token(capsys):
    import logging

    from minilok_shared.logs import configure_logging

    token = token_of(action_link(event(), 10, SECRET, BASE))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("meetings", fmt="json")
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/1.1" %d', "127.0.0.1", "POST",
                                                 f"/a/{token}/progress", 303)
        logging.getLogger("x").warning("GET %s failed", f"{BASE}/api/v1/actions/{token}")
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    out = capsys.readouterr().out
    assert token not in out and token.split(".")[2] not in out
    messages = [json.loads(line)["message"] for line in out.splitlines()]
    assert messages == ['127.0.0.1 - "POST /a/…/progress HTTP/1.1" 303', f"GET {BASE}/api/v1/actions/… failed"]
