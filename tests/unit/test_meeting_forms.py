"""The meeting page's form rules, without I/O: dates as people write them, indicators by name, the
attendance table's rows, and what counts as a changed RTL row."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi import HTTPException
from minilok_meetings.web import meeting_forms as mf
from minilok_meetings.web.i18n import translator

_ = translator("id")
CATALOGUE = [{"code": "TB_CNR", "name": "Case notification rate (CNR) TB per 100.000 penduduk"},
             {"code": "POSYANDU_DS", "name": "Partisipasi penimbangan balita di posyandu (D/S)"}]


@pytest.mark.parametrize("text", ["31/01/2026", "31-1-2026", "31.01.2026", "2026-01-31", " 31/01/2026 "])
def test_a_day_is_read_as_people_write_it(text):
    assert mf.parse_day(text) == date(2026, 1, 31)


@pytest.mark.parametrize("text", ["01/31/2026", "31/01/26", "besok", ""])
def test_a_day_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        mf.parse_day(text)


def test_a_due_day_that_cannot_be_read_is_a_sentence():
    row = mf.RtlRow(index=0, title="ORI campak", owner="3", due_date="31/13/2026")
    with pytest.raises(HTTPException) as caught:
        mf.new_followup(row, _)
    assert caught.value.detail[0]["msg"] == "tanggal tidak valid (hh/bb/tttt)"


def test_a_row_needs_an_owner_and_one_due():
    with pytest.raises(HTTPException) as caught:
        mf.new_followup(mf.RtlRow(index=0, title="ORI campak", due_days="5"), _)
    assert caught.value.detail[0]["loc"] == ["body", "owner"]
    with pytest.raises(HTTPException) as caught:
        mf.new_followup(mf.RtlRow(index=0, title="ORI campak", owner="3"), _)
    assert "isi tanggal tenggat atau jumlah hari kerja" in caught.value.detail[0]["msg"]
    body = mf.new_followup(mf.RtlRow(index=0, title="ORI campak", owner="3", due_date="28/02/2026",
                                     supporters=["4", "x"], priority="high"), _)
    assert (body.owner_agency_id, body.due_date, body.supporting_agency_ids, body.priority) == (
        3, date(2026, 2, 28), [4], "high")


def test_an_unchanged_saved_row_changes_nothing_and_a_new_day_is_a_due_change():
    saved = mf.RtlRow(index=0, followup_id=7, title="Sweeping balita", owner="3", supporters=["4"],
                      due_date="31/03/2030", priority="normal")
    same = mf.RtlRow(index=0, followup_id=7, title="Sweeping balita", owner="3", supporters=["4"],
                     due_date="2030-03-31", priority="normal")
    assert mf.followup_changes(same, saved, _) == (None, None)
    moved = mf.RtlRow(**{**same.__dict__, "due_date": "30/04/2030", "supporters": []})
    patch, due = mf.followup_changes(moved, saved, _)
    assert patch.supporting_agency_ids == [] and due.due_date == date(2030, 4, 30)


def test_an_indicator_is_found_by_name_or_code_and_anything_else_is_a_sentence():
    assert mf.indicator_code("partisipasi penimbangan balita di posyandu (d/s)", CATALOGUE, _) == "POSYANDU_DS"
    assert mf.indicator_code("TB_CNR", CATALOGUE, _) == "TB_CNR"
    assert mf.indicator_code("  ", CATALOGUE, _) is None
    for wrong, catalogue, words in (("D/S!", CATALOGUE, "tidak ada di katalog"),
                                    ("D/S", None, "katalog indikator tidak terjangkau")):
        with pytest.raises(HTTPException) as caught:
            mf.indicator_code(wrong, catalogue, _)
        assert words in caught.value.detail[0]["msg"]


def test_the_attendance_table_lists_invited_agencies_first_and_keeps_several_people():
    class Agency:
        def __init__(self, id):
            self.id = id

    class Row:
        def __init__(self, agency_id, person_name, present=True, role=None):
            self.agency_id, self.person_name, self.present, self.role = agency_id, person_name, present, role

    rows = mf.attendance_table([Agency(1), Agency(2), Agency(3)], [3],
                               [Row(2, "Andi"), Row(2, "Budi", present=False), Row(9, "Tamu")])
    assert [(r.agency_id, r.person_name, r.present, r.invited) for r in rows] == [
        (3, "", False, True), (1, "", False, False), (2, "Andi", True, False), (2, "Budi", False, False),
        (9, "Tamu", True, False)]


def test_an_attendance_row_ticked_without_a_name_is_the_only_error():
    rows = [mf.AttendeeRow(index=0, agency_id=1, present=True, person_name=""),
            mf.AttendeeRow(index=1, agency_id=2, present=False, person_name="Budi"),
            mf.AttendeeRow(index=2, agency_id=3, present=False, person_name="")]
    assert mf.attendance_body(rows, "id") is None
    assert rows[0].errors == {"person_name": "isi nama yang hadir"} and not rows[1].errors
    rows[0].person_name = "Andi"
    rows[0].errors.clear()
    body = mf.attendance_body(rows, "id")
    assert [(a.agency_id, a.person_name, a.present) for a in body] == [(1, "Andi", True), (2, "Budi", False)]


# --- the RTL matrix's columns -------------------------------------------------------------

@pytest.mark.parametrize(("text", "rupiah"), [
    ("Rp 1.500.000", 1_500_000), ("Rp1.500.000", 1_500_000), ("rp. 250.000", 250_000), ("Rp 1.500.000,-", 1_500_000),
    ("1.500.000,00", 1_500_000), ("1500000", 1_500_000), ("1,500,000", 1_500_000), ("0", 0), (" 75.000 ", 75_000),
    ("Rp\u00a01.500.000", 1_500_000), ("", None), ("  ", None),
])
def test_a_cost_is_read_as_people_write_it(text, rupiah):
    assert mf.parse_rupiah(text) == rupiah


@pytest.mark.parametrize("text", ["-5", "1,5", "1.5", "Rp 1,5 juta", "satu juta", "1.50.000", "Rp", "1.500.000,50"])
def test_a_cost_that_is_not_whole_rupiah_is_refused(text):
    with pytest.raises(ValueError):
        mf.parse_rupiah(text)


def test_a_cost_is_written_back_with_dots_between_thousands():
    assert mf.format_rupiah(1_500_000) == "Rp 1.500.000"
    assert mf.format_rupiah(0) == "Rp 0" and mf.format_rupiah(None) == ""
    assert mf.parse_rupiah(mf.format_rupiah(12_345_678)) == 12_345_678


def test_a_row_carries_the_matrix_and_a_bad_cost_is_a_sentence_by_its_field():
    row = mf.RtlRow(index=0, title="PSN RW 05", owner="3", due_days="5", objective=" ABJ 95% ", target_group="420 KK",
                    location="RW 05", success_indicator="ABJ ≥ 95%", cost="Rp 1.500.000", funding_source="dana_desa")
    body = mf.new_followup(row, _)
    assert (body.objective, body.target_group, body.location, body.success_indicator, body.cost_estimate,
            body.funding_source) == ("ABJ 95%", "420 KK", "RW 05", "ABJ ≥ 95%", 1_500_000, "dana_desa")
    blank = mf.new_followup(mf.RtlRow(index=0, title="PSN", owner="3", due_days="5"), _)
    assert blank.cost_estimate is None and blank.funding_source is None and blank.objective is None
    with pytest.raises(HTTPException) as caught:
        mf.new_followup(mf.RtlRow(index=0, title="PSN", owner="3", due_days="5", cost="sejuta"), _)
    assert caught.value.detail[0]["loc"] == ["body", "cost"]
    assert "Rp 1.500.000" in caught.value.detail[0]["msg"]
    assert not mf.RtlRow(index=0, cost="Rp 5.000").is_blank  # a row with only a cost typed is not skipped


def test_a_saved_row_patches_only_the_matrix_columns_that_changed():
    saved = mf.RtlRow(index=0, followup_id=7, title="PSN", owner="3", due_date="31/03/2030", cost="Rp 1.500.000",
                      funding_source="BOK", location="RW 05")
    same = mf.RtlRow(**{**saved.__dict__, "cost": "1500000"})
    assert mf.followup_changes(same, saved, _) == (None, None)
    changed = mf.RtlRow(**{**saved.__dict__, "cost": "2.000.000", "location": "", "funding_source": "APBD"})
    patch, _due = mf.followup_changes(changed, saved, _)
    assert patch.model_dump(exclude_unset=True) == {"cost_estimate": 2_000_000, "location": None,
                                                    "funding_source": "APBD"}
