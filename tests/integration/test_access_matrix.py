"""Access control: every /api/v1 endpoint of every service × every kind of caller.

The endpoint list comes from each app's OpenAPI, so a new endpoint without a row here fails
`test_every_endpoint_is_in_the_matrix`. Each row names the caller classes expected for the nine
real principals, mostly on resources of puskesmas A (and of its agency X):

    admin  pA pB (puskesmas A, B)  aX (owner)  aY (B's agency)  aK (an agency the follow-up
    escalated to)  aS (a supporting agency)  dA (a dinas over Kota Batam, A's area, carrying its
    own agency G, the dinas kesehatan)  dB (a dinas over B's area, without an agency)

    O  2xx            D  denied: 403, or 404 that says nothing exists          U  401

The four broken tokens (none, expired, tampered, signed with another secret) are 401 everywhere
a bearer token is the credential; a row whose credential is something else (an action link, a
sign-in code) spells out all thirteen letters. A list answered 200 is checked item by item:
nobody sees an object of another tenant. Writes act on a fresh object each time, so one
caller's change never hides another's denial.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from minilok_shared.action_links import mint_action_token
from minilok_shared.auth import create_token
from minilok_shared.service import get_service
from receivers import WebhookReceiver
from sqlalchemy import select

SERVICES = ("meetings", "notifications", "indicators")
PRINCIPALS = ("admin", "pA", "pB", "aX", "aY", "aK", "aS", "dA", "dB")
AREA = "21.71.06"  # puskesmas A's working area (Kota Batam, 21.71)
AREA_B = "21.72.01"  # puskesmas B's (Kota Tanjungpinang, 21.72)
DUE_LATER = "2027-06-30"  # a due date whose action links have not expired
BROKEN = ("none", "expired", "tampered", "foreign")


@dataclass
class Row:
    service: str
    method: str
    path: str  # the OpenAPI path template
    expect: str  # one letter per PRINCIPALS (O or D), or per PRINCIPALS + BROKEN
    request: Callable[[World], dict[str, Any]] = lambda w: {}  # path params, json, content, params
    kind: str | None = None  # for list answers: which objects the items are
    note: str = ""


@dataclass
class World:
    """Two tenants: puskesmas A with agencies X, Z, K (X's parent, the kecamatan) and S (a
    Babinsa), puskesmas B with agency Y, and the shared dinas kesehatan G. `seen_by` records, for
    every object created here, which principals may see it (admin sees all)."""

    meetings: Any = None
    notifications: Any = None
    indicators: Any = None
    ids: dict[str, Any] = field(default_factory=dict)
    seen_by: dict[tuple[str, Any], set[str]] = field(default_factory=dict)
    receiver: WebhookReceiver | None = None

    def tag(self, kind: str, ident: Any, *principals: str) -> Any:
        self.seen_by[(kind, ident)] = {"admin", *principals}
        return ident

    # --- meetings ------------------------------------------------------------------------
    def post(self, api, path, body, expect=201):
        r = api.post(f"/api/v1/{path}", json=body)
        assert r.status_code == expect, (path, r.status_code, r.text)
        return r.json()

    def meeting(self, puskesmas="A", tenant="pA") -> int:
        m = self.post(self.meetings, "meetings", {
            "puskesmas_id": self.ids[puskesmas], "kind": "monthly_internal", "title": "Lokmin bulanan",
            "scheduled_at": "2026-03-02T09:00:00+07:00"})
        return self.tag("meeting", m["id"], tenant, f"d{puskesmas}")

    def followup(self, owner="X", supporters=("S",), escalated=("K",), puskesmas="A", **due) -> int:
        """Seen by its puskesmas, the dinas over it, and the agencies it concerns (the dinas A token
        carries agency G)."""
        meeting = self.ids[f"meeting{puskesmas}"]
        f = self.post(self.meetings, f"meetings/{meeting}/follow-ups", {
            "title": "Pemantauan jentik", "owner_agency_id": self.ids[owner],
            "supporting_agency_ids": [self.ids[s] for s in supporters], **(due or {"due_in_working_days": 5})})
        concerned = {owner, *supporters, *escalated}
        self.escalate(f["id"], escalated)
        return self.tag("followup", f["id"], f"p{puskesmas}", f"d{puskesmas}", *(f"a{a}" for a in concerned),
                        *(["dA"] if "G" in concerned else []))

    def escalate(self, followup_id: int, agencies) -> None:
        """What the escalation scan records (written here directly)."""
        from minilok_meetings import models

        with self.meetings.client.app.state.sessionmaker() as session:
            session.add_all(models.FollowUpEscalation(followup_id=followup_id, agency_id=self.ids[a], level=2)
                            for a in agencies)
            session.commit()

    def extension_request(self) -> int:
        ident = self.followup()
        r = self.post(self.meetings, f"follow-ups/{ident}/extension-requests",
                      {"due_date": DUE_LATER, "reason": "Menunggu anggaran kelurahan"})
        return self.tag("extension_request", r["id"], "pA", "dA", "aX")

    def evidence(self, followup_id: int) -> int:
        r = self.meetings.post(f"/api/v1/follow-ups/{followup_id}/evidence",
                               files={"file": ("foto.png", png_bytes(), "image/png")})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def action_link(self, followup_id: int | None = None) -> str:
        """The owner's link to a fresh follow-up (or to `followup_id`), not expired."""
        ident = followup_id or self.followup(due_date=DUE_LATER)
        due = datetime.fromisoformat(self.meetings.get(f"/api/v1/follow-ups/{ident}").json()["due_at"])
        return mint_action_token(os.environ["MINILOK_SECRET"], ident, self.ids["X"], due)

    def followup_in(self, status: str) -> int:
        ident = self.followup()
        moves = {"in_progress": ["start"], "cancelled": ["cancel"]}[status]
        for move in moves:
            r = self.meetings.post(f"/api/v1/follow-ups/{ident}/{move}", json={"reason": "uji"})
            assert r.status_code == 200, r.text
        return ident

    def agenda_item(self) -> dict:
        """A fresh meeting with one agenda item: the path parameters of that item."""
        ident = self.meeting()
        item = self.post(self.meetings, f"meetings/{ident}/agenda", {"title": "Situasi DBD"})
        return {"meeting_id": ident, "item_id": item["id"]}

    def meeting_with_minutes(self) -> int:
        ident = self.meeting()
        self.post(self.meetings, f"meetings/{ident}/minutes", {"summary": "Ringkasan", "decisions": []}, 200)
        return ident

    def proposal(self, puskesmas="A", tenant="pA") -> int:
        from minilok_meetings import models

        with self.meetings.client.app.state.sessionmaker() as session:
            # Each its own area: one already on an agenda is not accepted again (409).
            p = models.Proposal(puskesmas_id=self.ids[puskesmas], event_id=str(uuid.uuid4()), indicator_code="DBD_IR",
                                area_code=f"21.71.{uuid.uuid4().hex[:6]}", period="2026-01",
                                title="Angka DBD di atas target",
                                value=60.0, target=49.0, status="proposed")
            session.add(p)
            session.commit()
            return self.tag("proposal", p.id, tenant, f"d{puskesmas}")

    # --- notifications -------------------------------------------------------------------
    def subscription(self, agency="X", by="admin", filters=None, seen=("aX",)) -> int:
        """`by` admin, pA, pB, the agency's own token (aX, aY, aG) or dA; `filters` by tenant letter."""
        token = self.notifications.admin if by == "admin" else principal_headers(self, by) if by == "dA" else \
            headers("puskesmas", puskesmas_id=self.ids[by[1]]) if by.startswith("p") else \
            headers("agency", agency_id=self.ids[by[1]])
        filters = {"puskesmas_id": self.ids[filters]} if isinstance(filters, str) else filters
        r = self.notifications.post("/api/v1/subscriptions", headers=token, json={
            "agency_id": self.ids[agency], "event_types": ["followup.*"], "channel": "webhook",
            "target": self.receiver.url, "filters": filters or {}})
        assert r.status_code == 201, r.text
        return self.tag("subscription", r.json()["id"], *seen)

    def delivery(self, subscription: int, seen: tuple[str, ...], status="failed") -> int:
        from minilok_notifications import models

        event_id = str(uuid.uuid4())
        with self.notifications.client.app.state.sessionmaker() as session:
            d = models.Delivery(subscription_id=subscription, event_id=event_id, event_type="followup.created",
                                channel="webhook", payload=json.dumps({"id": event_id}), message_id=f"msg_{event_id}",
                                status=status, attempts=[], attempt_count=8 if status == "failed" else 0)
            session.add(d)
            session.commit()
            return self.tag("delivery", d.id, *seen)


