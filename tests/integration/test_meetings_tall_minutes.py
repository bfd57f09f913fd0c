"""A meeting filled to every limit of the API still has its minutes PDF and follow-ups XLSX."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from pypdf import PdfReader


def test_a_meeting_at_every_limit_has_its_documents(meetings_api):
    api = meetings_api

    def create(path, body):
        response = api.post(f"/api/v1/{path}", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    puskesmas = create("puskesmas", {"code": "BP01", "name": "P" * 200, "timezone": "Asia/Jakarta",
                                     "area_code": "21.71.06", "kota": "K" * 120, "provinsi": "V" * 120})["id"]
    agency = create("agencies", {"name": "A" * 200, "kind": "kelurahan", "puskesmas_id": puskesmas})["id"]
    meeting = create("meetings", {"puskesmas_id": puskesmas, "kind": "monthly_internal", "title": "J" * 300,
                                  "scheduled_at": "2026-03-04T09:00:00+07:00", "location": "L" * 300})["id"]
    url = f"/api/v1/meetings/{meeting}"
    for _ in range(3):
        create(f"meetings/{meeting}/agenda", {"title": "T" * 300, "presenter_agency_id": agency,
                                              "notes": "catatan\n" * 1250})
    response = api.put(f"{url}/attendance", json=[
        {"agency_id": agency, "person_name": "N" * 200, "role": "R" * 120, "present": True}] * 20)
    assert response.status_code == 200, response.text
    create(f"meetings/{meeting}/minutes", {"summary": "baris\n" * 3333,
                                           "decisions": ["keputusan " * 199 + "K" * 10] * 100})
    for _ in range(5):
        create(f"meetings/{meeting}/follow-ups", {"title": "F" * 300, "problem": "m" * 10_000, "action": "t" * 10_000,
                                                  "owner_agency_id": agency, "due_date": "2026-03-20"})

    pdf = api.get(f"{url}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    reader = PdfReader(BytesIO(pdf.content))
    # The RTL table runs to the end (its status column still there), then the signature block.
    last_pages = [page.extract_text() for page in reader.pages[-10:]]
    assert len(reader.pages) > 50 and any("Terbuka" in text for text in last_pages)
    assert "Kepala " in last_pages[-1] and "(....." in last_pages[-1]
    xlsx = api.get(f"{url}/follow-ups.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(BytesIO(xlsx.content)).active
    column = {cell.value: cell.column for cell in sheet[1]}
    assert sheet.max_row == 6 and sheet.cell(2, column["Masalah"]).value == "m" * 10_000
    assert sheet.cell(2, column["Rincian"]).value == "t" * 10_000
