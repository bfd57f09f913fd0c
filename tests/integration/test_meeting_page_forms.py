"""The meeting page's forms through the dashboard on a real database: the notulen and its RTL rows
in one post that keeps everything typed when a part fails, a due date already past asked about,
rows edited and removed before publishing, the attendance table, agenda items edited and removed
(also through the API), indicators by name, and publishing only after the confirmation."""

from __future__ import annotations

import html
import re

from minilok_meetings import models
from support import free_port
from test_dashboard_idempotency import form_fields
from test_meetings_dashboard_access import signed_in
from test_meetings_followups import outbox_events, setup_puskesmas
from test_meetings_proposals import below_target, loop, proposals  # noqa: F401, F811  (loop is a fixture)


def page_of(client, ids) -> str:
    response = client.get(f"/meetings/{ids['meeting']}")
    assert response.status_code == 200, response.text
    return response.text


def notulen_form(client, ids, **fields) -> dict:
    return {**form_fields(page_of(client, ids), f"/meetings/{ids['meeting']}/notulen"), **fields}


def followups_of(api, meeting_id: int) -> list[models.FollowUp]:
    with api.client.app.state.sessionmaker() as session:
        return session.query(models.FollowUp).filter(models.FollowUp.meeting_id == meeting_id) \
            .order_by(models.FollowUp.id).all()


def value_of(page: str, field_id: str) -> str:
    found = re.search(rf'id="{re.escape(field_id)}"[^>]*value="([^"]*)"', page)
    assert found, f"no input {field_id}"
    return html.unescape(found.group(1))