def headers(role: str, **scope) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(os.environ['MINILOK_SECRET'], role, **scope)}"}


def png_bytes() -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 48), (30, 140, 80)).save(out, "PNG")
    return out.getvalue()


def tampered(token: str) -> str:
    """The same signature over a payload that now claims the admin role."""
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{signature}"


@pytest.fixture
def world(service_api, monkeypatch, tmp_path):
    monkeypatch.setenv("NOTIFICATIONS_ALLOW_PRIVATE_TARGETS", "1")
    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("MEETINGS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    # The admin token sets up every row's fresh objects: well past 600 requests a minute.
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "0")
    w = World()
    with WebhookReceiver().running() as receiver:
        w.receiver = receiver
        w.meetings, w.notifications, w.indicators = (service_api(s) for s in SERVICES)
        api, ids = w.meetings, w.ids
        for name, code, area in (("A", "PA01", AREA), ("B", "PB01", AREA_B)):
            ids[name] = w.tag("puskesmas", w.post(api, "puskesmas", {
                "code": code, "name": f"Puskesmas {name}", "timezone": "Asia/Jakarta", "area_code": area,
                "kota": "Kota Batam", "provinsi": "Kepulauan Riau"})["id"], f"p{name}", f"d{name}")
        agencies = (("K", "kecamatan", "A", None, ("pA", "aK", "dA")), ("X", "kelurahan", "A", "K", ("pA", "aX", "dA")),
                    ("Z", "kelurahan", "A", "K", ("pA", "dA")), ("S", "babinsa", "A", None, ("pA", "aS", "dA")),
                    ("Y", "kelurahan", "B", None, ("pB", "aY", "dB")))
        for name, kind, puskesmas, parent, seen in agencies:
            ids[name] = w.tag("agency", w.post(api, "agencies", {
                "name": f"Lembaga {name}", "kind": kind, "puskesmas_id": ids[puskesmas],
                **({"parent_id": ids[parent]} if parent else {})})["id"], *seen)
        dinkes = w.post(api, "agencies", {"name": "Dinas Kesehatan", "kind": "dinas_kesehatan"})["id"]
        ids["G"] = w.tag("agency", dinkes, "pA", "pB", "dA", "dB")  # shared: every puskesmas and dinas
        ids["meetingA"], ids["meetingB"] = w.meeting("A", "pA"), w.meeting("B", "pB")
        ids["FA"] = w.followup("X")  # supported by S, escalated to K
        w.followup("Z", supporters=("X",), escalated=())
        w.followup("Z", supporters=(), escalated=())
        w.followup("Z", supporters=(), escalated=("G",))  # the dinas kesehatan's, at level 3
        w.followup("Y", supporters=(), escalated=(), puskesmas="B")
        ids["PA"] = w.proposal("A", "pA")
        w.proposal("B", "pB")
        w.extension_request()
        ids["EA"] = w.evidence(ids["FA"])
        ids["link"] = w.action_link()

        ids["SX"] = w.subscription("X", "admin", seen=("aX",))
        ids["SA"] = w.subscription("X", "pA", seen=("pA",))  # puskesmas A's watch, named after agency X
        ids["SY"] = w.subscription("Y", "admin", seen=("aY",))
        ids["SB"] = w.subscription("Y", "pB", seen=("pB",))
        # Agencies' own subscriptions filtered on puskesmas A: not puskesmas A's to see
        ids["SXA"] = w.subscription("X", "aX", "A", seen=("aX",))
        w.subscription("G", "aG", "A", seen=("dA",))  # the dinas kesehatan's (its dinas token manages it)
        w.subscription("G", "dA", seen=("dA",))  # made by the dinas token itself
        w.subscription("G", "admin", "A", seen=("pA",))  # an admin's puskesmas-wide watch, named after G
        ids["DX"] = w.delivery(ids["SX"], ("aX",))
        w.delivery(ids["SXA"], ("aX",))
        w.delivery(ids["SA"], ("pA",))
        w.delivery(ids["SY"], ("aY",))
        w.delivery(ids["SB"], ("pB",))

        ind = w.indicators
        w.post(ind, "areas/bulk", [{"code": "21", "name": "Kepulauan Riau", "level": "provinsi"},
                                    {"code": "21.71", "name": "Kota Batam", "level": "kota", "parent_code": "21"},
                                    {"code": AREA, "name": "Batu Ampar", "level": "kecamatan", "parent_code": "21.71"},
                                    {"code": "21.72", "name": "Kota Tanjungpinang", "level": "kota",
                                     "parent_code": "21"},
                                    {"code": AREA_B, "name": "Bukit Bestari", "level": "kecamatan",
                                     "parent_code": "21.72"}])
        w.post(ind, "indicators", {"code": "DBD_IR", "name": "Angka kesakitan DBD", "unit": "per_100k",
                                   "factor": 100000, "target": 49, "direction": "lower_is_better",
                                   "period_type": "monthly"})
        r = ind.post("/api/v1/values", json=[{"indicator_code": "DBD_IR", "area_code": "21.71", "period": "2026-01",
                                             "numerator": 5, "denominator": 10000}])
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
        yield w


