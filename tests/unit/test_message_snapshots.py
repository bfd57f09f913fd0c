"""Every message a person reads, as committed text files reviewed by a reader: each template in
both languages, every event type, each kind of reader where the words differ. A change to the
texts shows up as a diff of these files; `UPDATE_SNAPSHOTS=1` writes them anew. Every rendered
text is also checked for what must never reach a reader: an id or an ISO time where words belong,
a raw status or event kind, an English word in an Indonesian text (and the reverse)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
from minilok_notifications.channels.messages import action_link, render, sms_parts
from minilok_notifications.domain.matching import EVENT_TYPES
from readable import problems

SNAPSHOTS = Path(__file__).parent / "snapshots"
BASE = "https://minilok.example"
SECRET = "snapshot-secret-0123456789abcdefghijklmnop"

PUSKESMAS = "Puskesmas Baloi Permai"
OWNER, PKK, BABINSA, KOTA, PKM = 10, 11, 12, 20, 1
NAMES = {OWNER: "Kecamatan Batam Kota", PKK: "TP PKK Kecamatan Batam Kota", BABINSA: "Babinsa Kelurahan Baloi Permai",
         KOTA: "Pemerintah Kota Batam", PKM: PUSKESMAS}


def followup(status="open", level=0, **extra):
    return {"id": 4, "meeting_id": 3, "puskesmas_id": 1, "title": "PSN 3M Plus di Hang Tuah, Mediterania dan Bida Asri",
            "action": "Pemantauan jentik dan abatisasi", "owner_agency_id": OWNER,
            "supporting_agency_ids": [PKK, BABINSA],
            "due_at": "2026-03-31T16:59:00+00:00", "status": status, "escalation_level": level, "area_code": "21.71.06",
            "indicator_code": "DBD_IR", "puskesmas_name": PUSKESMAS, "owner_agency_name": NAMES[OWNER],
            "supporting_agencies": [{"id": PKK, "name": NAMES[PKK]}, {"id": BABINSA, "name": NAMES[BABINSA]}],
            "timezone": "Asia/Jakarta", "url": f"{BASE}/follow-ups/4", **extra}


def event(type_, time, data):
    return {"specversion": "1.0", "id": f"ev-{type_}", "source": "/meetings", "type": type_, "subject": "4",
            "time": time, "datacontenttype": "application/json", "data": data}


def meeting(**extra):
    return {"id": 3, "puskesmas_id": 1, "puskesmas_name": PUSKESMAS, "kind": "quarterly_cross_sector",
            "title": "Lokakarya Mini Lintas Sektor Triwulan II 2026", "scheduled_at": "2026-05-20T02:00:00+00:00",
            "location": "Aula Kecamatan Batam Kota", "status": "scheduled", "timezone": "Asia/Jakarta",
            "invited_agency_ids": [OWNER, PKK], "sequence": 0, "url": f"{BASE}/meetings/3",
            "invited_agencies": [{"id": OWNER, "name": NAMES[OWNER]}, {"id": PKK, "name": NAMES[PKK]}], **extra}


def events() -> dict[str, dict]:
    """One event of each type, as the services send them (names carried, issue 16)."""
    fu = {"actor": "agency:10", "actor_name": NAMES[OWNER]}
    return {
        "followup.created": event("followup.created", "2026-02-18T04:00:00Z",
                                  {"followup": followup(), "actor": "puskesmas:1", "actor_name": PUSKESMAS}),
        "followup.updated": event("followup.updated", "2026-03-25T04:00:00Z", {
            "followup": followup(due_at="2026-04-15T16:59:00+00:00"), "actor": "puskesmas:1", "actor_name": PUSKESMAS,
            "extension_request": {"id": 2, "due_date": "2026-04-15", "reason": "Menunggu abate dari Dinkes",
                                  "status": "approved"}}),
        "followup.due_soon": event("followup.due_soon", "2026-03-28T01:00:00Z",
                                   {"followup": followup(), "actor": "system"}),
        "followup.overdue": event("followup.overdue", "2026-04-03T01:00:00Z",
                                  {"followup": followup(level=1), "actor": "system",
                                   "escalated_to_agency_ids": [OWNER],
                                   "escalated_to_agencies": [{"id": OWNER, "name": NAMES[OWNER]}]}),
        "followup.escalated": event("followup.escalated", "2026-04-08T01:00:00Z",
                                    {"followup": followup(level=2), "actor": "system",
                                     "escalated_to_agency_ids": [KOTA],
                                     "escalated_to_agencies": [{"id": KOTA, "name": NAMES[KOTA]}]}),
        "followup.acknowledged": event("followup.acknowledged", "2026-02-19T02:00:00Z",
                                       {"followup": followup(), **fu, "note": "Siap, dijadwalkan minggu depan"}),
        "followup.progressed": event("followup.progressed", "2026-03-10T02:00:00Z", {
            "followup": followup(status="in_progress"), **fu, "previous_status": "open",
            "progress": {"note": "PSN sudah di Hang Tuah dan Mediterania", "percent": 60, "evidence_ids": [5]}}),
        "followup.extension_requested": event("followup.extension_requested", "2026-03-25T02:00:00Z", {
            "followup": followup(status="in_progress"), **fu,
            "extension_request": {"id": 2, "due_date": "2026-04-15", "reason": "Menunggu abate dari Dinkes",
                                  "status": "pending"}}),
        "followup.completed": event("followup.completed", "2026-04-02T02:00:00Z",
                                    {"followup": followup(status="done"), **fu, "previous_status": "in_progress"}),
        "followup.cancelled": event("followup.cancelled", "2026-03-01T02:00:00Z",
                                    {"followup": followup(status="cancelled"), "actor": "puskesmas:1",
                                     "actor_name": PUSKESMAS, "previous_status": "open"}),
        "followup.reopened": event("followup.reopened", "2026-04-05T02:00:00Z",
                                   {"followup": followup(status="open"), "actor": "puskesmas:1",
                                    "actor_name": PUSKESMAS, "previous_status": "done"}),
        "meeting.scheduled": event("meeting.scheduled", "2026-05-04T02:00:00Z", {"meeting": meeting()}),
        # Moved, and the Babinsa taken off the list: one event, read by those invited and by it.
        "meeting.updated": event("meeting.updated", "2026-05-11T02:00:00Z", {"meeting": meeting(
            scheduled_at="2026-05-21T01:30:00+00:00", location="Aula Puskesmas Baloi Permai", sequence=1,
            uninvited_agency_ids=[BABINSA], uninvited_agencies=[{"id": BABINSA, "name": NAMES[BABINSA]}])}),
        "meeting.cancelled": event("meeting.cancelled", "2026-05-15T02:00:00Z", {"meeting": meeting(
            status="cancelled", sequence=2, cancel_reason="Bertepatan dengan kunjungan Wali Kota")}),
        "meeting.minutes_published": event("meeting.minutes_published", "2026-05-22T02:00:00Z",
                                           {"meeting": meeting(status="minutes_published")}),
        "indicator.below_target": event("indicator.below_target", "2026-03-05T02:00:00Z", {
            "indicator": {"code": "DBD_ABJ", "name": "Angka bebas jentik", "name_en": "Larva-free index",
                          "unit": "percent", "direction": "higher_is_better", "period_type": "monthly"},
            "area": {"code": "21.71.06.1001", "name": "Kelurahan Baloi Permai", "level": "kelurahan"},
            "period": "2026-02", "value": 87.5, "numerator": 175, "denominator": 200, "target": 95,
            "meets_target": False}),
        "indicator.recovered": event("indicator.recovered", "2026-04-05T02:00:00Z", {
            "indicator": {"code": "DBD_ABJ", "name": "Angka bebas jentik", "name_en": "Larva-free index",
                          "unit": "percent", "direction": "higher_is_better", "period_type": "monthly"},
            "area": {"code": "21.71.06.1001", "name": "Kelurahan Baloi Permai", "level": "kelurahan"},
            "period": "2026-03", "value": 96, "numerator": 192, "denominator": 200, "target": 95,
            "meets_target": True}),
        "notification.failed": event("notification.failed", "2026-04-03T03:00:00Z", {
            "delivery": {"id": 81, "subscription_id": 9, "event_id": "ev-followup.overdue",
                         "event_type": "followup.overdue", "channel": "whatsapp", "status": "failed", "attempts": 8,
                         "last_response_status": 400, "last_error": "HTTP 400: invalid number"},
            "agency_id": OWNER, "subscription_disabled": False, "disabled_reason": None, "target": None}),
        "notification.test": event("notification.test", "2026-02-18T04:00:00Z",
                                   {"message": "Uji coba notifikasi Minilok / Minilok test notification"}),
    }


def old_events() -> dict[str, dict]:
    """Events from before issue 16 (no names): the texts fall back to words, never to an id."""
    bare = {k: v for k, v in followup(level=2).items()
            if k not in ("puskesmas_name", "owner_agency_name", "supporting_agencies", "timezone", "url")}
    return {"followup.escalated-old": event("followup.escalated", "2026-04-08T01:00:00Z",
                                            {"followup": bare, "escalated_to_agency_ids": [KOTA], "actor": "system"}),
            "meeting.scheduled-old": event("meeting.scheduled", "2026-05-04T02:00:00Z", {"meeting": {
                "id": 3, "puskesmas_id": 1, "kind": "monthly_internal", "title": "Lokakarya Mini Bulanan Mei 2026",
                "scheduled_at": "2026-05-20T02:00:00+00:00", "location": None, "status": "scheduled"}})}


# Who reads each event, where the words differ.
READERS = {
    "followup.created": {"owner": OWNER, "supporter": PKK, "puskesmas": PKM},
    "followup.updated": {"owner": OWNER, "puskesmas": PKM},
    "followup.due_soon": {"owner": OWNER, "supporter": PKK, "puskesmas": PKM},
    "followup.overdue": {"owner": OWNER, "supporter": PKK, "puskesmas": PKM},
    "followup.escalated": {"owner": OWNER, "supporter": PKK, "escalated": KOTA, "puskesmas": PKM},
    "followup.acknowledged": {"owner": OWNER, "puskesmas": PKM},
    "followup.progressed": {"owner": OWNER, "puskesmas": PKM},
    "followup.extension_requested": {"owner": OWNER, "puskesmas": PKM},
    "followup.completed": {"owner": OWNER, "supporter": PKK, "puskesmas": PKM},
    "followup.cancelled": {"owner": OWNER},
    "followup.reopened": {"owner": OWNER, "supporter": PKK, "puskesmas": PKM},
    "meeting.scheduled": {"invited": OWNER, "puskesmas": PKM},
    "meeting.updated": {"invited": OWNER, "uninvited": BABINSA},
    "meeting.cancelled": {"invited": OWNER},
    "meeting.minutes_published": {"invited": OWNER},
    "followup.escalated-old": {"owner": OWNER, "escalated": KOTA},
    "meeting.scheduled-old": {"puskesmas": PKM},
}


def cases() -> list[tuple[str, dict, int | None]]:
    all_events = {**events(), **old_events()}
    out = []
    for name, ev in all_events.items():
        for role, agency in READERS.get(name, {"reader": OWNER}).items():
            out.append((f"{name}.{role}", ev, agency))
    fresh = events()
    digest_items = [fresh[t] for t in ("followup.overdue", "followup.escalated", "followup.completed",
                                       "meeting.scheduled", "indicator.below_target")]
    out.append(("notification.digest.owner", event("notification.digest", "2026-04-09T00:00:00Z",
                                                   {"count": len(digest_items), "events": digest_items}), OWNER))
    out.append(("auth.code_requested.contact", event("auth.code_requested", "2026-04-09T00:00:00Z",
                                                     {"code": "042917"}), None))
    return out


def rendered(ev, agency, language):
    def link(e):
        return action_link(e, agency, SECRET, BASE)
    return render(copy.deepcopy(ev), language, "Asia/Jakarta", BASE, action_link=link(ev), agency_id=agency,
                  link_for=link)


def snapshot_text(name, ev, agency, language) -> str:
    r = rendered(ev, agency, language)
    parts = sms_parts(r.short)
    return (f"== subject\n{r.subject}\n\n== text (email)\n{r.text}\n"
            f"== short (WhatsApp/SMS: {len(r.short)} characters, {len(parts)} SMS part{'s' * (len(parts) != 1)})\n"
            f"{r.short}\n")


CASES = cases()


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(("name", "ev", "agency"), CASES, ids=[c[0] for c in CASES])
def test_snapshot(name, ev, agency, language):
    r = rendered(ev, agency, language)
    for suffix, body in ((".txt", snapshot_text(name, ev, agency, language)), (".html", r.html)):
        path = SNAPSHOTS / f"{name}.{language}{suffix}"
        if os.environ.get("UPDATE_SNAPSHOTS"):
            path.write_text(body, encoding="utf-8")
        assert path.exists(), f"{path.name} missing: run with UPDATE_SNAPSHOTS=1 and review it"
        assert body == path.read_text(encoding="utf-8"), f"{path.name} changed: review, then UPDATE_SNAPSHOTS=1"


def test_every_event_type_has_a_snapshot():
    names = {c[0].split(".")[0] + "." + c[0].split(".")[1] for c in CASES}
    assert set(EVENT_TYPES) | {"meeting.updated", "meeting.cancelled", "notification.digest",
                               "auth.code_requested"} <= {n.split("-")[0] for n in names}


# --- what must never reach a reader (tests/readable.py) -------------------------------------------

# The sign-in code in English is bilingual by design (Bahasa Indonesia first), so it is checked in
# Indonesian only.
READER_CASES = [(name, ev, agency, language) for name, ev, agency in CASES for language in ("id", "en")
                if not (name.startswith("auth.") and language == "en")]


@pytest.mark.parametrize(("name", "ev", "agency", "language"), READER_CASES,
                         ids=[f"{c[0]}-{c[3]}" for c in READER_CASES])
def test_no_id_no_iso_time_no_raw_word_no_other_language(name, ev, agency, language):
    r = rendered(ev, agency, language)
    for part, text in (("subject", r.subject), ("text", r.text), ("short", r.short), ("html", r.html)):
        assert problems(text, ev, language) == [], (name, language, part, text)


def test_the_check_catches_what_it_is_for():
    ev = {"data": {}}
    assert problems("Penanggung jawab: lembaga #17", ev, "id")
    assert problems("Pertemuan (2026-05-20T02:00:00+00:00)", ev, "id")
    assert problems("Status: open", ev, "id")
    assert problems("Jenis: quarterly_cross_sector", ev, "id")
    assert problems("Tindak lanjut terlambat. Owner: Kecamatan", ev, "id")
    assert problems("Follow-up overdue, terlambat 3 hari", ev, "en")
    assert problems("Kabar: followup.overdue", ev, "id")
    assert not problems("RTL no. 4 terlambat 3 hari.", ev, "id")
