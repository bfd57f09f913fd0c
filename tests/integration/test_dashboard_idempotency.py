"""The dashboard's forms carry one Idempotency-Key per render: a double submit creates nothing twice,
and the notulen form that adds several follow-ups keeps the good rows when one fails."""

from __future__ import annotations

import re

from minilok_meetings import models
from test_idempotency import count
from test_meetings_dashboard_access import signed_in
from test_meetings_followups import outbox_events, setup_puskesmas


def form_fields(page: str, action: str) -> dict[str, str]:
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form posting to {action}"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    assert hidden.get("idempotency_key"), "the form carries no idempotency key"
    return hidden


def rtl_rows(*rows: dict) -> dict:
    """The notulen form's RTL rows (`rtl-<n>-<field>`), each given as {title, owner, due_days}."""
    fields = {}
    for n, row in enumerate(rows):
        fields.update({f"rtl-{n}-title": row["title"], f"rtl-{n}-owner": row["owner"],
                       f"rtl-{n}-due_date": row.get("due_date", ""), f"rtl-{n}-due_days": row.get("due_days", ""),
                       f"rtl-{n}-priority": "normal", f"rtl-{n}-action": ""})
    return fields


def test_a_double_submitted_follow_up_form_creates_its_follow_ups_once(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    client = signed_in(api, role="admin")
    action = f"/meetings/{ids['meeting']}/notulen"
    hidden = form_fields(client.get(f"/meetings/{ids['meeting']}").text, action)
    rows = {**hidden, **rtl_rows(
        {"title": "Fogging fokus RW 05", "owner": str(ids["kelurahan"]), "due_date": "2030-05-31"},
        {"title": "Larvasida di sekolah", "owner": str(ids["school"]), "due_date": "2030-06-30"})}
    before = count(api, models.FollowUp.__table__)
    first = client.post(action, data=rows, follow_redirects=False)
    second = client.post(action, data=rows, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert count(api, models.FollowUp.__table__) == before + 2
    assert len(outbox_events(api, "followup.created")) == 2

    fresh = form_fields(client.get(f"/meetings/{ids['meeting']}").text, action)
    assert fresh["idempotency_key"] != hidden["idempotency_key"]  # a new render is a new request
    assert client.post(action, data={**rows, **{k: v for k, v in fresh.items() if not k.startswith("rtl-")}},
                       follow_redirects=False).status_code == 303
    assert count(api, models.FollowUp.__table__) == before + 4


def test_a_failing_row_is_dropped_and_the_good_rows_stay_under_one_key(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    client = signed_in(api, role="admin")
    action = f"/meetings/{ids['meeting']}/notulen"
    hidden = form_fields(client.get(f"/meetings/{ids['meeting']}").text, action)
    rows = {**hidden, **rtl_rows(
        {"title": "Fogging fokus RW 05", "owner": str(ids["kelurahan"]), "due_date": "2030-05-31"},
        {"title": "Pemilik tidak ada", "owner": "999999", "due_date": "2030-05-31"},
        {"title": "Larvasida di sekolah", "owner": str(ids["school"]), "due_date": "2030-06-30"})}
    before = count(api, models.FollowUp.__table__)
    response = client.post(action, data=rows, follow_redirects=False)
    assert response.status_code == 422  # the page again, the failing row as typed
    assert "Pemilik tidak ada" in response.text
    with api.client.app.state.sessionmaker() as session:
        titles = set(session.query(models.FollowUp.title).filter(models.FollowUp.meeting_id == ids["meeting"])
                     .all())
    assert {t for (t,) in titles} == {"Fogging fokus RW 05", "Larvasida di sekolah"}
    assert count(api, models.FollowUp.__table__) == before + 2
    assert sorted(e["data"]["followup"]["title"] for e in outbox_events(api, "followup.created")) == [
        "Fogging fokus RW 05", "Larvasida di sekolah"]
    assert client.post(action, data=rows, follow_redirects=False).status_code == 422  # same key: same answer
    assert count(api, models.FollowUp.__table__) == before + 2


def test_no_owner_or_agency_is_chosen_until_someone_chooses_one(meetings_api):
    """A forgotten choice must not give the follow-up (or the attendee) to the first agency listed."""
    api = meetings_api
    ids = setup_puskesmas(api)
    client = signed_in(api, role="admin")
    page = client.get(f"/meetings/{ids['meeting']}").text
    assert '<select id="rtl-0-owner" name="rtl-0-owner" ><option value="" selected>— pilih —</option>' in page
    # Attendance is a table of every agency: an agency is a row, never a choice that defaults.
    assert 'name="att-0-agency"' in page and 'name="agency_id" required' not in page
    action = f"/meetings/{ids['meeting']}/notulen"
    rows = {**form_fields(page, action), **rtl_rows(
        {"title": "Fogging fokus RW 05", "owner": "", "due_days": "5"},
        {"title": "Larvasida di sekolah", "owner": str(ids["school"]), "due_date": "2030-06-30"})}
    before = count(api, models.FollowUp.__table__)
    response = client.post(action, data=rows, follow_redirects=True)
    assert 'id="rtl-0-owner-error">pilih penanggung jawab</p>' in response.text
    assert "owner_agency_id" not in response.text
    assert count(api, models.FollowUp.__table__) == before + 1  # only the row with an owner


def test_pages_name_the_zone_as_people_say_it(meetings_api):
    """WITA on the overview and the meeting page, never the tz database's "Asia/Makassar"."""
    api = meetings_api
    ids = setup_puskesmas(api)  # Puskesmas Baru Tengah, Balikpapan: Asia/Makassar
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    for path in ("/", f"/meetings/{ids['meeting']}"):
        page = client.get(path)
        assert page.status_code == 200 and "WITA" in page.text, path
        assert "Asia/Makassar" not in page.text, path


def test_the_follow_up_page_names_who_did_what(meetings_api):
    """History says "Kelurahan Baru Tengah (lewat tautan)" and "Petugas puskesmas", never agency:17."""
    api = meetings_api
    ids = setup_puskesmas(api)
    followup = api.post(f"/api/v1/meetings/{ids['meeting']}/follow-ups", json={
        "title": "Pelacakan kontak erat TB", "owner_agency_id": ids["kelurahan"], "due_date": "2030-01-30"}).json()
    # As the action link acts: its subject names the agency.
    owner = api.headers("agency", agency_id=ids["kelurahan"], subject=f"agency:{ids['kelurahan']}:link")
    assert api.post(f"/api/v1/follow-ups/{followup['id']}/acknowledge", json={}, headers=owner).status_code == 200
    page = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"]).get(f"/follow-ups/{followup['id']}").text
    history = page.split('class="history"', 1)[-1]
    assert "Kelurahan Baru Tengah (lewat tautan)" in history and "Petugas puskesmas" in history
    assert f"agency:{ids['kelurahan']}" not in page and "admin:" not in page