def fresh_code() -> str:
    return uuid.uuid4().hex[:8].upper()


def sub_body(w):
    return {"agency_id": w.ids["X"], "event_types": ["followup.*"], "channel": "webhook", "target": w.receiver.url,
            "filters": {"puskesmas_id": w.ids["A"]}}


# Every kind of subscription (who made it, for whom, on which puskesmas) × every principal: only
# admin, the agency itself (agency scope: its agency token, or the dinas token carrying it) or the
# puskesmas it watches (puskesmas scope, made by admin or that puskesmas) manage it.
#                                                        admin pA pB aX aY aK aS dA dB
SUBSCRIPTION_KINDS = (
    ("admin-made, agency X's", lambda w: w.subscription("X", "admin", seen=("aX",)), "ODDODDDDD"),
    ("agency X's own, filtered on A", lambda w: w.subscription("X", "aX", "A", seen=("aX",)), "ODDODDDDD"),
    ("admin-made, agency Y's", lambda w: w.subscription("Y", "admin", seen=("aY",)), "ODDDODDDD"),
    ("the dinas kesehatan's own, filtered on A", lambda w: w.subscription("G", "aG", "A", seen=("dA",)),
     "ODDDDDDOD"),
    ("made by the dinas token for its agency", lambda w: w.subscription("G", "dA", seen=("dA",)), "ODDDDDDOD"),
    ("admin-made watch of A, named after X", lambda w: w.subscription("X", "admin", "A", seen=("pA",)), "OODDDDDDD"),
    ("puskesmas A's watch", lambda w: w.subscription("X", "pA", "A", seen=("pA",)), "OODDDDDDD"),
    ("puskesmas B's watch", lambda w: w.subscription("Y", "pB", "B", seen=("pB",)), "ODODDDDDD"),
)
SUBSCRIPTION_WRITES = (
    ("GET", "/api/v1/subscriptions/{subscription_id}", {}),
    ("PATCH", "/api/v1/subscriptions/{subscription_id}",
     {"json": {"target": "http://127.0.0.1:9/elsewhere", "active": False}}),
    ("PATCH", "/api/v1/subscriptions/{subscription_id}", {"json": {"language": "en"}}),
    ("DELETE", "/api/v1/subscriptions/{subscription_id}", {}),
    ("POST", "/api/v1/subscriptions/{subscription_id}/rotate-secret", {}),
    ("POST", "/api/v1/subscriptions/{subscription_id}/test", {}),
    ("POST", "/api/v1/subscriptions/{subscription_id}/recover",
     {"json": {"since": (datetime.now(UTC) - timedelta(days=1)).isoformat()}}),
)
PHOTO = {"files": {"file": ("foto.png", png_bytes(), "image/png")}}
EVERYONE = "O" * 13  # the credential is in the path: any bearer header, good or broken, is beside the point

