"""Evidence through the meetings API on a real database, stored in a local directory and in a real
S3-compatible server (moto): upload, type and size checks, metadata stripped, access, reading,
linking to progress, the dashboard's thumbnails and the minutes PDF."""

from __future__ import annotations

import hashlib
import os
import re
from io import BytesIO

import boto3
import pytest
from fastapi.testclient import TestClient
from minilok_meetings import models
from minilok_meetings.config import get_settings
from minilok_meetings.documents.evidence_files import MAX_BYTES
from PIL import ExifTags, Image
from pypdf import PdfReader
from reportlab.pdfgen import canvas
from sqlalchemy import select
from support import free_port


def photo_with_gps(size=(3200, 2400)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Kader Phone 7"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: (1.0, 16.0, 5.0),
                                  ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (116.0, 49.0, 2.0)}
    out = BytesIO()
    Image.new("RGB", size, (40, 140, 90)).save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_bytes(size=(640, 480)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (200, 60, 60)).save(out, "PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    out = BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Daftar hadir penyuluhan DBD")
    page.save()
    return out.getvalue()


def gps_of(data: bytes):
    return Image.open(BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)


@pytest.fixture
def evidence_dir(tmp_path, monkeypatch):
    directory = tmp_path / "evidence"
    monkeypatch.setenv("MEETINGS_EVIDENCE_DIR", str(directory))
    return directory


