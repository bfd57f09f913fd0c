"""The puskesmas's own settings pages (`/admin`) against the real app and database: only admins and
puskesmas users get in, a puskesmas only to its own; agencies with their parent chain in words,
contacts whose phone is taken as people write it, "boleh masuk" that sign-in obeys, the escalation
policy and the extra days off as forms whose errors are sentences next to the field with
everything typed kept."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient
from minilok_meetings import models
from minilok_meetings.service_layer.sign_in import SEALED_CODES
from sqlalchemy import select


def create(api, path, body):
    response = api.post(f"/api/v1/{path}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def signed_in(api, **scope) -> TestClient:
    client = TestClient(api.client.app)
    token = api.headers(**scope)["Authorization"].removeprefix("Bearer ")
    response = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def csrf_of(client: TestClient, path: str = "/admin") -> str:
    page = client.get(path)
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def text_of(response) -> str:
    """The page's words, tags dropped and entities read, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


@pytest.fixture
def world(meetings_api):
    api = meetings_api
    ids = {}
    for code, name, area in (("P6471010", "Puskesmas Baru Tengah", "64.71.01"),
                             ("P2171060", "Puskesmas Baloi Permai", "21.71.06")):
        ids[code] = create(api, "puskesmas", {"code": code, "name": name, "timezone": "Asia/Makassar",
                                              "area_code": area, "kota": "Kota Balikpapan",
                                              "provinsi": "Kalimantan Timur"})["id"]
    own = ids["P6471010"]
    ids["kecamatan"] = create(api, "agencies", {"name": "Kecamatan Balikpapan Barat", "kind": "kecamatan",
                                                "puskesmas_id": own})["id"]
    ids["kelurahan"] = create(api, "agencies", {"name": "Kelurahan Baru Tengah", "kind": "kelurahan",
                                                "puskesmas_id": own, "parent_id": ids["kecamatan"]})["id"]
    ids["other"] = create(api, "agencies", {"name": "Kelurahan rahasia Baloi", "kind": "kelurahan",
                                            "puskesmas_id": ids["P2171060"]})["id"]
    ids["dinas"] = create(api, "agencies", {"name": "Dinas Kesehatan Kota Balikpapan", "kind": "dinas_kesehatan",
                                            "area_code": "64.71"})["id"]
    return api, ids


def puskesmas_client(world):
    api, ids = world
    return signed_in(api, role="puskesmas", puskesmas_id=ids["P6471010"])


PAGES = ("/admin", "/admin/sign-in", "/admin/escalation", "/admin/days-off", "/admin/agencies/new")


@pytest.mark.parametrize("scope", ["agency", "dinas"])
def test_agency_and_dinas_users_get_403_pages_and_forms(world, scope):
    api, ids = world
    client = (signed_in(api, role="agency", agency_id=ids["kelurahan"]) if scope == "agency"
              else signed_in(api, role="dinas", agency_id=ids["dinas"], area_code="64.71"))
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    assert client.get(f"/admin/agencies/{ids['kelurahan']}").status_code == 403
    csrf = csrf_of(client, "/board")
    posts = [("/admin/agencies", {"name": "RT 99", "kind": "rt", "puskesmas_id": ids["P6471010"]}),
             (f"/admin/agencies/{ids['kelurahan']}", {"name": "Diambil alih", "kind": "kelurahan"}),
             (f"/admin/agencies/{ids['kelurahan']}/contacts", {"name": "Penyusup", "phone": "081255551234"}),
             ("/admin/escalation", {"puskesmas_id": ids["P6471010"], "due_soon_days": "1",
                                    "step-0-days": "0", "step-0-notify": "owner"}),
             ("/admin/days-off", {"puskesmas_id": ids["P6471010"], "day": "2026-01-05"})]
    for path, data in posts:
        response = client.post(path, data={**data, "csrf": csrf})
        assert response.status_code == 403, (path, response.text)
    assert api.get(f"/api/v1/agencies/{ids['kelurahan']}").json()["name"] == "Kelurahan Baru Tengah"
    assert api.get(f"/api/v1/puskesmas/{ids['P6471010']}").json()["extra_holidays"] == []
    assert api.get(f"/api/v1/escalation-policies/{ids['P6471010']}").json()["is_default"] is True