def test_a_failing_rtl_row_keeps_the_notulen_and_every_row_typed(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    data = notulen_form(
        client, ids, summary="Minilok lintas sektor Baru Tengah: cek kesehatan gratis, TB, gizi, ORI campak.",
        decision=["Cek kesehatan gratis di sekolah", "Penemuan kasus aktif TB", ""],
        **{"rtl-0-title": "Cek kesehatan gratis di sekolah", "rtl-0-owner": str(ids["school"]),
           "rtl-0-supporting": [str(ids["kelurahan"]), str(ids["rt"])], "rtl-0-due_date": "2030-02-27",
           "rtl-0-priority": "normal", "rtl-0-action": "Pendaftaran mandiri oleh orang tua",
           "rtl-1-title": "Penemuan kasus aktif TB di RT dengan kasus tertinggi", "rtl-1-owner": "",
           "rtl-1-due_date": "2030-01-31", "rtl-1-priority": "high", "rtl-1-action": "Pelacakan kontak erat",
           "rtl-2-title": "", "rtl-2-owner": "", "rtl-2-due_date": "", "rtl-2-priority": "normal"})
    response = client.post(f"/meetings/{ids['meeting']}/notulen", data=data)
    assert response.status_code == 422
    page = html.unescape(response.text)
    # The good row and the notulen are saved; the failing row is still there as typed, its error by its field.
    assert "Notulen disimpan. 1 RTL ditambahkan." in page
    assert "Penemuan kasus aktif TB di RT dengan kasus tertinggi" in page and "Pelacakan kontak erat" in page
    assert 'id="rtl-1-owner-error">pilih penanggung jawab</p>' in page
    assert 'aria-invalid="true" aria-describedby="rtl-1-owner-error"' in page
    assert "owner_agency_id" not in page
    assert value_of(page, "rtl-1-due_date") == "2030-01-31"
    assert value_of(page, "decision-1") == "Penemuan kasus aktif TB"
    assert "Cek kesehatan gratis di sekolah" in page
    saved = followups_of(api, ids["meeting"])
    assert [f.title for f in saved] == ["Cek kesehatan gratis di sekolah"]
    assert sorted(saved[0].supporting_agency_ids) == sorted([ids["kelurahan"], ids["rt"]])
    # The saved row came back as a saved row: posting the page again does not create it twice.
    assert f'name="rtl-0-id" value="{saved[0].id}"' in page

    again = {**form_fields(page, f"/meetings/{ids['meeting']}/notulen")}
    fields = dict(re.findall(r'name="(rtl-\d+-(?:id|title|due_date|due_days|action))"[^>]*?value="([^"]*)"', page))
    again.update({k: html.unescape(v) for k, v in fields.items()})
    again.update({"summary": "Minilok lintas sektor Baru Tengah.", "decision": ["Cek kesehatan gratis di sekolah"],
                  "rtl-0-owner": str(ids["school"]), "rtl-0-priority": "normal",
                  "rtl-0-supporting": [str(ids["kelurahan"]), str(ids["rt"])],
                  "rtl-1-owner": str(ids["kelurahan"]), "rtl-1-priority": "high"})
    response = client.post(f"/meetings/{ids['meeting']}/notulen", data=again, follow_redirects=True)
    assert response.status_code == 200
    assert "1 RTL ditambahkan" in html.unescape(response.text)
    assert [f.title for f in followups_of(api, ids["meeting"])] == [
        "Cek kesehatan gratis di sekolah", "Penemuan kasus aktif TB di RT dengan kasus tertinggi"]


def test_a_due_date_in_the_past_is_saved_only_once_confirmed(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    row = {"rtl-0-title": "ORI campak sesuai instruksi Dinas Kesehatan Kota", "rtl-0-owner": str(ids["head"]),
           "rtl-0-due_date": "2025-12-10", "rtl-0-priority": "high"}
    response = client.post(f"/meetings/{ids['meeting']}/notulen", data=notulen_form(client, ids, **row))
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert "Tenggat sudah lewat — tetap simpan?" in page and 'name="rtl-0-confirm_past"' in page
    assert followups_of(api, ids["meeting"]) == []
    confirmed = {**form_fields(page, f"/meetings/{ids['meeting']}/notulen"), **row, "rtl-0-confirm_past": "1"}
    response = client.post(f"/meetings/{ids['meeting']}/notulen", data=confirmed, follow_redirects=False)
    assert response.status_code == 303
    assert [f.title for f in followups_of(api, ids["meeting"])] == [row["rtl-0-title"]]


def test_working_days_count_from_the_meeting_date(meetings_api):
    """20 working days from the meeting on Wednesday 3 Dec 2025 (WITA), past Christmas and New Year."""
    api = meetings_api
    ids = setup_puskesmas(api)
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    row = {"rtl-0-title": "Peningkatan D/S posyandu", "rtl-0-owner": str(ids["kelurahan"]), "rtl-0-due_days": "20",
           "rtl-0-priority": "normal", "rtl-0-confirm_past": "1"}
    assert client.post(f"/meetings/{ids['meeting']}/notulen", data=notulen_form(client, ids, **row),
                       follow_redirects=False).status_code == 303
    (followup,) = followups_of(api, ids["meeting"])
    assert followup.due_at.year == 2026 and followup.due_at.month in (1, 2)


def test_saved_rows_are_edited_and_removed_before_publishing(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    for title in ("Optimalisasi CSR untuk kader", "Sweeping balita"):
        r = api.post(f"/api/v1/meetings/{ids['meeting']}/follow-ups", json={
            "title": title, "owner_agency_id": ids["kelurahan"], "due_date": "2030-03-31"})
        assert r.status_code == 201, r.text
    keep, drop = followups_of(api, ids["meeting"])
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    page = page_of(client, ids)
    assert value_of(page, "rtl-0-title") == "Optimalisasi CSR untuk kader"
    data = notulen_form(client, ids, **{
        "rtl-0-id": str(keep.id), "rtl-0-title": "Optimalisasi peran CSR untuk apresiasi kader",
        "rtl-0-owner": str(ids["kecamatan"]), "rtl-0-supporting": [str(ids["school"])], "rtl-0-due_date": "2030-04-30",
        "rtl-0-priority": "high", "rtl-0-action": "Surat ke mitra CSR",
        "rtl-1-id": str(drop.id), "rtl-1-title": "Sweeping balita", "rtl-1-owner": str(ids["kelurahan"]),
        "rtl-1-due_date": "2030-03-31", "rtl-1-priority": "normal", "rtl-1-remove": "1"})
    response = client.post(f"/meetings/{ids['meeting']}/notulen", data=data, follow_redirects=True)
    assert "1 RTL diubah. 1 RTL dihapus dari notulen." in html.unescape(response.text)
    with api.client.app.state.sessionmaker() as session:
        kept, dropped = session.get(models.FollowUp, keep.id), session.get(models.FollowUp, drop.id)
        assert (kept.title, kept.owner_agency_id, kept.priority, kept.action) == (
            "Optimalisasi peran CSR untuk apresiasi kader", ids["kecamatan"], "high", "Surat ke mitra CSR")
        assert kept.supporting_agency_ids == [ids["school"]]
        assert dropped.status == "cancelled"
    # The owner hears of the removal; the row leaves the page and the documents.
    assert [e["data"]["followup"]["id"] for e in outbox_events(api, "followup.cancelled")] == [drop.id]
    assert "Sweeping balita" not in page_of(client, ids)
    xlsx = client.get(f"/meetings/{ids['meeting']}/follow-ups.xlsx")
    assert xlsx.status_code == 200 and b"Sweeping" not in xlsx.content


def test_the_attendance_table_lists_every_agency_and_saves_in_one_submit(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    assert api.put(f"/api/v1/meetings/{ids['meeting']}/invitations", json=[ids["rt"], ids["school"]]).status_code == 200
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    page = html.unescape(page_of(client, ids))
    table = page.split('id="attendance-form"', 1)[1].split("</table>", 1)[0]
    agencies = re.findall(r'name="att-(\d+)-agency" value="(\d+)"', table)
    order = [int(agency) for _, agency in agencies]
    assert set(order[:2]) == {ids["rt"], ids["school"]}  # invited first
    assert {ids["dinkes"], ids["head"], ids["kecamatan"], ids["kelurahan"]} <= set(order)
    index = {agency: n for n, agency in agencies}
    hidden = form_fields(page, f"/meetings/{ids['meeting']}/attendance")
    data = {**hidden, **{f"att-{n}-agency": a for n, a in agencies}}
    k, s, rt = index[str(ids["kelurahan"])], index[str(ids["school"])], index[str(ids["rt"])]
    data.update({f"att-{k}-present": "1", f"att-{k}-name": "Andi Saputra", f"att-{k}-role": "Lurah",
                 f"att-{s}-present": "1", f"att-{s}-name": "", f"att-{rt}-name": "Budi", f"att-{rt}-role": "Ketua RT"})
    response = client.post(f"/meetings/{ids['meeting']}/attendance", data=data)
    assert response.status_code == 422  # ticked without a name
    failed = html.unescape(response.text)
    assert f'id="att-{s}-name-error">isi nama yang hadir</p>' in failed
    assert value_of(failed, f"att-{k}-name") == "Andi Saputra"
    assert api.get(f"/api/v1/meetings/{ids['meeting']}").json()["attendance"] == []

    data[f"att-{s}-name"] = "Sri Wahyuni"
    data["idempotency_key"] = form_fields(failed, f"/meetings/{ids['meeting']}/attendance")["idempotency_key"]
    assert client.post(f"/meetings/{ids['meeting']}/attendance", data=data, follow_redirects=False).status_code == 303
    rows = {a["person_name"]: a for a in api.get(f"/api/v1/meetings/{ids['meeting']}").json()["attendance"]}
    assert set(rows) == {"Andi Saputra", "Sri Wahyuni", "Budi"}
    assert rows["Budi"]["present"] is False and rows["Andi Saputra"]["role"] == "Lurah"

    # Edited before publishing: a name corrected, a row removed by clearing its name.
    page = html.unescape(page_of(client, ids))
    assert value_of(page, f"att-{k}-name") == "Andi Saputra"
    data.update({f"att-{k}-name": "Andi Saputro", f"att-{rt}-name": "",
                 "idempotency_key": form_fields(page, f"/meetings/{ids['meeting']}/attendance")["idempotency_key"]})
    assert client.post(f"/meetings/{ids['meeting']}/attendance", data=data, follow_redirects=False).status_code == 303
    names = {a["person_name"] for a in api.get(f"/api/v1/meetings/{ids['meeting']}").json()["attendance"]}
    assert names == {"Andi Saputro", "Sri Wahyuni"}


def test_agenda_items_are_edited_and_removed_until_publishing_through_the_api(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    url = f"/api/v1/meetings/{ids['meeting']}/agenda"
    item = api.post(url, json={"title": "Cakupan layanan kesehatan gratis di sekolah"}).json()
    other = api.post(url, json={"title": "ORI campak"}).json()
    stranger = api.headers("puskesmas", puskesmas_id=ids["puskesmas"] + 999)
    assert api.patch(f"{url}/{item['id']}", json={"notes": "x"}, headers=stranger).status_code == 403
    assert api.patch(f"{url}/{item['id']}", json={"indicator_code": "bukan kode!"}).status_code == 422
    r = api.patch(f"{url}/{item['id']}", json={"title": "Cek kesehatan gratis di sekolah",
                                               "presenter_agency_id": ids["school"], "notes": "UKS"})
    assert r.status_code == 200 and r.json()["title"] == "Cek kesehatan gratis di sekolah"
    assert r.json()["presenter_agency_id"] == ids["school"]
    assert api.patch(f"{url}/{item['id']}", json={"notes": None}).json()["notes"] is None
    assert api.patch(f"{url}/999999", json={"notes": "x"}).status_code == 404
    assert api.delete(f"{url}/{other['id']}").status_code == 204
    assert [a["title"] for a in api.get(f"/api/v1/meetings/{ids['meeting']}").json()["agenda"]] == [
        "Cek kesehatan gratis di sekolah"]
    assert api.post(f"/api/v1/meetings/{ids['meeting']}/minutes", json={"summary": "Selesai."}).status_code == 200
    assert api.post(f"/api/v1/meetings/{ids['meeting']}/publish").status_code == 200
    assert api.patch(f"{url}/{item['id']}", json={"notes": "x"}).status_code == 409
    assert api.delete(f"{url}/{item['id']}").status_code == 409


def test_the_agenda_indicator_is_a_name_and_a_wrong_one_is_a_sentence(meetings_api, monkeypatch):
    """With the indicators service down the page says so; a name not in the catalogue is a sentence
    by the field (what was typed kept), never a pattern error."""
    api = meetings_api
    ids = setup_puskesmas(api)
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    monkeypatch.setattr(api.client.app.state.settings, "indicators_url", f"http://127.0.0.1:{free_port()}")
    page = page_of(client, ids)
    assert 'id="catalogue-down"' in page  # nothing listens there
    hidden = form_fields(page, f"/meetings/{ids['meeting']}/agenda")
    response = client.post(f"/meetings/{ids['meeting']}/agenda", data={
        **hidden, "title": "Program TB", "presenter_agency_id": "", "indicator": "Cakupan TB (salah ketik)!",
        "notes": ""})
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "katalog indikator tidak terjangkau sekarang" in text and "pattern" not in text
    assert value_of(text, "ag-new-title") == "Program TB"

    from minilok_meetings.web import meeting_page
    catalogue = [{"code": "TB_CNR", "name": "Angka notifikasi kasus TB"},
                 {"code": "DS_POSYANDU", "name": "D/S posyandu (balita ditimbang)"}]
    monkeypatch.setattr(meeting_page, "indicator_catalogue", lambda request, user: catalogue)
    page = page_of(client, ids)
    assert '<option value="Angka notifikasi kasus TB">' in page
    hidden = form_fields(page, f"/meetings/{ids['meeting']}/agenda")
    wrong = client.post(f"/meetings/{ids['meeting']}/agenda", data={
        **hidden, "title": "Program TB", "indicator": "Angka TB"})
    assert wrong.status_code == 422
    assert "indikator “Angka TB” tidak ada di katalog; pilih dari daftar" in html.unescape(wrong.text)
    hidden = form_fields(wrong.text, f"/meetings/{ids['meeting']}/agenda")
    ok = client.post(f"/meetings/{ids['meeting']}/agenda", data={
        **hidden, "title": "Program TB", "indicator": "angka notifikasi kasus tb"}, follow_redirects=True)
    assert ok.status_code == 200
    (item,) = api.get(f"/api/v1/meetings/{ids['meeting']}").json()["agenda"]
    assert item["indicator_code"] == "TB_CNR"
    assert "Indikator: Angka notifikasi kasus TB" in ok.text and ">TB_CNR<" not in ok.text

    # Edited and removed on the page.
    page = page_of(client, ids)
    hidden = form_fields(page, f"/meetings/{ids['meeting']}/agenda/{item['id']}")
    client.post(f"/meetings/{ids['meeting']}/agenda/{item['id']}", data={
        **hidden, "title": "Penemuan kasus aktif TB", "indicator": "Angka notifikasi kasus TB",
        "indicator_shown": "Angka notifikasi kasus TB", "presenter_agency_id": str(ids["head"]), "notes": ""})
    (item,) = api.get(f"/api/v1/meetings/{ids['meeting']}").json()["agenda"]
    assert (item["title"], item["indicator_code"], item["presenter_agency_id"]) == (
        "Penemuan kasus aktif TB", "TB_CNR", ids["head"])
    hidden = form_fields(page_of(client, ids), f"/meetings/{ids['meeting']}/agenda/{item['id']}/delete")
    client.post(f"/meetings/{ids['meeting']}/agenda/{item['id']}/delete", data=hidden)
    assert api.get(f"/api/v1/meetings/{ids['meeting']}").json()["agenda"] == []


def test_publishing_asks_for_the_confirmation_and_says_what_it_does(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    for owner in (ids["kelurahan"], ids["kelurahan"], ids["school"]):
        api.post(f"/api/v1/meetings/{ids['meeting']}/follow-ups", json={
            "title": "RTL", "owner_agency_id": owner, "due_date": "2030-03-31"})
    api.post(f"/api/v1/meetings/{ids['meeting']}/minutes", json={"summary": "Ringkasan."})
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    page = page_of(client, ids)
    assert "Notulen akan dikunci" in page and "3 RTL tercatat untuk 2 lembaga penanggung jawab" in page
    hidden = form_fields(page, f"/meetings/{ids['meeting']}/publish")
    refused = client.post(f"/meetings/{ids['meeting']}/publish", data=hidden, follow_redirects=True)
    assert "centang konfirmasi dulu" in html.unescape(refused.text)
    assert api.get(f"/api/v1/meetings/{ids['meeting']}").json()["status"] == "scheduled"
    hidden = form_fields(refused.text, f"/meetings/{ids['meeting']}/publish")
    client.post(f"/meetings/{ids['meeting']}/publish", data={**hidden, "confirm": "1"})
    assert api.get(f"/api/v1/meetings/{ids['meeting']}").json()["status"] == "published"
    assert f'action="/meetings/{ids["meeting"]}/notulen"' not in page_of(client, ids)


def test_an_agenda_item_from_a_proposal_removed_puts_the_proposal_back_on_offer(loop):  # noqa: F811
    loop["consumer"].handle(below_target("21.71.06.1004"))
    (proposal,) = proposals(loop)
    api, token, meeting = loop["api"], loop["baloi_token"], loop["baloi_meeting"]
    assert api.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=token,
                    json={"meeting_id": meeting}).status_code == 200
    (item,) = api.get(f"/api/v1/meetings/{meeting}").json()["agenda"]
    assert api.delete(f"/api/v1/meetings/{meeting}/agenda/{item['id']}", headers=token).status_code == 204
    assert [(p["id"], p["status"], p["meeting_id"]) for p in proposals(loop)] == [(proposal["id"], "proposed", None)]
    # ...and it can go on an agenda again.
    assert api.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=token,
                    json={"meeting_id": meeting}).status_code == 200