@pytest.fixture
def world(evidence_dir, meetings_api):
    api = meetings_api
    pid = api.post("/api/v1/puskesmas", json={"code": "BT01", "name": "Puskesmas Baru Tengah",
                                              "timezone": "Asia/Makassar", "area_code": "64.71.05",
                                              "kota": "Kota Balikpapan", "provinsi": "Kalimantan Timur"}).json()["id"]
    other = api.post("/api/v1/puskesmas", json={"code": "BP01", "name": "Puskesmas Baloi Permai",
                                                "timezone": "Asia/Jakarta", "area_code": "21.71.06",
                                                "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}).json()["id"]

    def agency(name, kind, puskesmas=pid):
        r = api.post("/api/v1/agencies", json={"name": name, "kind": kind, "puskesmas_id": puskesmas})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    ids = {"puskesmas": pid, "other_puskesmas": other, "kelurahan": agency("Kelurahan Baru Tengah", "kelurahan"),
           "babinsa": agency("Babinsa Baru Tengah", "babinsa"), "rt": agency("Ketua RT 12", "rt")}
    meeting = api.post("/api/v1/meetings", json={"puskesmas_id": pid, "kind": "quarterly_cross_sector",
                                                 "title": "Minilok lintas sektor",
                                                 "scheduled_at": "2025-12-03T09:00:00+08:00"}).json()
    ids["meeting"] = meeting["id"]
    for key in ("followup", "second"):
        r = api.post(f"/api/v1/meetings/{meeting['id']}/follow-ups", json={
            "title": "Pelacakan kontak erat TB", "owner_agency_id": ids["kelurahan"],
            "supporting_agency_ids": [ids["babinsa"]], "due_in_working_days": 10})
        assert r.status_code == 201, r.text
        ids[key] = r.json()["id"]
    ids["owner"] = api.headers("agency", agency_id=ids["kelurahan"])
    return api, ids


def upload(api, followup_id, data: bytes, name="foto.jpg", content_type="image/jpeg", headers=None):
    return api.post(f"/api/v1/follow-ups/{followup_id}/evidence", files={"file": (name, data, content_type)},
                    headers=headers)


def stored_files(directory) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def test_an_owner_uploads_a_photo_that_is_stored_scaled_without_its_gps_position(world, evidence_dir):
    api, ids = world
    original = photo_with_gps()
    assert gps_of(original)  # the photo as the phone took it says where
    r = upload(api, ids["followup"], original, headers=ids["owner"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["followup_id"] == ids["followup"] and body["content_type"] == "image/jpeg"
    assert (body["width"], body["height"]) == (1600, 1200)
    assert body["url"] == f"/api/v1/evidence/{body['id']}"
    assert body["thumbnail_url"] == f"/api/v1/evidence/{body['id']}/thumbnail"
    assert body["created_by"] and body["created_at"]

    files = stored_files(evidence_dir)
    assert len(files) == 2  # the picture and its thumbnail, under the follow-up, random names
    main_key = next(k for k in files if "thumbnail" not in k)
    assert re.fullmatch(rf"{ids['followup']}/[0-9a-f]{{32}}\.jpg", main_key)
    stored = files[main_key]
    assert not gps_of(stored) and not Image.open(BytesIO(stored)).getexif() and b"Kader Phone" not in stored
    assert body["size"] == len(stored) < len(original)

    with api.client.app.state.sessionmaker() as session:
        row = session.get(models.Evidence, body["id"])
        assert row.sha256 == hashlib.sha256(stored).hexdigest() and row.original_name == "foto.jpg"

    read = api.get(body["url"], headers=ids["owner"])
    assert read.status_code == 200 and read.content == stored
    assert read.headers["content-type"] == "image/jpeg"
    assert read.headers["x-content-type-options"] == "nosniff"
    assert read.headers["content-disposition"].startswith("inline")
    assert read.headers["cache-control"].startswith("private")
    thumbnail = api.get(body["thumbnail_url"], headers=ids["owner"])
    assert thumbnail.status_code == 200 and max(Image.open(BytesIO(thumbnail.content)).size) == 320
    assert not gps_of(thumbnail.content)


def test_the_type_is_taken_from_the_bytes_never_the_name(world, evidence_dir):
    api, ids = world
    renamed = upload(api, ids["followup"], png_bytes(), name="laporan.pdf", content_type="application/pdf")
    assert renamed.status_code == 201 and renamed.json()["content_type"] == "image/jpeg"

    text = upload(api, ids["followup"], b"bukan foto\n" * 100, name="foto.jpg", content_type="image/jpeg")
    assert text.status_code == 415 and text.json()["detail"][0]["loc"] == ["body", "file"]
    html = upload(api, ids["followup"], b"<html><script>alert(1)</script></html>", name="x.png",
                  content_type="image/png")
    assert html.status_code == 415
    damaged = upload(api, ids["followup"], b"%PDF-1.4\nrusak\n", name="x.pdf", content_type="application/pdf")
    assert damaged.status_code == 422 and damaged.json()["detail"][0]["loc"] == ["body", "file"]
    missing = api.post(f"/api/v1/follow-ups/{ids['followup']}/evidence", data={"note": "lupa"})
    assert missing.status_code == 422 and "file" in missing.text

    document = pdf_bytes()
    r = upload(api, ids["followup"], document, name="daftar-hadir.pdf", content_type="application/pdf")
    assert r.status_code == 201 and r.json()["content_type"] == "application/pdf"
    assert r.json()["thumbnail_url"] is None and r.json()["size"] == len(document)
    read = api.get(r.json()["url"])
    assert read.content == document and read.headers["content-type"] == "application/pdf"
    assert api.get(f"{r.json()['url']}/thumbnail").status_code == 404
    assert len(stored_files(evidence_dir)) == 3  # the PNG and its thumbnail, the PDF; nothing refused


def test_ten_megabytes_pass_the_body_limit_and_one_byte_more_is_413(world, evidence_dir):
    api, ids = world
    # Over 10 MB, past the app's usual 1 MB body limit (raised for this route only): the file is refused.
    too_big = b"\xff\xd8\xff\xe0" + os.urandom(MAX_BYTES - 3)
    r = upload(api, ids["followup"], too_big)
    assert r.status_code == 413 and r.json()["detail"][0]["loc"] == ["body", "file"]
    assert "10 MB" in r.json()["detail"][0]["msg"]
    # A body past the upload limit itself is cut off by the middleware.
    huge = upload(api, ids["followup"], b"\0" * (MAX_BYTES + 512 * 1024))
    assert huge.status_code == 413
    # Other routes keep the usual limit.
    note = api.post(f"/api/v1/follow-ups/{ids['followup']}/progress", json={"note": "x" * 1_100_000})
    assert note.status_code == 413
    assert stored_files(evidence_dir) == {}
    # Just under 10 MB of a real (noisy, hardly compressible) photo is taken and scaled.
    out = BytesIO()
    Image.frombytes("RGB", (2900, 2100), os.urandom(2900 * 2100 * 3)).save(out, "JPEG", quality=98)
    assert 9_000_000 < len(out.getvalue()) <= MAX_BYTES
    r = upload(api, ids["followup"], out.getvalue())
    assert r.status_code == 201 and r.json()["width"] == 1600


def test_who_may_upload_and_read(world):
    api, ids = world
    fid = ids["followup"]
    supporter = api.headers("agency", agency_id=ids["babinsa"])
    stranger = api.headers("agency", agency_id=ids["rt"])
    own_puskesmas = api.headers("puskesmas", puskesmas_id=ids["puskesmas"])
    other_puskesmas = api.headers("puskesmas", puskesmas_id=ids["other_puskesmas"])
    assert upload(api, fid, png_bytes(), headers=stranger).status_code == 403
    assert upload(api, fid, png_bytes(), headers=other_puskesmas).status_code == 403
    assert upload(api, fid, png_bytes(), headers=supporter).status_code == 201  # a supporter's note may carry a photo
    assert upload(api, fid, png_bytes(), headers=own_puskesmas).status_code == 201
    mine = upload(api, fid, png_bytes(), headers=ids["owner"]).json()
    assert upload(api, 999999, png_bytes()).status_code == 404

    for headers in (stranger, other_puskesmas):
        assert api.get(mine["url"], headers=headers).status_code == 403
        assert api.get(mine["thumbnail_url"], headers=headers).status_code == 403
        assert api.get(f"/api/v1/follow-ups/{fid}/evidence", headers=headers).status_code == 403
    for headers in (supporter, own_puskesmas, ids["owner"], api.admin):
        assert api.get(mine["url"], headers=headers).status_code == 200
    assert api.get(mine["url"], headers={}).status_code == 401
    assert api.get("/api/v1/evidence/999999").status_code == 404


def test_a_follow_up_lists_its_evidence_page_by_page(world):
    api, ids = world
    made = [upload(api, ids["followup"], png_bytes((100 + i, 100))).json()["id"] for i in range(3)]
    upload(api, ids["second"], png_bytes())
    first = api.get(f"/api/v1/follow-ups/{ids['followup']}/evidence?limit=2").json()
    assert [e["id"] for e in first["items"]] == made[:2] and first["next_cursor"]
    rest = api.get(f"/api/v1/follow-ups/{ids['followup']}/evidence?limit=2&cursor={first['next_cursor']}").json()
    assert [e["id"] for e in rest["items"]] == made[2:] and rest["next_cursor"] is None
    assert api.get(f"/api/v1/follow-ups/{ids['followup']}/evidence?cursor=xyz").status_code == 422


def test_no_evidence_on_a_finished_follow_up(world):
    api, ids = world
    owner = ids["owner"]
    assert api.post(f"/api/v1/follow-ups/{ids['second']}/start", headers=owner).status_code == 200
    assert api.post(f"/api/v1/follow-ups/{ids['second']}/complete", headers=owner,
                    json={"note": "Selesai"}).status_code == 200
    r = upload(api, ids["second"], png_bytes(), headers=owner)
    assert r.status_code == 409


def test_progress_and_completion_link_uploaded_evidence(world):
    api, ids = world
    owner, fid = ids["owner"], ids["followup"]
    photo = upload(api, fid, photo_with_gps((800, 600)), headers=owner).json()
    report = upload(api, fid, pdf_bytes(), name="laporan.pdf", headers=owner).json()
    elsewhere = upload(api, ids["second"], png_bytes(), headers=owner).json()

    wrong = api.post(f"/api/v1/follow-ups/{fid}/progress", headers=owner,
                     json={"note": "Foto kegiatan", "percent": 50, "evidence_ids": [elsewhere["id"]]})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "evidence_ids"]
    r = api.post(f"/api/v1/follow-ups/{fid}/progress", headers=owner,
                 json={"note": "Foto kegiatan", "percent": 50, "evidence_ids": [photo["id"]]})
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/follow-ups/{fid}/complete", headers=owner,
                 json={"note": "Selesai, laporan terlampir", "evidence_ids": [report["id"]]})
    assert r.status_code == 200, r.text
    history = api.get(f"/api/v1/follow-ups/{fid}/history").json()["items"]
    linked = {h["kind"]: h["data"].get("evidence_ids") for h in history if h["data"].get("evidence_ids")}
    assert linked == {"progress": [photo["id"]], "complete": [report["id"]]}


def test_a_file_the_store_lost_is_404_with_words(world, evidence_dir):
    api, ids = world
    made = upload(api, ids["followup"], png_bytes()).json()
    for path in evidence_dir.rglob("*.jpg"):
        path.unlink()
    r = api.get(made["url"])
    assert r.status_code == 404 and "penyimpanan" in r.json()["detail"]


def signed_in(api, **scope) -> TestClient:
    client = TestClient(api.client.app)
    token = api.headers(**scope)["Authorization"].removeprefix("Bearer ")
    response = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def test_the_dashboard_shows_thumbnails_of_each_history_entry(world):
    api, ids = world
    owner, fid = ids["owner"], ids["followup"]
    photo = upload(api, fid, photo_with_gps((1200, 900)), headers=owner).json()
    report = upload(api, fid, pdf_bytes(), name="laporan.pdf", headers=owner).json()
    r = api.post(f"/api/v1/follow-ups/{fid}/progress", headers=owner,
                 json={"note": "Foto kegiatan", "evidence_ids": [photo["id"], report["id"]]})
    assert r.status_code == 200, r.text

    client = signed_in(api, role="agency", agency_id=ids["kelurahan"])
    page = client.get(f"/follow-ups/{fid}")
    assert page.status_code == 200
    assert f'src="/evidence/{photo["id"]}/thumbnail"' in page.text
    assert f'href="/evidence/{report["id"]}"' in page.text
    thumbnail = client.get(f"/evidence/{photo['id']}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    assert max(Image.open(BytesIO(thumbnail.content)).size) == 320
    icon = client.get(f"/evidence/{report['id']}/thumbnail")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert client.get(f"/evidence/{report['id']}").content == pdf_bytes_of(api, report["id"])

    stranger = signed_in(api, role="agency", agency_id=ids["rt"])
    assert stranger.get(f"/evidence/{photo['id']}/thumbnail").status_code == 403
    assert stranger.get(f"/evidence/{photo['id']}").status_code == 403
    assert TestClient(api.client.app).get(f"/evidence/{photo['id']}", follow_redirects=False).status_code == 303


def pdf_bytes_of(api, evidence_id: int) -> bytes:
    return api.get(f"/api/v1/evidence/{evidence_id}").content


def test_the_minutes_pdf_shows_each_follow_ups_evidence(world):
    api, ids = world
    before = PdfReader(BytesIO(api.get(f"/api/v1/meetings/{ids['meeting']}/minutes.pdf").content))
    assert sum(len(page.images) for page in before.pages) == 0
    upload(api, ids["followup"], photo_with_gps((1600, 1200)))
    upload(api, ids["followup"], png_bytes())
    upload(api, ids["second"], pdf_bytes(), name="laporan.pdf")
    r = api.get(f"/api/v1/meetings/{ids['meeting']}/minutes.pdf")
    assert r.status_code == 200
    reader = PdfReader(BytesIO(r.content))
    assert sum(len(page.images) for page in reader.pages) == 2
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Bukti" in text and "laporan.pdf" in text


# --- S3-compatible storage ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on a free local port: real HTTP, real boto3 requests."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_world(s3_server, monkeypatch, unique, service_api, tmp_path):
    for name, value in {"AWS_ACCESS_KEY_ID": "minilok-test", "AWS_SECRET_ACCESS_KEY": "minilok-test-secret",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    bucket = f"evidence-{unique}"
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=bucket)
    monkeypatch.setenv("MEETINGS_EVIDENCE_S3_URL", f"s3://{bucket}/minilok/bukti")
    monkeypatch.setenv("MEETINGS_EVIDENCE_S3_ENDPOINT", s3_server)
    monkeypatch.setenv("MEETINGS_EVIDENCE_DIR", str(tmp_path / "never-used"))
    api = service_api("meetings")
    return api, bucket, s3_server, tmp_path / "never-used"


def test_evidence_in_s3_compatible_storage(s3_world):
    api, bucket, endpoint, local_dir = s3_world
    pid = api.post("/api/v1/puskesmas", json={"code": "BL01", "name": "Puskesmas Balongbendo",
                                              "timezone": "Asia/Jakarta", "area_code": "35.15.13",
                                              "kota": "Kabupaten Sidoarjo", "provinsi": "Jawa Timur"}).json()["id"]
    koramil = api.post("/api/v1/agencies", json={"name": "Koramil 0816/10", "kind": "koramil",
                                                 "puskesmas_id": pid}).json()["id"]
    meeting = api.post("/api/v1/meetings", json={"puskesmas_id": pid, "kind": "monthly_internal",
                                                 "title": "Minilok November",
                                                 "scheduled_at": "2025-11-25T09:00:00+07:00"}).json()["id"]
    fid = api.post(f"/api/v1/meetings/{meeting}/follow-ups", json={
        "title": "Rujukan gawat darurat bersama Koramil", "owner_agency_id": koramil,
        "due_in_working_days": 5}).json()["id"]

    r = upload(api, fid, photo_with_gps(), headers=api.headers("agency", agency_id=koramil))
    assert r.status_code == 201, r.text
    made = r.json()
    s3 = boto3.client("s3", endpoint_url=endpoint)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert len(keys) == 2 and all(k.startswith(f"minilok/bukti/{fid}/") for k in keys)
    main = s3.get_object(Bucket=bucket, Key=next(k for k in keys if "thumbnail" not in k))
    stored = main["Body"].read()
    assert main["ContentType"] == "image/jpeg" and not gps_of(stored)
    with api.client.app.state.sessionmaker() as session:
        row = session.scalars(select(models.Evidence)).one()
        assert not row.storage_key.startswith("minilok/")  # relative to the store: the prefix may move

    assert api.get(made["url"]).content == stored
    assert max(Image.open(BytesIO(api.get(made["thumbnail_url"]).content)).size) == 320
    assert not local_dir.exists()

    s3.delete_object(Bucket=bucket, Key=next(k for k in keys if "thumbnail" not in k))
    assert api.get(made["url"]).status_code == 404


def test_an_unreachable_object_store_is_503_and_leaves_no_row(s3_world, monkeypatch):
    api, bucket, endpoint, _ = s3_world
    monkeypatch.setenv("MEETINGS_EVIDENCE_S3_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nobody listens
    get_settings.cache_clear()  # the store is chosen from the settings at each upload
    pid = api.post("/api/v1/puskesmas", json={"code": "BL02", "name": "Puskesmas Balongbendo",
                                              "timezone": "Asia/Jakarta", "area_code": "35.15.13",
                                              "kota": "Kabupaten Sidoarjo", "provinsi": "Jawa Timur"}).json()["id"]
    owner = api.post("/api/v1/agencies", json={"name": "Desa Balongbendo", "kind": "desa",
                                               "puskesmas_id": pid}).json()["id"]
    meeting = api.post("/api/v1/meetings", json={"puskesmas_id": pid, "kind": "monthly_internal", "title": "Minilok",
                                                 "scheduled_at": "2025-11-25T09:00:00+07:00"}).json()["id"]
    fid = api.post(f"/api/v1/meetings/{meeting}/follow-ups", json={
        "title": "Jadwal posyandu ke setiap desa", "owner_agency_id": owner, "due_in_working_days": 5}).json()["id"]
    r = upload(api, fid, png_bytes())
    assert r.status_code == 503 and r.headers["retry-after"]
    with api.client.app.state.sessionmaker() as session:
        assert session.scalars(select(models.Evidence)).all() == []


def test_a_row_that_cannot_be_committed_leaves_no_file_behind(world, evidence_dir):
    api, ids = world
    engine = api.client.app.state.engine
    with engine.begin() as connection:  # the database refuses every evidence row from now on
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE evidence ADD CONSTRAINT refuse_all CHECK (size < 0)")
        else:
            connection.exec_driver_sql("CREATE TRIGGER refuse_all BEFORE INSERT ON evidence "
                                       "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    r = upload(api, ids["followup"], photo_with_gps((800, 600)), headers=ids["owner"])
    assert r.status_code == 409
    assert stored_files(evidence_dir) == {}  # written before the commit, deleted when it failed