def test_a_puskesmas_sees_and_changes_only_its_own_agencies(world):
    api, ids = world
    client = puskesmas_client(world)
    listing = client.get(f"/admin?puskesmas_id={ids['P2171060']}")  # asking for another shows its own
    assert listing.status_code == 200
    assert "Kelurahan Baru Tengah" in listing.text and "Kelurahan rahasia Baloi" not in listing.text
    assert "Dinas Kesehatan Kota Balikpapan" in listing.text  # shared: listed, not editable
    assert f'href="/admin/agencies/{ids["dinas"]}"' not in listing.text
    csrf = csrf_of(client)
    assert client.get(f"/admin/agencies/{ids['other']}").status_code == 403
    assert client.get(f"/admin/agencies/{ids['dinas']}").status_code == 403
    for path, data in ((f"/admin/agencies/{ids['other']}", {"name": "Diambil alih", "kind": "kelurahan"}),
                       (f"/admin/agencies/{ids['dinas']}", {"name": "Diambil alih", "kind": "dinas_kesehatan"}),
                       (f"/admin/agencies/{ids['other']}/contacts", {"name": "Penyusup", "phone": "081255551234"})):
        assert client.post(path, data={**data, "csrf": csrf}).status_code == 403
    # A new agency goes to the user's own puskesmas whatever the form says.
    response = client.post("/admin/agencies", data={"csrf": csrf, "name": "RT 07", "kind": "rt",
                                                     "puskesmas_id": str(ids["P2171060"])}, follow_redirects=False)
    assert response.status_code == 303
    created = api.get(f"/api/v1/agencies/{response.headers['location'].rsplit('/', 1)[1]}").json()
    assert (created["name"], created["puskesmas_id"]) == ("RT 07", ids["P6471010"])
    assert "Kelurahan rahasia Baloi" == api.get(f"/api/v1/agencies/{ids['other']}").json()["name"]
    assert api.get(f"/api/v1/agencies/{ids['other']}").json()["contacts"] == []


def test_an_admin_chooses_the_puskesmas(world):
    api, ids = world
    client = signed_in(api, role="admin")
    page = client.get(f"/admin?puskesmas_id={ids['P2171060']}")
    assert "Kelurahan rahasia Baloi" in page.text and "Kelurahan Baru Tengah" not in page.text
    assert 'id="puskesmas_id"' in page.text  # the switch
    assert "Kelurahan Baru Tengah" in client.get(f"/admin?puskesmas_id={ids['P6471010']}").text


