"""Message texts: Bahasa Indonesia by default, English on request, names not ids, local due time
and how late in local days, what the reader should do next, SMS length."""

from datetime import UTC, datetime

from minilok_notifications.channels.messages import format_local, lateness, reader_of, render, sms_parts

DUE = datetime(2026, 2, 20, 16, 59, tzinfo=UTC)


def overdue_event(**names):
    followup = {"id": 7, "title": "PSN serentak RW 03", "action": "Abatisasi", "owner_agency_id": 10,
                "supporting_agency_ids": [11], "due_at": DUE.isoformat(), "status": "open", "escalation_level": 1,
                **names}
    return {"id": "e1", "type": "followup.overdue", "time": "2026-02-23T03:00:00Z", "data": {"followup": followup}}


NAMED = {"puskesmas_name": "Puskesmas Baloi Permai", "owner_agency_name": "Kelurahan Sukajadi",
         "supporting_agencies": [{"id": 11, "name": "Posyandu Mawar X"}], "timezone": "Asia/Jakarta"}


def test_local_time_in_indonesian_and_english():
    assert format_local(DUE, "Asia/Jakarta", "id") == "Jumat, 20 Februari 2026 23.59 WIB"
    assert format_local(DUE, "Asia/Makassar", "id") == "Sabtu, 21 Februari 2026 00.59 WITA"
    assert format_local(DUE, "Asia/Jayapura", "en") == "Saturday, 21 February 2026 01:59 WIT"


def test_late_in_whole_local_days_and_due_today_on_the_due_day_itself():
    just_after = datetime(2026, 2, 20, 17, 0, 1, tzinfo=UTC)  # 00.00 WIB on the 21st: one local day
    assert lateness(DUE, datetime(2026, 2, 20, 16, 59, 30, tzinfo=UTC), "Asia/Jakarta", "id") == (
        0, "jatuh tempo hari ini")
    assert lateness(DUE, just_after, "Asia/Jakarta", "id") == (1, "terlambat 1 hari")
    # In WITA the due time is 00.59 on the 21st: one second later is the same local day.
    assert lateness(DUE, just_after, "Asia/Makassar", "id") == (0, "jatuh tempo hari ini")
    assert lateness(DUE, datetime(2026, 2, 23, 3, tzinfo=UTC), "Asia/Jakarta", "en") == (3, "3 days late")
    assert lateness(DUE, datetime(2026, 2, 19, 3, tzinfo=UTC), "Asia/Jakarta", "id") == (-1, "jatuh tempo besok")
    assert lateness(DUE, datetime(2026, 2, 16, 3, tzinfo=UTC), "Asia/Jakarta", "en") == (-4, "due in 4 days")


def test_the_reader_is_told_apart_by_its_agency():
    event = overdue_event(**NAMED)
    event["data"]["escalated_to_agencies"] = [{"id": 20, "name": "Kecamatan Batam Kota"}]
    event["data"]["escalated_to_agency_ids"] = [20]
    assert reader_of(event, 10).role == "owner" and reader_of(event, 10).name == "Kelurahan Sukajadi"
    assert reader_of(event, 11).role == "supporter" and reader_of(event, 11).name == "Posyandu Mawar X"
    assert reader_of(event, 20).role == "escalated" and reader_of(event, 20).name == "Kecamatan Batam Kota"
    assert reader_of(event, 99).role == "puskesmas" and reader_of(event, None).role == "puskesmas"


def test_indonesian_message_says_who_what_when_how_late_and_what_next():
    r = render(overdue_event(**NAMED), "id", "Asia/Jakarta", "https://minilok.example", agency_id=99)
    assert r.subject == "[Minilok] Tindak lanjut terlambat: PSN serentak RW 03"
    for part in ("PSN serentak RW 03", "Penanggung jawab: Kelurahan Sukajadi", "Lembaga pendukung: Posyandu Mawar X",
                 "Jumat, 20 Februari 2026 23.59 WIB (terlambat 3 hari)", "Status RTL: Terbuka",
                 "Mohon hubungi Kelurahan Sukajadi", "https://minilok.example/follow-ups/7", "Puskesmas Baloi Permai"):
        assert part in r.text, part
    assert "<a href=\"https://minilok.example/follow-ups/7\"" in r.html
    assert "terlambat 3 hari" in r.short and len(sms_parts(r.short)) <= 2


def test_an_old_event_without_names_never_shows_an_id():
    r = render(overdue_event(), "id", "Asia/Jakarta", "https://minilok.example", agency_id=11)
    assert "#" not in r.text and "lembaga 10" not in r.text and "Penanggung jawab:" not in r.text
    assert "Mohon bantu penanggung jawab menyelesaikannya." in r.text


def test_the_event_timezone_wins_over_the_subscription():
    event = overdue_event(**{**NAMED, "timezone": "Asia/Makassar"})
    r = render(event, "id", "Asia/Jakarta", "http://x")
    assert "Sabtu, 21 Februari 2026 00.59 WITA" in r.text


def test_english_on_request():
    r = render(overdue_event(**NAMED), "en", "Asia/Jakarta", "https://minilok.example", agency_id=10)
    assert r.subject.startswith("[Minilok] Follow-up overdue")
    assert "Due: Friday, 20 February 2026 23:59 WIB (3 days late)" in r.text and "Status: Open" in r.text


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
        event["data"]["followup"]["owner_agency_name"] = SCRIPT
        event["data"]["followup"]["id"] = '7"><script>x</script>'
        if type.startswith("meeting."):
            event["data"] = {"meeting": {"id": 3, "title": SCRIPT, "scheduled_at": "2026-03-02T02:00:00Z",
                                         "location": SCRIPT, "puskesmas_name": SCRIPT}}
        if type == "notification.test":
            event["data"] = {"message": SCRIPT}
        events.append(event)
    digest = {"id": "d1", "type": "notification.digest", "time": "2026-02-23T00:00:00Z",
              "data": {"count": len(events), "events": events}}
    for event in [*events, digest]:
        for language in ("id", "en"):
            html = render(event, language, "Asia/Jakarta", "https://minilok.example", agency_id=10).html
            assert "<script>" not in html, (event["type"], language)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render(digest, "id", "Asia/Jakarta", "http://x").html


def test_subject_and_short_text_are_one_line():
    event = overdue_event()
    event["data"]["followup"]["title"] = "PSN\nserentak\r\n\tRW\x0b03\x00"
    rendered = render(event, "id", "Asia/Jakarta", "http://x")
    assert rendered.subject == "[Minilok] Tindak lanjut terlambat: PSN serentak RW 03"
    assert "\n" not in rendered.short and "\x00" not in rendered.short


def test_overdue_one_second_after_the_due_time_is_past_due_today_not_a_day_late():
    event = overdue_event(**NAMED)
    event["time"] = "2026-02-20T16:59:01Z"  # due 23.59 WIB: one second later, still the 20th
    r = render(event, "id", "Asia/Jakarta", "http://x", agency_id=99)
    assert "sudah lewat batas waktu (jatuh tempo hari ini)" in r.short and "terlambat 1 hari" not in r.text


def test_an_urgent_event_says_so_in_the_subject():
    event = overdue_event(**NAMED)
    event["data"]["urgent"] = True
    assert render(event, "id", "Asia/Jakarta", "http://x").subject.startswith("[Minilok] Mendesak: Tindak lanjut")
    assert render(event, "en", "Asia/Jakarta", "http://x").subject.startswith("[Minilok] Urgent: Follow-up overdue")
