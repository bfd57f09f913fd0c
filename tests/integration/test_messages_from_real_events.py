"""The texts made from the events the meetings service really writes (not hand-made fixtures): a
meeting with invited agencies, moved and cancelled, a follow-up through its whole life, each event
rendered for the owner, a supporter, an invited agency and the puskesmas in both languages, and
none shows an id, an ISO time, a raw code or a word of the other language; names and the
puskesmas's own zone (WITA) are there."""

from __future__ import annotations

from minilok_notifications.channels.messages import render
from readable import problems
from test_meetings_followups import new_followup, outbox_events, setup_puskesmas


def test_every_real_event_reads_as_words(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    r = api.put(f"/api/v1/meetings/{ids['meeting']}/invitations", json=[ids["kelurahan"], ids["school"]])
    assert r.status_code == 200, r.text
    r = api.patch(f"/api/v1/meetings/{ids['meeting']}", json={"location": "Aula Kelurahan Baru Tengah",
                                                               "scheduled_at": "2025-12-04T09:00:00+08:00"})
    assert r.status_code == 200, r.text
    f = new_followup(api, ids, due_date="2025-12-31", action="Kunjungan rumah bersama kader")
    for path, body in ((f"/api/v1/follow-ups/{f['id']}/acknowledge", {"note": "Siap"}),
                       (f"/api/v1/follow-ups/{f['id']}/progress", {"note": "RT 12 selesai", "percent": 50}),
                       (f"/api/v1/follow-ups/{f['id']}/complete", {"note": "Semua kontak diperiksa"}),
                       (f"/api/v1/follow-ups/{f['id']}/reopen", {"reason": "Dua kontak belum diperiksa"}),
                       (f"/api/v1/follow-ups/{f['id']}/cancel", {"reason": "Digabung dengan RTL lain"}),
                       (f"/api/v1/meetings/{ids['meeting']}/cancel", {"reason": "Bertepatan dengan Musrenbang"})):
        r = api.post(path, json=body)
        assert r.status_code in (200, 201), (path, r.text)

    events = outbox_events(api)
    types = {e["type"] for e in events}
    assert {"meeting.scheduled", "meeting.updated", "meeting.cancelled", "followup.created", "followup.acknowledged",
            "followup.progressed", "followup.completed", "followup.reopened", "followup.cancelled"} <= types, types
    readers = {"owner": ids["kelurahan"], "supporter": ids["school"], "puskesmas": ids["head"]}
    for event in events:
        for role, agency in readers.items():
            for language in ("id", "en"):
                r = render(event, language, "Asia/Jakarta", "https://minilok.example", agency_id=agency)
                for part, text in (("subject", r.subject), ("text", r.text), ("short", r.short), ("html", r.html)):
                    assert problems(text, event, language) == [], (event["type"], role, language, part, text)
                if event["type"].startswith(("followup.", "meeting.")):
                    assert "Puskesmas Baru Tengah" in r.text, (event["type"], role, language, r.text)
                if event["type"].startswith("followup."):
                    assert "Kelurahan Baru Tengah" in r.text, (event["type"], role, language, r.text)

    created = next(e for e in events if e["type"] == "followup.created")
    text = render(created, "id", "Asia/Jakarta", "https://minilok.example", agency_id=ids["school"]).text
    # The puskesmas's zone, not the subscription's: due 31 Desember 2025 at the end of the day, WITA.
    assert "Rabu, 31 Desember 2025 23.59 WITA" in text and "Lembaga pendukung: SDN 001 Balikpapan Barat" in text
    moved = [e for e in events if e["type"] == "meeting.updated"][-1]  # the PATCH (after the invitations)
    text = render(moved, "id", "Asia/Jakarta", "https://minilok.example", agency_id=ids["kelurahan"]).text
    assert "Kamis, 4 Desember 2025 09.00 WITA di Aula Kelurahan Baru Tengah" in text, text
    assert "Yth. Bapak/Ibu di Kelurahan Baru Tengah," in text
    cancelled = next(e for e in events if e["type"] == "meeting.cancelled")
    assert "Alasan: Bertepatan dengan Musrenbang" in render(cancelled, "id", "Asia/Jakarta", "http://x").text