def test_an_agency_is_added_with_its_parent_chain_in_words(world):
    api, ids = world
    client = puskesmas_client(world)
    csrf = csrf_of(client)
    response = client.post("/admin/agencies", data={"csrf": csrf, "name": "RT 03", "kind": "rt",
                                                     "parent_id": str(ids["kelurahan"]), "area_code": ""},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    agency_id = int(response.headers["location"].rsplit("/", 1)[1])
    stored = api.get(f"/api/v1/agencies/{agency_id}").json()
    assert (stored["kind"], stored["parent_id"], stored["puskesmas_id"]) == ("rt", ids["kelurahan"], ids["P6471010"])
    listing = text_of(client.get("/admin"))
    assert "RT 03 › Kelurahan Baru Tengah › Kecamatan Balikpapan Barat" in listing
    assert "dinas_kesehatan" not in listing and " kelurahan " not in listing
    assert "Dinas Kesehatan" in listing and "Kecamatan" in listing
    page = text_of(client.get(f"/admin/agencies/{agency_id}"))
    assert "Jalur eskalasi: RT 03 › Kelurahan Baru Tengah › Kecamatan Balikpapan Barat" in page


def test_a_missing_name_or_kind_comes_back_with_sentences_and_what_was_typed(world):
    api, ids = world
    client = puskesmas_client(world)
    response = client.post("/admin/agencies", data={"csrf": csrf_of(client), "name": "Posyandu Melati 3",
                                                     "kind": "", "parent_id": str(ids["kelurahan"])})
    assert response.status_code == 422
    assert 'value="Posyandu Melati 3"' in response.text
    assert f'<option value="{ids["kelurahan"]}" selected>' in response.text
    assert re.search(r'id="err-a-kind">pilih salah satu dari daftar<', response.text)
    assert "literal_error" not in response.text and "kind:" not in response.text
    names = [a["name"] for a in api.get("/api/v1/agencies", params={"puskesmas_id": ids["P6471010"]}).json()["items"]]
    assert "Posyandu Melati 3" not in names


def test_a_cycle_in_the_parent_chain_is_refused_with_a_sentence(world):
    api, ids = world
    client = puskesmas_client(world)
    response = client.post(f"/admin/agencies/{ids['kecamatan']}",
                           data={"csrf": csrf_of(client), "name": "Kecamatan Balikpapan Barat (baru)",
                                 "kind": "kecamatan", "parent_id": str(ids["kelurahan"]), "area_code": ""})
    assert response.status_code == 422
    assert ("Kelurahan Baru Tengah sudah berada di bawah Kecamatan Balikpapan Barat: rantai induk akan berputar"
            in text_of(response))
    assert 'value="Kecamatan Balikpapan Barat (baru)"' in response.text  # what was typed stays
    assert api.get(f"/api/v1/agencies/{ids['kecamatan']}").json()["parent_id"] is None
    english = client.post(f"/admin/agencies/{ids['kecamatan']}?lang=en",
                          data={"csrf": csrf_of(client), "name": "Kecamatan Balikpapan Barat", "kind": "kecamatan",
                                "parent_id": str(ids["kelurahan"])})
    assert "the parent chain would form a cycle" in text_of(english)
    assert "rantai induk" not in text_of(english)


def test_an_agency_is_renamed_and_its_kind_changed(world):
    api, ids = world
    client = puskesmas_client(world)
    response = client.post(f"/admin/agencies/{ids['kelurahan']}",
                           data={"csrf": csrf_of(client), "name": "Desa Baru Tengah", "kind": "desa",
                                 "parent_id": str(ids["kecamatan"]), "area_code": ""}, follow_redirects=False)
    assert response.status_code == 303, response.text
    stored = api.get(f"/api/v1/agencies/{ids['kelurahan']}").json()
    assert (stored["name"], stored["kind"], stored["parent_id"]) == ("Desa Baru Tengah", "desa", ids["kecamatan"])


@pytest.mark.parametrize("typed", ["0812 5555 1234", "+62 812-5555-1234", "6281255551234", "0812-5555-1234"])
def test_a_phone_is_taken_as_people_write_it_and_shown_back_readable(world, typed):
    api, ids = world
    client = puskesmas_client(world)
    response = client.post(f"/admin/agencies/{ids['kelurahan']}/contacts",
                           data={"csrf": csrf_of(client), "name": "Bu Lurah Sri", "role": "Lurah", "phone": typed,
                                 "email": "", "can_sign_in": "1"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    contact = api.get(f"/api/v1/agencies/{ids['kelurahan']}").json()["contacts"][0]
    assert (contact["phone"], contact["can_sign_in"], contact["role"]) == ("+6281255551234", True, "Lurah")
    page = client.get(f"/admin/agencies/{ids['kelurahan']}")
    assert "0812-5555-1234" in page.text and "+6281255551234" not in page.text
    assert "0812-5555-1234" in client.get("/admin/sign-in").text


def test_a_wrong_phone_or_email_is_a_sentence_next_to_the_field(world):
    api, ids = world
    client = puskesmas_client(world)
    response = client.post(f"/admin/agencies/{ids['kelurahan']}/contacts",
                           data={"csrf": csrf_of(client), "name": "Pak RT", "role": "Ketua RT", "phone": "12345",
                                 "email": ""})
    assert response.status_code == 422
    assert re.search(r'id="err-c-phone">nomor telepon tidak valid<', response.text)
    assert all(f'value="{typed}"' in response.text for typed in ("Pak RT", "Ketua RT", "12345"))
    assert "E.164" not in response.text and "NumberParseException" not in response.text
    response = client.post(f"/admin/agencies/{ids['kelurahan']}/contacts",
                           data={"csrf": csrf_of(client), "name": "Pak RT", "email": "pak.rt.gmail.com"})
    assert response.status_code == 422
    assert "alamat email tidak valid" in text_of(response)
    response = client.post(f"/admin/agencies/{ids['kelurahan']}/contacts",
                           data={"csrf": csrf_of(client), "name": "Pak RT", "email": "pak@rt"})
    assert response.status_code == 422 and "alamat email tidak valid" in text_of(response)
    assert api.get(f"/api/v1/agencies/{ids['kelurahan']}").json()["contacts"] == []


def test_a_contact_is_removed(world):
    api, ids = world
    agency = api.patch(f"/api/v1/agencies/{ids['kelurahan']}",
                       json={"contacts": [{"name": "Bu Sri", "phone": "081255551234"},
                                          {"name": "Pak Joko", "email": "joko@baru-tengah.id"}]}).json()
    client = puskesmas_client(world)
    sri = agency["contacts"][0]["id"]
    response = client.post(f"/admin/agencies/{ids['kelurahan']}/contacts/{sri}/delete",
                           data={"csrf": csrf_of(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert [c["name"] for c in api.get(f"/api/v1/agencies/{ids['kelurahan']}").json()["contacts"]] == ["Pak Joko"]
    other = api.patch(f"/api/v1/agencies/{ids['other']}", json={"contacts": [{"name": "X", "phone": "081299990000"}]})
    foreign = other.json()["contacts"][0]["id"]
    # A contact of another agency, named through one's own agency's address, is not found.
    assert client.post(f"/admin/agencies/{ids['kelurahan']}/contacts/{foreign}/delete",
                       data={"csrf": csrf_of(client)}).status_code == 404


def test_the_api_carries_can_sign_in_defaulting_to_true(world):
    api, ids = world
    body = api.patch(f"/api/v1/agencies/{ids['kelurahan']}", json={"contacts": [
        {"name": "Bu Sri", "phone": "0812 5555 1234"}, {"name": "Pak Joko", "phone": "081255554321",
                                                          "can_sign_in": False}]}).json()
    assert [(c["phone"], c["can_sign_in"]) for c in body["contacts"]] == [("+6281255551234", True),
                                                                         ("+6281255554321", False)]
    created = create(api, "agencies", {"name": "RT 04", "kind": "rt", "puskesmas_id": ids["P6471010"],
                                       "contacts": [{"name": "Pak RT 04", "email": "rt04@baru-tengah.id"}]})
    assert created["contacts"][0]["can_sign_in"] is True


def _code_events(api) -> list[dict]:
    with api.client.app.state.sessionmaker() as session:
        bodies = session.scalars(select(models.outbox.c.body)
                                 .where(models.outbox.c.type == "auth.code_requested")
                                 .order_by(models.outbox.c.id)).all()
    return [json.loads(b) for b in bodies]


def test_sign_in_refuses_a_contact_whose_boleh_masuk_is_off_as_if_unknown(world):
    api, ids = world
    agency = api.patch(f"/api/v1/agencies/{ids['kelurahan']}",
                       json={"contacts": [{"name": "Bu Sri", "phone": "081255551234"}]}).json()
    contact_id = agency["contacts"][0]["id"]
    client = puskesmas_client(world)

    # Allowed: a code is sent, and works.
    assert api.post("/api/v1/auth/code", json={"phone": "0812 5555 1234"}, headers={}).status_code == 202
    events = _code_events(api)
    assert len(events) == 1
    code = SEALED_CODES.decrypt(api.secret, events[0]["data"]["code_sealed"])
    # A second code, then "boleh masuk" switched off before it is used: refused like a wrong code.
    assert api.post("/api/v1/auth/code", json={"phone": "081255551234"}, headers={}).status_code == 202
    code = SEALED_CODES.decrypt(api.secret, _code_events(api)[-1]["data"]["code_sealed"])
    response = client.post(f"/admin/agencies/{ids['kelurahan']}/contacts/{contact_id}/sign-in",
                           data={"csrf": csrf_of(client), "allowed": "0", "next": "/admin/sign-in"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/sign-in"
    assert api.get(f"/api/v1/agencies/{ids['kelurahan']}").json()["contacts"][0]["can_sign_in"] is False
    verify = api.post("/api/v1/auth/verify", json={"phone": "081255551234", "code": code}, headers={})
    unknown = api.post("/api/v1/auth/verify", json={"phone": "081299998888", "code": code}, headers={})
    assert verify.status_code == unknown.status_code == 401
    assert verify.json() == unknown.json()

    # Off: the same 202 as for an unknown number, and nothing is sent.
    sent_before = len(_code_events(api))
    answer = api.post("/api/v1/auth/code", json={"phone": "081255551234"}, headers={})
    stranger = api.post("/api/v1/auth/code", json={"phone": "081299998888"}, headers={})
    assert answer.status_code == stranger.status_code == 202 and answer.json() == stranger.json()
    assert len(_code_events(api)) == sent_before
    page = text_of(client.get("/admin/sign-in"))
    assert "Bu Sri" in page and "Izinkan masuk" in page

    # Switched on again: a code is sent once more.
    client.post(f"/admin/agencies/{ids['kelurahan']}/contacts/{contact_id}/sign-in",
                data={"csrf": csrf_of(client), "allowed": "1"})
    assert api.post("/api/v1/auth/code", json={"phone": "081255551234"}, headers={}).status_code == 202
    assert len(_code_events(api)) == sent_before + 1


def test_the_escalation_policy_is_a_form_in_words(world):
    api, ids = world
    client = puskesmas_client(world)
    page = text_of(client.get("/admin/escalation"))
    assert "Saat tenggat → penanggung jawab" in page
    assert "3 hari kerja setelah tenggat → atasan penanggung jawab" in page
    assert "owner_parent" not in page and "P3D" not in page
    data = {"csrf": csrf_of(client, "/admin/escalation"), "puskesmas_id": str(ids["P6471010"]),
            "due_soon_days": "1",
            "step-0-days": "0", "step-0-unit": "working", "step-0-notify": "owner",
            "step-1-days": "7", "step-1-unit": "working", "step-1-notify": "puskesmas",
            "step-2-days": "2", "step-2-unit": "calendar", "step-2-notify": f"agency:{ids['dinas']}",
            "step-2-urgent": "1", "step-3-days": "", "step-3-notify": "",
            "repeat_days": "", "pause_days": "2"}
    response = client.post("/admin/escalation", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    policy = api.get(f"/api/v1/escalation-policies/{ids['P6471010']}").json()
    assert policy["due_soon_before"] == "P1D" and policy["repeat_every"] is None and policy["progress_pause"] == "P2D"
    assert [(s["after"], s["notify"], s["working_days"], s["urgent"]) for s in policy["steps"]] == [
        ("PT0S", "owner", True, False),
        ("P2D", f"agency:{ids['dinas']}", False, True), ("P7D", "puskesmas", True, False)]
    page = text_of(client.get("/admin/escalation"))
    assert "2 hari setelah tenggat → Dinas Kesehatan Kota Balikpapan (mendesak)" in page
    assert "7 hari kerja setelah tenggat → kepala puskesmas dan dinas kesehatan" in page

    # A step removed.
    data.update({"csrf": csrf_of(client, "/admin/escalation"), "step_remove": "2"})
    assert client.post("/admin/escalation", data=data, follow_redirects=False).status_code == 303
    assert len(api.get(f"/api/v1/escalation-policies/{ids['P6471010']}").json()["steps"]) == 2


def test_escalation_errors_are_sentences_next_to_the_field_with_the_rest_kept(world):
    api, ids = world
    client = puskesmas_client(world)
    data = {"csrf": csrf_of(client, "/admin/escalation"), "puskesmas_id": str(ids["P6471010"]),
            "due_soon_days": "dua", "step-0-days": "0", "step-0-unit": "working", "step-0-notify": "owner",
            "step-1-days": "5", "step-1-unit": "working", "step-1-notify": "",
            "step-2-days": "", "step-2-notify": f"agency:{ids['dinas']}"}
    response = client.post("/admin/escalation", data=data)
    assert response.status_code == 422
    assert re.search(r'id="err-due-soon">isi jumlah hari, angka bulat 0 sampai 365<', response.text)
    assert re.search(r'id="err-step-1-notify">pilih siapa yang diberi tahu<', response.text)
    assert re.search(r'id="err-step-2-days">isi jumlah hari', response.text)
    assert 'value="dua"' in response.text and 'id="step-1-days" name="step-1-days" type="number"' in response.text
    assert f'<option value="agency:{ids["dinas"]}" selected>' in response.text
    assert api.get(f"/api/v1/escalation-policies/{ids['P6471010']}").json()["is_default"] is True
    # Another puskesmas's agency is refused by the service, in words.
    data = {"csrf": csrf_of(client, "/admin/escalation"), "puskesmas_id": str(ids["P6471010"]),
            "due_soon_days": "2", "step-0-days": "1", "step-0-notify": f"agency:{ids['other']}"}
    response = client.post("/admin/escalation", data=data)
    assert response.status_code == 422 and "bukan lembaga puskesmas ini" in text_of(response)


def test_extra_days_off_are_added_and_removed_in_words(world):
    api, ids = world
    client = puskesmas_client(world)
    page = text_of(client.get("/admin/days-off?year=2026"))
    assert "Kamis, 1 Januari 2026" in page  # tahun baru, a national holiday for reference
    assert 'lang="id"' in client.get("/admin/days-off").text and "hh/bb/tttt" in page
    csrf = csrf_of(client, "/admin/days-off")
    for typed in ("05/01/2026", "2026-03-02"):
        response = client.post("/admin/days-off", data={"csrf": csrf, "puskesmas_id": str(ids["P6471010"]),
                                                        "day": typed}, follow_redirects=False)
        assert response.status_code == 303, response.text
    assert api.get(f"/api/v1/puskesmas/{ids['P6471010']}").json()["extra_holidays"] == ["2026-01-05", "2026-03-02"]
    page = text_of(client.get("/admin/days-off"))
    assert "Senin, 5 Januari 2026" in page and "Senin, 2 Maret 2026" in page and "2026-01-05" not in page
    wrong = client.post("/admin/days-off", data={"csrf": csrf, "puskesmas_id": str(ids["P6471010"]),
                                                 "day": "31/02/2026"})
    assert wrong.status_code == 422 and 'value="31/02/2026"' in wrong.text
    assert re.search(r'id="err-day">tanggal tidak valid; tulis hh/bb/tttt', wrong.text)
    response = client.post("/admin/days-off/delete", data={"csrf": csrf, "puskesmas_id": str(ids["P6471010"]),
                                                            "day": "2026-01-05"}, follow_redirects=False)
    assert response.status_code == 303
    assert api.get(f"/api/v1/puskesmas/{ids['P6471010']}").json()["extra_holidays"] == ["2026-03-02"]


def test_the_settings_pages_read_in_english_with_lang_en(world):
    api, ids = world
    client = puskesmas_client(world)
    for path, words in (("/admin?lang=en", "Agencies and contacts"), ("/admin/sign-in?lang=en", "Who may sign in"),
                        ("/admin/escalation?lang=en", "3 working days after the due time → the owner's parent agency"),
                        ("/admin/days-off?lang=en&year=2026", "Thursday, 1 January 2026")):
        page = text_of(client.get(path))
        assert words in page, path
        assert "Simpan" not in page and "Tambah lembaga" not in page


def test_a_puskesmas_renames_its_own_agency_but_does_not_move_it_out_of_oversight(world):
    api, ids = world
    own = create(api, "agencies", {"name": "Puskesmas Baru Tengah", "kind": "puskesmas",
                                   "puskesmas_id": ids["P6471010"], "parent_id": ids["dinas"]})["id"]
    client = puskesmas_client(world)
    data = {"csrf": csrf_of(client), "name": "UPT Puskesmas Baru Tengah", "kind": "puskesmas",
            "parent_id": str(ids["dinas"]), "area_code": ""}
    assert client.post(f"/admin/agencies/{own}", data=data, follow_redirects=False).status_code == 303
    for change in ({"parent_id": ""}, {"kind": "kelurahan"}):
        assert client.post(f"/admin/agencies/{own}", data={**data, **change}).status_code == 403
    stored = api.get(f"/api/v1/agencies/{own}").json()
    assert (stored["name"], stored["kind"], stored["parent_id"]) == ("UPT Puskesmas Baru Tengah", "puskesmas",
                                                                     ids["dinas"])
