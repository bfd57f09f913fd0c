"""Message texts: Bahasa Indonesia by default, English on request, local due time, SMS length."""

from datetime import UTC, datetime

from minilok_notifications.channels.messages import format_local, render, sms_parts

DUE = datetime(2026, 2, 20, 16, 59, tzinfo=UTC)


def overdue_event():
    return {"id": "e1", "type": "followup.overdue", "time": "2026-02-23T03:00:00Z",
            "data": {"followup": {"id": 7, "title": "PSN serentak RW 03", "action": "Abatisasi", "owner_agency_id": 10,
                                  "due_at": DUE.isoformat(), "status": "open", "escalation_level": 1}}}


def test_local_time_in_indonesian_and_english():
    assert format_local(DUE, "Asia/Jakarta", "id") == "Jumat, 20 Februari 2026 23.59 WIB"
    assert format_local(DUE, "Asia/Makassar", "id") == "Sabtu, 21 Februari 2026 00.59 WITA"
    assert format_local(DUE, "Asia/Jayapura", "en") == "Saturday, 21 February 2026 01:59 WIT"


def test_indonesian_message_says_who_what_when_how_late_and_where():
    r = render(overdue_event(), "id", "Asia/Jakarta", "https://minilok.example")
    assert r.subject == "[Minilok] Tindak lanjut terlambat: PSN serentak RW 03"
    for part in ("PSN serentak RW 03", "lembaga #10", "Jumat, 20 Februari 2026 23.59 WIB", "Terlambat: 2 hari",
                 "https://minilok.example/follow-ups/7"):
        assert part in r.text
    assert "<a href=\"https://minilok.example/follow-ups/7\">" in r.html
    assert "Terlambat 2 hari." in r.short and len(r.short) <= 160


def test_english_on_request():
    r = render(overdue_event(), "en", "Asia/Jakarta", "https://minilok.example")
    assert r.subject.startswith("[Minilok] Follow-up overdue") and "Overdue by: 2 days" in r.text


def test_html_is_escaped():
    event = overdue_event()
    event["data"]["followup"]["title"] = "<script>x</script>"
    assert "<script>" not in render(event, "id", "Asia/Jakarta", "http://x").html


def test_sms_parts():
    assert sms_parts("a" * 160) == ["a" * 160]
    parts = sms_parts("a" * 161)
    assert [len(p) for p in parts] == [153, 8]
    assert [len(p) for p in sms_parts("ā" * 71)] == [67, 4]  # not GSM-7: UCS-2 sizes


SCRIPT = "<script>alert(1)</script>"


def test_every_html_template_is_autoescaped():
    from importlib.resources import files

    from minilok_notifications.channels.messages import _environment

    names = [p.name for p in files("minilok_notifications").joinpath("templates").iterdir()
             if p.name.endswith(".html.j2")]
    assert {"email.html.j2", "digest.html.j2"} <= set(names)
    assert all(_environment().get_template(name).environment.autoescape(name) for name in names)


def test_script_in_a_title_is_escaped_in_every_html_email_digest_included():
    from minilok_notifications.channels.messages import HEADLINES

    events = []
    for type in HEADLINES:
        event = overdue_event()
        event["type"] = type
        event["data"]["followup"]["title"] = SCRIPT
        event["data"]["followup"]["id"] = '7"><script>x</script>'
        if type.startswith("meeting."):
            event["data"] = {"meeting": {"id": 3, "title": SCRIPT, "scheduled_at": "2026-03-02T02:00:00Z"}}
        if type == "notification.test":
            event["data"] = {"message": SCRIPT}
        events.append(event)
    digest = {"id": "d1", "type": "notification.digest", "time": "2026-02-23T00:00:00Z",
              "data": {"count": len(events), "events": events}}
    for event in [*events, digest]:
        for language in ("id", "en"):
            html = render(event, language, "Asia/Jakarta", "https://minilok.example").html
            assert "<script>" not in html, (event["type"], language)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render(digest, "id", "Asia/Jakarta", "http://x").html


def test_subject_and_short_text_are_one_line():
    event = overdue_event()
    event["data"]["followup"]["title"] = "PSN\nserentak\r\n\tRW\x0b03\x00"
    rendered = render(event, "id", "Asia/Jakarta", "http://x")
    assert rendered.subject == "[Minilok] Tindak lanjut terlambat: PSN serentak RW 03"
    assert "\n" not in rendered.short and "\x00" not in rendered.short
