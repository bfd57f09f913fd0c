"""Action links through the meetings API on a real database: the link as the only credential,
401/410/409/403 in words, each action as the owning agency (history, audit), idempotency keys
and the rate limit counted per link, and headers that keep the link out of caches and referrers."""

from __future__ import annotations

import io
import os
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from minilok_shared.action_links import mint_action_token
from PIL import Image

from tests.integration.test_meetings_followups import new_followup, outbox_events, setup_puskesmas


def link_for(followup: dict, agency_id: int, due_at: datetime | None = None) -> str:
    due = due_at or datetime.fromisoformat(followup["due_at"])
    return mint_action_token(os.environ["MINILOK_SECRET"], followup["id"], agency_id, due)


@pytest.fixture
def world(service_api, monkeypatch, tmp_path):
    monkeypatch.setenv("MEETINGS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    api = service_api("meetings")
    ids = setup_puskesmas(api)
    followup = new_followup(api, ids, due_date="2027-06-30")
    return api, ids, followup, f"/api/v1/actions/{link_for(followup, ids['kelurahan'])}"


def nobody(_api):
    """The link is the only credential: no Authorization header at all."""
    return {}


def test_the_link_opens_its_follow_up_without_a_token_and_names_everything(world):
    api, ids, followup, base = world
    r = api.get(base, headers=nobody(api))
    assert r.status_code == 200, r.text
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["followup"]["id"] == followup["id"] and body["followup"]["status"] == "open"
    assert body["allowed"] == ["acknowledge", "progress", "complete", "extend", "evidence"]
    assert datetime.fromisoformat(body["expires_at"]) == datetime(2027, 7, 30, 15, 59, 59, tzinfo=UTC)
    assert body["puskesmas_name"] == "Puskesmas Baru Tengah" and body["owner_agency_name"] == "Kelurahan Baru Tengah"
    assert body["meeting_title"] == "Minilok lintas sektor" and body["timezone"] == "Asia/Makassar"
    assert [h["kind"] for h in body["history"]] == ["created"]


def test_tampered_expired_and_bearer_links_are_refused_in_words(world):
    api, ids, followup, base = world
    token = base.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    r = api.get(f"/api/v1/actions/{tampered}", headers=nobody(api))
    assert r.status_code == 401 and "Tautan tidak sah" in r.json()["detail"]
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["cache-control"] == "no-store"
    expired = link_for(followup, ids["kelurahan"], datetime.now(UTC) - timedelta(days=31))
    r = api.post(f"/api/v1/actions/{expired}/acknowledge", json={}, headers=nobody(api))
    assert r.status_code == 410 and "kedaluwarsa" in r.json()["detail"]
    bearer = api.admin["Authorization"].split()[1]  # a bearer token never passes as a link
    assert api.get(f"/api/v1/actions/{bearer}", headers=nobody(api)).status_code == 401
    # ...and a link never passes as a bearer token.
    assert api.get(f"/api/v1/follow-ups/{followup['id']}",
                   headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_acknowledge_progress_complete_as_the_owner_through_its_link(world):
    api, ids, followup, base = world
    r = api.post(f"{base}/acknowledge", json={"note": "Siap, kami kerjakan"}, headers=nobody(api))
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_at"] is not None and r.headers["referrer-policy"] == "no-referrer"
    assert "acknowledge" not in api.get(base, headers=nobody(api)).json()["allowed"]
    r = api.post(f"{base}/progress", json={"note": "RT 03 dan RT 05 sudah didata", "percent": 40},
                 headers=nobody(api))
    assert r.status_code == 200 and r.json()["status"] == "in_progress" and r.json()["percent"] == 40
    r = api.post(f"{base}/complete", json={"note": "Semua kontak erat sudah diperiksa"}, headers=nobody(api))
    assert r.status_code == 200 and r.json()["status"] == "done"

    history = api.get(f"/api/v1/follow-ups/{followup['id']}/history").json()["items"]
    by_link = [h for h in history if h["actor"] == f"agency:{ids['kelurahan']}:link"]
    assert [h["kind"] for h in by_link] == ["acknowledged", "progress", "complete"]
    audit = api.get("/api/v1/audit", params={"entity": "followups", "entity_id": str(followup["id"])}).json()["items"]
    assert f"agency:{ids['kelurahan']}:link" in {a["actor"] for a in audit}
    assert outbox_events(api, "followup.completed")[-1]["data"]["followup"]["status"] == "done"

    # Finished: the link still opens (status, nothing allowed) but every action is 409 in words.
    opened = api.get(base, headers=nobody(api)).json()
    assert opened["allowed"] == [] and opened["followup"]["status"] == "done"
    for verb, body in (("acknowledge", {}), ("progress", {"note": "lagi"}), ("complete", {"note": "lagi"})):
        r = api.post(f"{base}/{verb}", json=body, headers=nobody(api))
        assert r.status_code == 409 and "sudah selesai" in r.json()["detail"], (verb, r.text)


def test_complete_works_straight_from_open(world):
    api, _ids, _followup, base = world
    r = api.post(f"{base}/complete", json={"note": "Sudah selesai dalam sekali kerja"}, headers=nobody(api))
    assert r.status_code == 200 and r.json()["status"] == "done"


def test_a_cancelled_follow_up_answers_409_and_a_reassigned_one_403(world):
    api, ids, followup, base = world
    moved = new_followup(api, ids, due_date="2027-06-30")
    moved_link = f"/api/v1/actions/{link_for(moved, ids['kelurahan'])}"
    assert api.patch(f"/api/v1/follow-ups/{moved['id']}", json={"owner_agency_id": ids["rt"]}).status_code == 200
    for r in (api.get(moved_link, headers=nobody(api)),
              api.post(f"{moved_link}/progress", json={"note": "x"}, headers=nobody(api))):
        assert r.status_code == 403 and "bukan lagi penanggung jawab" in r.json()["detail"]
    assert api.post(f"/api/v1/follow-ups/{followup['id']}/cancel", json={"reason": "Digabung"}).status_code == 200
    r = api.post(f"{base}/acknowledge", json={}, headers=nobody(api))
    assert r.status_code == 409 and "dibatalkan" in r.json()["detail"]
    # A link minted for a supporting agency opens nothing: only the owner acts from a message.
    supporter = f"/api/v1/actions/{link_for(moved, ids['school'])}"
    assert api.get(supporter, headers=nobody(api)).status_code == 403


def test_bad_input_is_422_naming_the_field(world):
    api, _ids, _followup, base = world
    r = api.post(f"{base}/progress", json={"note": "x", "percent": 140}, headers=nobody(api))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "percent"
    assert r.headers["cache-control"] == "no-store"
    r = api.post(f"{base}/complete", json={"note": "x", "evidence_ids": [999999]}, headers=nobody(api))
    assert r.status_code == 422 and "evidence_ids" in r.json()["detail"][0]["loc"]


def test_an_idempotency_key_makes_a_double_tap_one_progress_note(world):
    api, _ids, followup, base = world
    headers = {"Idempotency-Key": "tap-1"}
    first = api.post(f"{base}/progress", json={"note": "Sudah mulai"}, headers=headers)
    again = api.post(f"{base}/progress", json={"note": "Sudah mulai"}, headers=headers)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert api.post(f"{base}/progress", json={"note": "lain"}, headers=headers).status_code == 422
    history = api.get(f"/api/v1/follow-ups/{followup['id']}/history").json()["items"]
    assert [h["kind"] for h in history].count("progress") == 1


def test_the_rate_limit_counts_per_link(service_api, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "30")
    api = service_api("meetings")
    ids = setup_puskesmas(api)  # the admin token's own budget, not the link's
    one, two = (new_followup(api, ids, due_date="2027-06-30") for _ in range(2))
    # An expiry of its own: a link from an earlier run in the same minute would share the budget.
    expiry = datetime.now(UTC) + timedelta(days=400, seconds=secrets.randbelow(10**6))
    first, second = (f"/api/v1/actions/{link_for(f, ids['kelurahan'], expiry)}" for f in (one, two))
    answers = [api.get(first, headers={}).status_code for _ in range(32)]
    assert answers[:30] == [200] * 30 and answers[30:] == [429, 429]
    assert api.get(second, headers={}).status_code == 200  # another link has its own budget


def png_bytes(width=64, height=48) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (width, height), (30, 140, 80)).save(out, "PNG")
    return out.getvalue()


def test_evidence_through_the_link_then_complete_with_it(world, tmp_path):
    api, ids, followup, base = world
    r = api.post(f"{base}/evidence", files={"file": ("foto.png", png_bytes(), "image/png")}, headers=nobody(api))
    assert r.status_code == 201, r.text
    evidence = r.json()
    assert evidence["followup_id"] == followup["id"] and evidence["created_by"] == f"agency:{ids['kelurahan']}:link"
    assert [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()]  # stored where the settings say
    r = api.post(f"{base}/evidence", files={"file": ("foto.png", b"not an image at all", "image/png")},
                 headers=nobody(api))
    assert r.status_code in (415, 422) and "file" in r.json()["detail"][0]["loc"]
    r = api.post(f"{base}/complete", json={"note": "Selesai, foto terlampir", "evidence_ids": [evidence["id"]]},
                 headers=nobody(api))
    assert r.status_code == 200 and r.json()["status"] == "done"
    r = api.post(f"{base}/evidence", files={"file": ("foto.png", png_bytes(), "image/png")}, headers=nobody(api))
    assert r.status_code == 409


def test_asking_for_more_time_through_the_link(world):
    api, ids, followup, base = world
    r = api.post(f"{base}/extend", json={"due_date": "2027-07-31", "reason": "Menunggu dana BOK cair"},
                 headers=nobody(api))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending" and r.json()["followup_id"] == followup["id"]
    r = api.post(f"{base}/extend", json={"due_date": "2027-07-31"}, headers=nobody(api))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "reason"
    history = api.get(f"/api/v1/follow-ups/{followup['id']}/history").json()["items"]
    assert any(h["actor"] == f"agency:{ids['kelurahan']}:link" for h in history if h["kind"] != "created")


# --- the page at /a/{token} ---------------------------------------------------------------------

def page_of(base: str) -> str:
    return "/a/" + base.rsplit("/", 1)[1]


def test_the_page_shows_the_follow_up_in_words_and_four_buttons(world):
    api, _ids, _followup, base = world
    r = api.client.get(page_of(base))
    assert r.status_code == 200 and r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    html = r.text
    for words in ("Puskesmas Baru Tengah", "Pelacakan kontak erat TB", "Kelurahan Baru Tengah",
                  "Rabu, 30 Juni 2027 23.59 WITA", "Terbuka", "Diterima", "Laporkan kemajuan", "Selesai",
                  "Minta perpanjangan", 'capture="environment"', 'accept="image/*,application/pdf"'):
        assert words in html, words
    assert 'name="idempotency_key"' in html


def test_the_page_forms_acknowledge_then_complete_with_a_photo_once(world):
    api, ids, followup, base = world
    page = page_of(base)
    r = api.client.post(f"{page}/acknowledge", data={"idempotency_key": "k-ack"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{page}?ok=acknowledge"
    shown = api.client.get(r.headers["location"]).text
    assert "Terima kasih, tindak lanjut sudah Anda terima." in shown and 'class="big ack"' not in shown
    form = {"idempotency_key": "k-done", "note": "Semua kontak erat sudah diperiksa"}
    photo = {"photo": ("bukti.png", png_bytes(), "image/png")}
    first = api.client.post(f"{page}/complete", data=form, files=photo, follow_redirects=False)
    again = api.client.post(f"{page}/complete", data=form, files=photo, follow_redirects=False)
    assert first.status_code == again.status_code == 303, first.text
    history = api.get(f"/api/v1/follow-ups/{followup['id']}/history").json()["items"]
    completions = [h for h in history if h["kind"] == "complete"]
    assert len(completions) == 1 and len(completions[0]["data"]["evidence_ids"]) == 1  # a double tap did one thing
    done = api.client.get(page).text
    assert "Tindak lanjut ini sudah selesai." in done and "Laporkan kemajuan" not in done
    assert "Kelurahan Baru Tengah (lewat tautan)" in done
    r = api.client.post(f"{page}/progress", data={"note": "lagi"})
    assert r.status_code == 409 and "sudah selesai" in r.text


def test_the_page_shows_thumbnails_of_its_own_evidence_only(world):
    api, ids, followup, base = world
    page = page_of(base)
    evidence = api.post(f"{base}/evidence", files={"file": ("foto.png", png_bytes(640, 480), "image/png")},
                        headers=nobody(api)).json()
    api.post(f"{base}/progress", json={"note": "Separuh RT sudah", "evidence_ids": [evidence["id"]]},
             headers=nobody(api))
    html = api.client.get(page).text
    src = f"{page}/evidence/{evidence['id']}/thumbnail"
    assert f'src="{src}"' in html
    r = api.client.get(src)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"  # an opaque PNG is kept as JPEG
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-content-type-options"] == "nosniff"
    assert max(Image.open(io.BytesIO(r.content)).size) <= 320
    # Evidence of another follow-up is not reachable through this link, nor with a forged link.
    other = new_followup(api, ids, due_date="2027-06-30")
    other_link = f"/api/v1/actions/{link_for(other, ids['kelurahan'])}"
    theirs = api.post(f"{other_link}/evidence", files={"file": ("x.png", png_bytes(), "image/png")},
                      headers=nobody(api)).json()
    assert api.client.get(f"{page}/evidence/{theirs['id']}/thumbnail").status_code == 404
    forged = page[:-4] + ("AAAA" if not page.endswith("AAAA") else "BBBB")
    assert api.client.get(f"{forged}/evidence/{evidence['id']}/thumbnail").status_code == 401


def test_the_page_refuses_kindly_and_checks_the_origin(world):
    api, ids, followup, base = world
    page = page_of(base)
    token = page.rsplit("/", 1)[1]
    r = api.client.get(f"/a/{token[:-3]}xyz")
    assert r.status_code == 401 and "Tautan tidak dapat dibuka" in r.text
    expired = link_for(followup, ids["kelurahan"], datetime.now(UTC) - timedelta(days=31))
    r = api.client.get(f"/a/{expired}")
    assert r.status_code == 410 and "Tautan ini sudah kedaluwarsa" in r.text
    assert r.headers["referrer-policy"] == "no-referrer"
    for cross_site in ({"Origin": "https://evil.example"}, {"Origin": "null", "Sec-Fetch-Site": "cross-site"}):
        r = api.client.post(f"{page}/acknowledge", data={}, headers=cross_site)
        assert r.status_code == 403 and "tidak dikirim dari halaman Minilok" in r.text
    assert api.get(f"/api/v1/follow-ups/{followup['id']}").json()["acknowledged_at"] is None
    # Our own page under no-referrer: the browser says Origin null, Sec-Fetch-Site same-origin.
    r = api.client.post(f"{page}/acknowledge", data={}, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
                        follow_redirects=False)
    assert r.status_code == 303
    r = api.client.post(f"{page}/progress", data={"note": "", "percent": "30"})
    assert r.status_code == 422 and "note" in r.text and 'class="error-box"' in r.text
    assert f'href="{page}?lang=en"' in r.text  # the switch opens the page, not the form's path
    english = api.client.get(f"{page}?lang=en").text
    assert "Ask for more time" in english and "Wednesday, 30 June 2027 23:59 WITA" in english
    r = api.client.post(f"{page}/extend", data={"due_date": "2027-07-15", "reason": "Dana belum cair"},
                        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?ok=extend")
