"""Puskesmas and agencies: validation, parent chains without cycles, contacts, extra days off."""


def make_puskesmas(api, code="BP01", tz="Asia/Jakarta"):
    r = api.post("/api/v1/puskesmas", json={"code": code, "name": "Puskesmas Baloi Permai", "timezone": tz,
                                            "area_code": "21.71.06", "kota": "Kota Batam",
                                            "provinsi": "Kepulauan Riau"})
    assert r.status_code == 201, r.text
    return r.json()


def test_puskesmas_validation_and_duplicates(meetings_api):
    api = meetings_api
    p = make_puskesmas(api)
    assert api.post("/api/v1/puskesmas", json={**{k: p[k] for k in ("code", "name", "area_code", "kota",
                                                                     "provinsi")},
                                               "timezone": "Asia/Jakarta"}).status_code == 409
    r = api.post("/api/v1/puskesmas", json={"code": "X", "name": "n", "timezone": "Europe/Paris",
                                            "area_code": "1", "kota": "k", "provinsi": "p"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "timezone"]
    assert api.post("/api/v1/puskesmas", json={}, headers=api.headers("puskesmas", puskesmas_id=p["id"])).status_code \
        == 403


def test_contacts_are_validated_and_normalised(meetings_api):
    api = meetings_api
    p = make_puskesmas(api)
    r = api.post("/api/v1/agencies", json={"name": "PKK Kelurahan", "kind": "pkk", "puskesmas_id": p["id"],
                                           "contacts": [{"name": "Ketua PKK", "phone": "0812-7000-1234",
                                                         "email": "pkk@example.org"}]})
    assert r.status_code == 201 and r.json()["contacts"][0]["phone"] == "+6281270001234"
    r = api.post("/api/v1/agencies", json={"name": "x", "kind": "pkk", "contacts": [{"name": "a", "phone": "12"}]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "phone"
    r = api.post("/api/v1/agencies", json={"name": "x", "kind": "pkk", "contacts": [{"name": "a", "email": "nope"}]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "email"
    r = api.post("/api/v1/agencies", json={"name": "x", "kind": "ormas"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "kind"]


def test_parent_chain_cannot_form_a_cycle(meetings_api):
    api = meetings_api
    p = make_puskesmas(api)

    def agency(name, kind, parent=None):
        return api.post("/api/v1/agencies", json={"name": name, "kind": kind, "puskesmas_id": p["id"],
                                                  "parent_id": parent}).json()["id"]

    kecamatan = agency("Kecamatan Batam Kota", "kecamatan")
    kelurahan = agency("Kelurahan Baloi Permai", "kelurahan", kecamatan)
    rw = agency("RW 05", "rw", kelurahan)
    r = api.patch(f"/api/v1/agencies/{kecamatan}", json={"parent_id": rw})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "parent_id"]
    assert api.patch(f"/api/v1/agencies/{kecamatan}", json={"parent_id": kecamatan}).status_code == 422
    r = api.patch(f"/api/v1/agencies/{rw}", json={"parent_id": kecamatan, "name": "RW 05 Baloi"})
    assert r.status_code == 200 and r.json()["parent_id"] == kecamatan and r.json()["name"] == "RW 05 Baloi"
    assert api.patch(f"/api/v1/agencies/{rw}", json={"parent_id": 999999}).status_code == 422
    agency_token = api.headers("agency", agency_id=rw)
    assert api.patch(f"/api/v1/agencies/{rw}", json={"name": "x"}, headers=agency_token).status_code == 403


def test_extra_days_off_move_working_day_due_dates(meetings_api):
    api = meetings_api
    p = make_puskesmas(api)
    owner = api.post("/api/v1/agencies", json={"name": "Kelurahan", "kind": "kelurahan",
                                               "puskesmas_id": p["id"]}).json()["id"]
    meeting = api.post("/api/v1/meetings", json={"puskesmas_id": p["id"], "kind": "monthly_internal",
                                                 "title": "Minilok", "scheduled_at": "2026-11-20T09:00:00+07:00"})
    url = f"/api/v1/meetings/{meeting.json()['id']}/follow-ups"
    before = api.post(url, json={"title": "a", "owner_agency_id": owner, "due_in_working_days": 1}).json()["due_at"]
    day = before[:10]
    r = api.patch(f"/api/v1/puskesmas/{p['id']}", json={"extra_holidays": [day]})
    assert r.status_code == 200 and r.json()["extra_holidays"] == [day]
    after = api.post(url, json={"title": "b", "owner_agency_id": owner, "due_in_working_days": 1}).json()["due_at"]
    assert after[:10] > day


def test_names_longer_than_their_columns_are_422_naming_the_field(meetings_api):
    body = {"code": "LONG01", "name": "Puskesmas " + "x" * 195, "timezone": "Asia/Jakarta", "area_code": "21.71",
            "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}
    too_long = meetings_api.post("/api/v1/puskesmas", json=body)
    assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"] == ["body", "name"]
    agency = meetings_api.post("/api/v1/agencies", json={"name": "Kelurahan", "kind": "kelurahan",
                                                         "contacts": [{"name": "Bu RT", "role": "r" * 121}]})
    assert agency.status_code == 422 and agency.json()["detail"][0]["loc"] == ["body", "contacts", 0, "role"]
    body["name"] = "Puskesmas " + "x" * 190
    assert meetings_api.post("/api/v1/puskesmas", json=body).status_code == 201