ROWS: list[Row] = [
    # --- meetings ----------------------------------------------------------  admin pA pB aX aY aK aS dA dB
    Row("meetings", "POST", "/api/v1/puskesmas", "ODDDDDDDD", lambda w: {"json": {
        "code": fresh_code(), "name": "Puskesmas Baru", "timezone": "Asia/Jakarta", "area_code": "21.71",
        "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}}),
    Row("meetings", "GET", "/api/v1/puskesmas", "OOODDDDOO", kind="puskesmas"),
    Row("meetings", "GET", "/api/v1/puskesmas/{puskesmas_id}", "OODDDDDOD", lambda w: {"puskesmas_id": w.ids["A"]}),
    Row("meetings", "GET", "/api/v1/puskesmas/{puskesmas_id}", "ODODDDDDO", lambda w: {"puskesmas_id": w.ids["B"]},
        note="B, in the other dinas's area"),
    Row("meetings", "PATCH", "/api/v1/puskesmas/{puskesmas_id}", "OODDDDDDD",
        lambda w: {"puskesmas_id": w.ids["A"], "json": {"name": "Puskesmas A"}}),
    Row("meetings", "POST", "/api/v1/agencies", "OODDDDDDD", lambda w: {"json": {
        "name": "RT 03", "kind": "rt", "puskesmas_id": w.ids["A"], "parent_id": w.ids["X"]}}),
    Row("meetings", "GET", "/api/v1/agencies", "OOOOOOOOO", lambda w: {"params": {"puskesmas_id": w.ids["A"]}},
        kind="agency"),
    Row("meetings", "GET", "/api/v1/agencies", "OOOOOOOOO", kind="agency", note="unfiltered"),
    Row("meetings", "GET", "/api/v1/agencies/{agency_id}", "OODODDDOD", lambda w: {"agency_id": w.ids["X"]}),
    Row("meetings", "PATCH", "/api/v1/agencies/{agency_id}", "OODDDDDDD",
        lambda w: {"agency_id": w.ids["X"], "json": {"name": "Kelurahan X"}}),
    Row("meetings", "PATCH", "/api/v1/agencies/{agency_id}", "ODDDDDDDD",
        lambda w: {"agency_id": w.ids["G"], "json": {"name": "Dinas Kesehatan Kota"}},
        note="a shared agency: only admins rename it (not even its own dinas token)"),
    Row("meetings", "POST", "/api/v1/meetings", "OODDDDDDD", lambda w: {"json": {
        "puskesmas_id": w.ids["A"], "kind": "other", "title": "Rapat", "scheduled_at": "2026-04-01T09:00:00+07:00"}}),
    Row("meetings", "GET", "/api/v1/meetings", "OOODDDDOO", lambda w: {"params": {"puskesmas_id": w.ids["A"]}},
        kind="meeting"),
    Row("meetings", "GET", "/api/v1/meetings", "OOODDDDOO", kind="meeting", note="unfiltered"),
    Row("meetings", "GET", "/api/v1/meetings/{meeting_id}", "OODDDDDOD", lambda w: {"meeting_id": w.ids["meetingA"]}),
    Row("meetings", "GET", "/api/v1/meetings/{meeting_id}/invitation.ics", "OODDDDDOD",
        lambda w: {"meeting_id": w.ids["meetingA"]}),
    Row("meetings", "PATCH", "/api/v1/meetings/{meeting_id}", "OODDDDDDD",
        lambda w: {"meeting_id": w.meeting(), "json": {"location": "Aula kelurahan"}}),
    Row("meetings", "PUT", "/api/v1/meetings/{meeting_id}/invitations", "OODDDDDDD",
        lambda w: {"meeting_id": w.meeting(), "json": [w.ids["X"]]}),
    Row("meetings", "POST", "/api/v1/meetings/{meeting_id}/cancel", "OODDDDDDD",
        lambda w: {"meeting_id": w.meeting(), "json": {"reason": "Bentrok"}}),
    Row("meetings", "POST", "/api/v1/meetings/{meeting_id}/agenda", "OODDDDDDD",
        lambda w: {"meeting_id": w.meeting(), "json": {"title": "Situasi DBD"}}),
    Row("meetings", "PATCH", "/api/v1/meetings/{meeting_id}/agenda/{item_id}", "OODDDDDDD",
        lambda w: {**w.agenda_item(), "json": {"title": "Situasi DBD terkini"}}),
    Row("meetings", "DELETE", "/api/v1/meetings/{meeting_id}/agenda/{item_id}", "OODDDDDDD",
        lambda w: w.agenda_item()),
    Row("meetings", "PUT", "/api/v1/meetings/{meeting_id}/attendance", "OODDDDDDD",
        lambda w: {"meeting_id": w.meeting(), "json": [{"agency_id": w.ids["X"], "person_name": "Bu Lurah"}]}),
    Row("meetings", "POST", "/api/v1/meetings/{meeting_id}/minutes", "OODDDDDDD",
        lambda w: {"meeting_id": w.meeting(), "json": {"summary": "Ringkasan", "decisions": []}}),
    Row("meetings", "POST", "/api/v1/meetings/{meeting_id}/publish", "OODDDDDDD",
        lambda w: {"meeting_id": w.meeting_with_minutes()}),
    Row("meetings", "GET", "/api/v1/meetings/{meeting_id}/minutes.pdf", "OODDDDDOD",
        lambda w: {"meeting_id": w.ids["meetingA"]}),
    Row("meetings", "GET", "/api/v1/meetings/{meeting_id}/follow-ups.xlsx", "OODDDDDOD",
        lambda w: {"meeting_id": w.ids["meetingA"]}),
    Row("meetings", "POST", "/api/v1/meetings/{meeting_id}/follow-ups", "OODDDDDDD", lambda w: {
        "meeting_id": w.ids["meetingA"], "json": {"title": "Abatisasi", "owner_agency_id": w.ids["X"],
                                                  "due_date": "2026-05-01"}}),
    Row("meetings", "GET", "/api/v1/follow-ups", "OOOOOOOOO", lambda w: {"params": {"puskesmas_id": w.ids["A"]}},
        kind="followup"),
    Row("meetings", "GET", "/api/v1/follow-ups", "OOOOOOOOO", lambda w: {"params": {"owner_agency_id": w.ids["X"]}},
        kind="followup", note="by owner"),
    Row("meetings", "GET", "/api/v1/follow-ups", "OOOOOOOOO", kind="followup", note="unfiltered"),
    Row("meetings", "GET", "/api/v1/follow-ups", "OOOOOOOOO", lambda w: {"params": {"status": "open"}},
        kind="followup", note="by status"),
    Row("meetings", "GET", "/api/v1/follow-ups/{followup_id}", "OODODOOOD", lambda w: {"followup_id": w.ids["FA"]}),
    Row("meetings", "PATCH", "/api/v1/follow-ups/{followup_id}", "OODDDDDDD",
        lambda w: {"followup_id": w.followup(), "json": {"priority": "high"}}),
    Row("meetings", "GET", "/api/v1/follow-ups/{followup_id}/history", "OODODOOOD",
        lambda w: {"followup_id": w.ids["FA"]}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/notes", "OODODOOOD",
        lambda w: {"followup_id": w.followup(), "json": {"note": "Sudah kami tegur"}}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/start", "OODODDDDD",
        lambda w: {"followup_id": w.followup()}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/progress", "OODODDDDD",
        lambda w: {"followup_id": w.followup(), "json": {"note": "Separuh RT", "percent": 50}}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/progress", "OODODDODD",
        lambda w: {"followup_id": w.followup(), "json": {"note": "Babinsa ikut memantau"}},
        note="a note without percent: the supporting agency too"),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/complete", "OODODDDDD",
        lambda w: {"followup_id": w.followup_in("in_progress"), "json": {"note": "Selesai"}}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/acknowledge", "OODODDDDD",
        lambda w: {"followup_id": w.followup(), "json": {"note": "Diterima"}}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/cancel", "OODDDDDDD",
        lambda w: {"followup_id": w.followup(), "json": {"reason": "Tidak relevan"}}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/reopen", "OODDDDDDD",
        lambda w: {"followup_id": w.followup_in("cancelled"), "json": {"reason": "Masih perlu"}}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/start", "ODODODDDD",
        lambda w: {"followup_id": w.followup("Y", supporters=(), escalated=(), puskesmas="B")},
        note="B's follow-up: its own tenant acts, A and X may not"),
    Row("meetings", "GET", "/api/v1/follow-ups/{followup_id}", "ODODODDDO",
        lambda w: {"followup_id": w.followup("Y", supporters=(), escalated=(), puskesmas="B")},
        note="B's follow-up: the dinas over B reads it, the one over A not"),
    Row("meetings", "GET", "/api/v1/follow-ups/{followup_id}", "OODDDDDOD",
        lambda w: {"followup_id": w.followup("Z", supporters=(), escalated=("G",))},
        note="escalated to the dinas kesehatan G: not K's, S's nor X's"),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/evidence", "OODODDODD",
        lambda w: {"followup_id": w.followup(), **PHOTO}),
    Row("meetings", "GET", "/api/v1/follow-ups/{followup_id}/evidence", "OODODOOOD",
        lambda w: {"followup_id": w.ids["FA"]}),
    Row("meetings", "GET", "/api/v1/evidence/{evidence_id}", "OODODOOOD", lambda w: {"evidence_id": w.ids["EA"]}),
    Row("meetings", "GET", "/api/v1/evidence/{evidence_id}/thumbnail", "OODODOOOD",
        lambda w: {"evidence_id": w.ids["EA"]}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/extension-requests", "OODODDDDD",
        lambda w: {"followup_id": w.followup(), "json": {"due_date": DUE_LATER, "reason": "Menunggu anggaran"}}),
    Row("meetings", "GET", "/api/v1/extension-requests", "OOOOOOOOO", kind="extension_request"),
    Row("meetings", "POST", "/api/v1/extension-requests/{request_id}/approve", "OODDDDDDD",
        lambda w: {"request_id": w.extension_request(), "json": {}}),
    Row("meetings", "POST", "/api/v1/extension-requests/{request_id}/refuse", "OODDDDDDD",
        lambda w: {"request_id": w.extension_request(), "json": {"reason": "Belum ada alasan kuat"}}),
    Row("meetings", "GET", "/api/v1/escalation-policies/{puskesmas_id}", "OODDDDDOD",
        lambda w: {"puskesmas_id": w.ids["A"]}),
    Row("meetings", "PUT", "/api/v1/escalation-policies/{puskesmas_id}", "OODDDDDDD",
        lambda w: {"puskesmas_id": w.ids["A"], "json": {"due_soon_before": "P2D", "steps": [
            {"after": "P0D", "notify": "owner"}]}}),
    Row("meetings", "GET", "/api/v1/proposals", "OOODDDDOO", lambda w: {"params": {"puskesmas_id": w.ids["A"]}},
        kind="proposal"),
    Row("meetings", "GET", "/api/v1/proposals", "OOODDDDOO", kind="proposal", note="unfiltered"),
    Row("meetings", "GET", "/api/v1/proposals/{proposal_id}", "OODDDDDOD", lambda w: {"proposal_id": w.ids["PA"]}),
    Row("meetings", "POST", "/api/v1/proposals/{proposal_id}/accept", "OODDDDDDD",
        lambda w: {"proposal_id": w.proposal(), "json": {"meeting_id": w.meeting()}}),
    Row("meetings", "POST", "/api/v1/proposals/{proposal_id}/dismiss", "OODDDDDDD",
        lambda w: {"proposal_id": w.proposal()}),
    # The owner's action link is the credential: whoever holds it acts, whatever bearer token it sends.
    Row("meetings", "GET", "/api/v1/actions/{token}", EVERYONE, lambda w: {"token": w.ids["link"]}),
    Row("meetings", "POST", "/api/v1/actions/{token}/acknowledge", EVERYONE,
        lambda w: {"token": w.action_link(), "json": {}}),
    Row("meetings", "POST", "/api/v1/actions/{token}/progress", EVERYONE,
        lambda w: {"token": w.action_link(), "json": {"note": "Separuh RT", "percent": 50}}),
    Row("meetings", "POST", "/api/v1/actions/{token}/complete", EVERYONE,
        lambda w: {"token": w.action_link(), "json": {"note": "Selesai"}}),
    Row("meetings", "POST", "/api/v1/actions/{token}/extend", EVERYONE,
        lambda w: {"token": w.action_link(), "json": {"due_date": "2027-07-31", "reason": "Menunggu anggaran"}}),
    Row("meetings", "POST", "/api/v1/actions/{token}/evidence", EVERYONE,
        lambda w: {"token": w.action_link(), **PHOTO}),
    # The ways in take no token: asking for a code answers the same to everyone, and no bearer
    # token makes a wrong code right.
    Row("meetings", "POST", "/api/v1/auth/code", EVERYONE, lambda w: {"json": {"phone": "+6281234567890"}}),
    Row("meetings", "POST", "/api/v1/auth/verify", "U" * 13,
        lambda w: {"json": {"phone": f"+62812{uuid.uuid4().int % 10**7:07d}", "code": "000000"}},
        note="a fresh phone each time: five wrong codes for one phone lock it (429)"),
    # --- notifications ---------------------------------------------------------------------
    Row("notifications", "POST", "/api/v1/subscriptions", "OODODDDDD", lambda w: {"json": sub_body(w)}),
    Row("notifications", "POST", "/api/v1/subscriptions", "OODDDDDOD", lambda w: {"json": {
        **sub_body(w), "agency_id": w.ids["G"]}},
        note="named after the dinas kesehatan: its dinas token (agency scope), or A's watch of itself"),
    Row("notifications", "GET", "/api/v1/subscriptions", "OOOOOOOOD", kind="subscription"),
    Row("notifications", "GET", "/api/v1/subscriptions", "OOOOOOOOD", lambda w: {"params": {"agency_id": w.ids["X"]}},
        kind="subscription", note="by agency"),
    Row("notifications", "GET", "/api/v1/subscriptions/{subscription_id}", "ODDODDDDD",
        lambda w: {"subscription_id": w.ids["SX"]}),
    Row("notifications", "GET", "/api/v1/subscriptions/{subscription_id}", "OODDDDDDD",
        lambda w: {"subscription_id": w.ids["SA"]}, note="puskesmas A's watch is not agency X's to see"),
    *[Row("notifications", method, path, expect, lambda w, make=make, body=body: {"subscription_id": make(w), **body},
          note=kind)
      for kind, make, expect in SUBSCRIPTION_KINDS
      for method, path, body in SUBSCRIPTION_WRITES],
    # Meta's webhook: its verify token and its app secret's signature are the credentials, never a
    # bearer token (neither is set here: every caller is refused alike).
    Row("notifications", "GET", "/api/v1/whatsapp/webhook", "D" * 13,
        lambda w: {"params": {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "42"}}),
    Row("notifications", "POST", "/api/v1/whatsapp/webhook", "U" * 13,
        lambda w: {"json": {"object": "whatsapp_business_account", "entry": []}}),
    Row("notifications", "GET", "/api/v1/deliveries", "OOOOOOOOD", kind="delivery"),
    Row("notifications", "GET", "/api/v1/deliveries", "OOOOOOOOD",
        lambda w: {"params": {"subscription_id": w.ids["SX"]}}, kind="delivery", note="by subscription"),
    Row("notifications", "GET", "/api/v1/deliveries/{delivery_id}", "ODDODDDDD",
        lambda w: {"delivery_id": w.ids["DX"]}),
    Row("notifications", "POST", "/api/v1/deliveries/{delivery_id}/retry", "ODDODDDDD",
        lambda w: {"delivery_id": w.delivery(w.ids["SX"], ("aX",))}),
    Row("notifications", "GET", "/api/v1/deliveries/{delivery_id}", "ODDODDDDD",
        lambda w: {"delivery_id": w.delivery(w.ids["SXA"], ("aX",))}, note="agency X's own, filtered on A"),
    Row("notifications", "POST", "/api/v1/deliveries/{delivery_id}/retry", "ODDODDDDD",
        lambda w: {"delivery_id": w.delivery(w.ids["SXA"], ("aX",))}, note="agency X's own, filtered on A"),
    # --- indicators: the hierarchy and catalogue are shared reference data (every role reads,
    # admins write); puskesmas report values; a dinas reads rollups and reports nothing. --------
    Row("indicators", "POST", "/api/v1/areas", "ODDDDDDDD",
        lambda w: {"json": {"code": fresh_code(), "name": "Kecamatan Baru", "level": "kecamatan",
                            "parent_code": "21.71"}}),
    Row("indicators", "GET", "/api/v1/areas", "OOOOOOOOO"),
    Row("indicators", "POST", "/api/v1/areas/bulk", "ODDDDDDDD",
        lambda w: {"json": [{"code": fresh_code(), "name": "Kecamatan", "level": "kecamatan",
                             "parent_code": "21.71"}]}),
    Row("indicators", "GET", "/api/v1/areas/{code}", "OOOOOOOOO", lambda w: {"code": "21.71"}),
    Row("indicators", "POST", "/api/v1/indicators", "ODDDDDDDD", lambda w: {"json": {
        "code": fresh_code(), "name": "Cakupan", "unit": "percent", "direction": "higher_is_better",
        "period_type": "monthly"}}),
    Row("indicators", "GET", "/api/v1/indicators", "OOOOOOOOO"),
    Row("indicators", "GET", "/api/v1/indicators/{code}", "OOOOOOOOO", lambda w: {"code": "DBD_IR"}),
    Row("indicators", "PUT", "/api/v1/indicators/{code}/targets/{area_code}", "ODDDDDDDD",
        lambda w: {"code": "DBD_IR", "area_code": "21.71", "json": {"target": 40}}),
    Row("indicators", "GET", "/api/v1/indicators/{code}/targets", "OOOOOOOOO", lambda w: {"code": "DBD_IR"}),
    Row("indicators", "POST", "/api/v1/values", "OOODDDDDD", lambda w: {"json": [
        {"indicator_code": "DBD_IR", "area_code": AREA, "period": "2026-02", "numerator": 3,
         "denominator": 10000}]}),
    Row("indicators", "POST", "/api/v1/import/csv", "OOODDDDDD", lambda w: {
        "content": b"indicator_code,area_code,period,numerator,denominator\nDBD_IR,21.71.06,2026-03,2,10000\n",
        "headers": {"content-type": "text/csv"}}),
    Row("indicators", "POST", "/api/v1/import/dhis2", "OOODDDDDD", lambda w: {"json": {"dataValues": []}}),
    Row("indicators", "GET", "/api/v1/rollup", "OOOOOOOOO",
        lambda w: {"params": {"indicator": "DBD_IR", "area": "21.71", "period": "2026-01"}}),
    Row("indicators", "GET", "/api/v1/ranking", "OOOOOOOOO",
        lambda w: {"params": {"indicator": "DBD_IR", "area": "21", "period": "2026-01"}}),
    Row("indicators", "GET", "/api/v1/fhir/MeasureReport", "OOOOOOOOO",
        lambda w: {"params": {"indicator": "DBD_IR", "area": "21.71", "period": "2026-01"}}),
    Row("indicators", "GET", "/api/v1/effectiveness", "OOOOOOOOO",
        lambda w: {"params": {"indicator": "DBD_IR", "area": "21.71"}}),
    Row("indicators", "GET", "/api/v1/completeness", "OOOOOOOOO",
        lambda w: {"params": {"indicator": "DBD_IR", "area": "21.71", "period": "2026-01"}}),
    Row("indicators", "GET", "/api/v1/outliers", "OOOOOOOOO",
        lambda w: {"params": {"indicator": "DBD_IR", "area": "21.71"}}),
    Row("meetings", "GET", "/api/v1/scorecard", "OODOOOOOD", lambda w: {"params": {"puskesmas_id": w.ids["A"]}},
        note="A's rapor: its puskesmas, the dinas over it and (their own row only) agencies"),
]

# Admin-only, in every service: the audit log.
ROWS += [Row(service, "GET", "/api/v1/audit", "ODDDDDDDD", lambda w: {"params": {"entity": "followups"}})
         for service in SERVICES]


def principal_headers(w: World, who: str) -> dict[str, str]:
    secret = os.environ["MINILOK_SECRET"]
    a_token = create_token(secret, "puskesmas", puskesmas_id=w.ids["A"])
    return {
        "admin": w.meetings.admin,
        # Puskesmas tokens carry their puskesmas's area (as `minilok token create` makes them).
        "pA": headers("puskesmas", puskesmas_id=w.ids["A"], area_code=AREA),
        "pB": headers("puskesmas", puskesmas_id=w.ids["B"], area_code=AREA_B),
        "aX": headers("agency", agency_id=w.ids["X"]),
        "aY": headers("agency", agency_id=w.ids["Y"]),
        "aK": headers("agency", agency_id=w.ids["K"]),
        "aS": headers("agency", agency_id=w.ids["S"]),
        # The dinas kesehatan's contact over Kota Batam (its own agency G), and a dinas over B's kota.
        "dA": headers("dinas", area_code="21.71", agency_id=w.ids["G"]),
        "dB": headers("dinas", area_code="21.72"),
        "none": {},
        "expired": {"Authorization": f"Bearer {create_token(secret, 'admin', ttl_seconds=-60)}"},
        "tampered": {"Authorization": f"Bearer {tampered(a_token)}"},
        "foreign": {"Authorization": f"Bearer {create_token('another-secret-' + '0' * 40, 'admin')}"},
    }[who]


def call(w: World, row: Row, who: str):
    spec = row.request(w)
    path = row.path.format(**{k: v for k, v in spec.items()
                              if k not in ("json", "params", "content", "headers", "files")})
    api = getattr(w, row.service)
    kwargs = {k: spec[k] for k in ("json", "params", "content", "files") if k in spec}
    return api.client.request(row.method, path, headers={**principal_headers(w, who), **spec.get("headers", {})},
                              **kwargs)


def item_ids(kind: str, body: Any) -> list[Any]:
    assert isinstance(body, dict) and "items" in body, body
    return [item["id"] for item in body["items"]]


def test_every_endpoint_is_in_the_matrix(service_api):
    in_table = {(r.service, r.method, r.path) for r in ROWS}
    missing, stale = [], []
    for service in SERVICES:
        spec = get_service(service)
        openapi = service_api(service).client.app.openapi()
        served = {(service, method.upper(), path) for path, ops in openapi["paths"].items()
                  for method in ops if path.startswith("/api/v1/")}
        missing += sorted(served - {k for k in in_table if k[0] == spec.name})
        stale += sorted({k for k in in_table if k[0] == service} - served)
    assert not missing, f"endpoints without a row in the access matrix: {missing}"
    assert not stale, f"rows for endpoints that no longer exist: {stale}"


def test_access_matrix(world):
    failures, leaks, seen = [], [], 0
    for row in ROWS:
        bearer = len(row.expect) == len(PRINCIPALS)  # the token is the credential: broken ones are 401
        for who, letter in zip(PRINCIPALS + BROKEN, row.expect + "UUUU" if bearer else row.expect, strict=True):
            response = call(world, row, who)
            code = response.status_code
            ok = {"O": 200 <= code < 300, "D": code in (403, 404), "U": code == 401}[letter]
            if not ok:
                failures.append(f"{row.method} {row.path} {row.note} as {who}: expected {letter}, got {code} "
                                f"{response.text[:200]}")
            if bearer and letter == "U" and code == 401:
                assert response.headers.get("www-authenticate") == "Bearer"
            if row.kind and 200 <= code < 300 and who != "admin":
                for ident in item_ids(row.kind, response.json()):
                    allowed = world.seen_by.get((row.kind, ident))
                    seen += 1
                    if allowed is not None and who not in allowed:
                        leaks.append(f"{row.method} {row.path} {row.note} as {who}: sees {row.kind} {ident}")
    assert not leaks, "cross-tenant reads:\n" + "\n".join(leaks)
    assert not failures, "\n".join(failures)
    assert seen > 20  # the lists really returned tagged objects to check


def test_a_denied_write_changes_nothing(world):
    """A rejected action leaves the follow-up exactly as it was (no half-applied change)."""
    api, fid = world.meetings, world.followup()
    before = api.get(f"/api/v1/follow-ups/{fid}").json()
    for who in ("pB", "aY", "aK", "aS", "dA", "dB", "expired", "tampered", "foreign"):
        h = principal_headers(world, who)
        for action, body in (("start", None), ("cancel", {"reason": "x"}), ("complete", {"note": "x"})):
            assert api.client.post(f"/api/v1/follow-ups/{fid}/{action}", json=body, headers=h).status_code in (401, 403)
        assert api.client.patch(f"/api/v1/follow-ups/{fid}", json={"title": "diambil alih"},
                                headers=h).status_code in (401, 403)
    assert api.get(f"/api/v1/follow-ups/{fid}").json() == before
    history = api.get(f"/api/v1/follow-ups/{fid}/history").json()["items"]
    assert [h["kind"] for h in history] == ["created"]
    from minilok_meetings import models

    with api.client.app.state.sessionmaker() as session:
        types = session.scalars(select(models.outbox.c.type).where(models.outbox.c.subject == str(fid))).all()
    assert types == ["followup.created"]
