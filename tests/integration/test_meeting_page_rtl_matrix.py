"""The meeting page's RTL rows with the matrix's columns (cost typed as people write it, funding
source chosen in words), and "Tindak lanjut minilok sebelumnya" with its one-click statuses."""

from __future__ import annotations

import html
import re

from minilok_meetings import models
from test_meeting_page_forms import followups_of, notulen_form, page_of, value_of
from test_meetings_dashboard_access import signed_in
from test_meetings_followups import new_followup, setup_puskesmas


def matrix_row(ids, **changes) -> dict:
    row = {"rtl-0-title": "PSN serentak RW 05", "rtl-0-owner": str(ids["kelurahan"]), "rtl-0-due_date": "27/02/2030",
           "rtl-0-priority": "normal", "rtl-0-objective": "ABJ naik ke 95%", "rtl-0-target_group": "420 KK RW 05",
           "rtl-0-location": "RW 05 Baru Tengah", "rtl-0-success_indicator": "ABJ ≥ 95% pada PJB Maret",
           "rtl-0-cost": "Rp 1.500.000", "rtl-0-funding_source": "dana_desa"}
    return {**row, **changes}


def test_a_row_with_the_matrix_columns_is_saved_and_shown_back(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    response = client.post(f"/meetings/{ids['meeting']}/notulen", data=notulen_form(client, ids, **matrix_row(ids)),
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    (f,) = followups_of(api, ids["meeting"])
    assert (f.objective, f.target_group, f.location, f.success_indicator, f.cost_estimate, f.funding_source) == (
        "ABJ naik ke 95%", "420 KK RW 05", "RW 05 Baru Tengah", "ABJ ≥ 95% pada PJB Maret", 1_500_000, "dana_desa")
    page = html.unescape(page_of(client, ids))
    assert value_of(page, "rtl-0-cost") == "Rp 1.500.000"
    assert '<option value="dana_desa" selected>Dana Desa</option>' in page
    assert '<option value="swadaya" >Swadaya masyarakat</option>' in page or "Swadaya masyarakat" in page
    assert 'details class="wide matrix" open' in page  # a filled matrix shows unfolded

    # Changing only the cost (written without "Rp") patches it, and the history says before and after.
    data = {**notulen_form(client, ids), **{k: v for k, v in matrix_row(ids).items()},
            "rtl-0-id": str(f.id), "rtl-0-cost": "2250000"}
    assert client.post(f"/meetings/{ids['meeting']}/notulen", data=data, follow_redirects=False).status_code == 303
    history = api.get(f"/api/v1/follow-ups/{f.id}/history").json()["items"]
    assert history[-1]["kind"] == "updated"
    assert history[-1]["data"] == {"before": {"cost_estimate": 1_500_000}, "after": {"cost_estimate": 2_250_000}}


def test_a_cost_that_cannot_be_read_keeps_everything_typed(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    data = notulen_form(client, ids, summary="Minilok: PSN.", **matrix_row(ids, **{"rtl-0-cost": "satu setengah juta"}))
    response = client.post(f"/meetings/{ids['meeting']}/notulen", data=data)
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert 'id="rtl-0-cost-error">tulis biaya dalam rupiah tanpa sen, mis. Rp 1.500.000 atau 1500000</p>' in page
    assert value_of(page, "rtl-0-cost") == "satu setengah juta"
    for field in ("objective", "target_group", "location", "success_indicator"):
        assert value_of(page, f"rtl-0-{field}") == matrix_row(ids)[f"rtl-0-{field}"]
    assert '<option value="dana_desa" selected>Dana Desa</option>' in page
    assert "cost_estimate" not in page and followups_of(api, ids["meeting"]) == []


def _earlier(api, ids) -> dict:
    r = api.post("/api/v1/meetings", json={"puskesmas_id": ids["puskesmas"], "kind": "monthly_internal",
                                           "title": "Minilok November", "scheduled_at": "2025-11-05T09:00:00+08:00"})
    return {**ids, "meeting": r.json()["id"]}


def test_carried_over_rows_record_the_status_discussed_in_one_click(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    earlier = _earlier(api, ids)
    late = new_followup(api, earlier, title="PSN RW 05", due_date="2025-11-28")
    going = new_followup(api, earlier, title="Kunjungan rumah TB", due_date="2030-01-31")
    waiting = new_followup(api, earlier, title="Pemutakhiran sasaran")
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    page = html.unescape(page_of(client, ids))
    section = page[page.index('id="carried-over"'):page.index('id="notulen"')]
    assert "Tindak lanjut minilok sebelumnya" in section
    for title in ("PSN RW 05", "Kunjungan rumah TB", "Pemutakhiran sasaran", "Minilok November",
                  "Kelurahan Baru Tengah", "Belum dimulai", "Sedang dikerjakan", "Selesai"):
        assert title in section, title
    assert re.search(r"terlambat \d+ hari", section)
    assert "in_progress" not in section.replace('value="in_progress"', "")

    def click(followup, outcome, lang=""):
        form = {"csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1), "outcome": outcome}
        return client.post(f"/meetings/{ids['meeting']}/carried-over/{followup['id']}{lang}", data=form,
                           follow_redirects=True)

    done = click(late, "done")
    assert done.status_code == 200 and "Tercatat: “PSN RW 05” — Selesai." in html.unescape(done.text)
    assert click(going, "in_progress").status_code == 200
    assert click(waiting, "not_started").status_code == 200
    with api.client.app.state.sessionmaker() as session:
        status = {f.id: f.status for f in session.query(models.FollowUp)}
    assert (status[late["id"]], status[going["id"]], status[waiting["id"]]) == ("done", "in_progress", "open")
    notes = {f["id"]: api.get(f"/api/v1/follow-ups/{f['id']}/history").json()["items"][-1]
             for f in (late, going, waiting)}
    assert (notes[late["id"]]["kind"], notes[late["id"]]["data"]["note"]) == (
        "complete", "Dibahas di Minilok lintas sektor: Selesai")
    assert (notes[going["id"]]["kind"], notes[going["id"]]["data"]["note"]) == (
        "progress", "Dibahas di Minilok lintas sektor: Sedang dikerjakan")
    assert (notes[waiting["id"]]["kind"], notes[waiting["id"]]["data"]["note"]) == (
        "note", "Dibahas di Minilok lintas sektor: Belum dimulai")
    # Done leaves the list; the others stay for the next time.
    carried = [c["id"] for c in api.get(f"/api/v1/meetings/{ids['meeting']}").json()["carried_over"]]
    assert late["id"] not in carried and going["id"] in carried and waiting["id"] in carried
    again = click(late, "done")
    assert "tidak lagi tertunda" in html.unescape(again.text)
    odd = click(going, "selesai_kah")
    assert "pilih status yang dibahas" in html.unescape(odd.text)
    english = html.unescape(client.get(f"/meetings/{ids['meeting']}?lang=en").text)
    assert "Follow-ups from earlier meetings" in english and "Not started yet" in english


def test_an_agency_sees_its_carried_over_rows_but_cannot_record_them(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    earlier = _earlier(api, ids)
    mine = new_followup(api, earlier, title="PSN RW 05")
    api.put(f"/api/v1/meetings/{ids['meeting']}/invitations", json=[ids["kelurahan"]])
    client = signed_in(api, role="agency", agency_id=ids["kelurahan"])
    response = client.get(f"/meetings/{ids['meeting']}")
    if response.status_code == 200:
        assert f'action="/meetings/{ids["meeting"]}/carried-over/' not in response.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', response.text)
    form = {"csrf": csrf.group(1) if csrf else "", "outcome": "done"}
    client.post(f"/meetings/{ids['meeting']}/carried-over/{mine['id']}", data=form)
    with api.client.app.state.sessionmaker() as session:
        assert session.get(models.FollowUp, mine["id"]).status == "open"
