"""The follow-up board on a real database: overdue first, then by due time, in each column; each
card names its meeting (title and date in words) and, once escalated, the agencies it went to with
their level ("diteruskan ke: Dinas Kesehatan Kota Balikpapan (tingkat 3)", never "eskalasi 3"),
read for all the cards at once; the filters still narrow the board."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from minilok_meetings.service_layer import reminders
from minilok_shared.db import utcnow
from sqlalchemy import event
from test_meetings_followups import new_followup, setup_puskesmas


def signed_in(api, **scope) -> TestClient:
    client = TestClient(api.client.app)
    token = api.headers(**scope)["Authorization"].removeprefix("Bearer ")
    response = client.post("/login", data={"token": token, "next": "/board"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def column(page: str, status: str) -> list[int]:
    """The follow-up ids of one board column, top to bottom."""
    section = page.split(f'data-status="{status}"', 1)[1].split("</section>", 1)[0]
    return [int(i) for i in re.findall(r'data-followup="(\d+)"', section)]


def card(page: str, followup_id: int) -> str:
    """The visible text of one card, whitespace collapsed."""
    found = re.search(rf'<li class="fu[^"]*" data-followup="{followup_id}">(.*?)</li>', page, re.S)
    assert found, followup_id
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found[1])).split())


def board_world(api):
    ids = setup_puskesmas(api)
    now = utcnow()
    later = new_followup(api, ids, title="Penyuluhan PHBS di sekolah", due_date="2031-03-01")
    long_overdue = new_followup(api, ids, title="Pemantauan jentik RT 12", owner_agency_id=ids["rt"],
                                due_at=(now - timedelta(days=300)).isoformat())
    soon = new_followup(api, ids, title="Kunjungan rumah balita gizi kurang", due_date="2030-01-15")
    overdue = new_followup(api, ids, title="Sweeping imunisasi", due_at=(now - timedelta(days=40)).isoformat())
    reminders.scan(api.client.app.state.sessionmaker, now=now)
    return ids, {"later": later["id"], "long_overdue": long_overdue["id"], "soon": soon["id"],
                 "overdue": overdue["id"]}


def test_overdue_first_then_by_due_time_with_meeting_and_escalated_to(meetings_api):
    api = meetings_api
    ids, f = board_world(api)
    board = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    page = board.get("/board").text

    # 300 days late above 40 days late, then the one due in 2030 above the one due in 2031 (the
    # API lists newest first: the board must not follow that order).
    assert column(page, "open") == [f["long_overdue"], f["overdue"], f["soon"], f["later"]]

    late = card(page, f["long_overdue"])
    # Default ladder: level 2 to the owner's parent, level 3 to the puskesmas head and the dinas.
    assert ("diteruskan ke: Kelurahan Baru Tengah (tingkat 2), Dinas Kesehatan Kota Balikpapan (tingkat 3), "
            "Puskesmas Baru Tengah (tingkat 3)") in late
    assert "eskalasi" not in page
    assert "Rapat: Minilok lintas sektor · 3 Des 2025" in late  # the meeting's own date, in its zone
    assert ">Minilok lintas sektor · 3 Des 2025</option>" in page  # the meeting filter names its date too
    assert "diteruskan" not in card(page, f["soon"])
    assert "terlambat 300 hari" in late and "terlambat 40 hari" in card(page, f["overdue"])

    english = board.get("/board?lang=en").text
    assert "escalated to: Kelurahan Baru Tengah (level 2)" in card(english, f["long_overdue"])
    assert "Meeting: Minilok lintas sektor" in card(english, f["long_overdue"])


def test_the_cards_meetings_and_escalations_are_read_once_for_the_whole_board(meetings_api):
    api = meetings_api
    ids, _ = board_world(api)
    for n in range(6):  # more escalated cards change nothing in the number of statements
        new_followup(api, ids, title=f"RTL terlambat {n}", due_at=(utcnow() - timedelta(days=20 + n)).isoformat())
    reminders.scan(api.client.app.state.sessionmaker, now=utcnow())
    board = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    statements: list[str] = []
    engine = api.client.app.state.sessionmaker.kw["bind"]

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = board.get("/board").text
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(column(page, "open")) == 10
    assert sum("followup_escalations" in s for s in statements) == 1
    assert sum(re.search(r"FROM meetings\b", s) is not None and "meetings.title" in s for s in statements) <= 2


def test_filters_still_narrow_the_board(meetings_api):
    api = meetings_api
    ids, f = board_world(api)
    board = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    assert column(board.get("/board?overdue=1").text, "open") == [f["long_overdue"], f["overdue"]]
    assert column(board.get(f"/board?agency_id={ids['rt']}").text, "open") == [f["long_overdue"]]
    other = api.post("/api/v1/meetings", json={"puskesmas_id": ids["puskesmas"], "kind": "monthly_internal",
                                               "title": "Minilok bulanan", "scheduled_at": "2026-01-07T09:00:00+08:00"})
    assert column(board.get(f"/board?meeting_id={other.json()['id']}").text, "open") == []
    assert column(board.get(f"/board?meeting_id={ids['meeting']}").text, "open") == [
        f["long_overdue"], f["overdue"], f["soon"], f["later"]]
