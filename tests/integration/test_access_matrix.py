"""Access control: every /api/v1 endpoint of every service × every kind of caller.

The endpoint list comes from each app's OpenAPI, so a new endpoint without a row here fails
`test_every_endpoint_is_in_the_matrix`. Each row names the caller classes expected for the five
real principals, always on resources of puskesmas A (and of its agency X):

    O  2xx            D  denied: 403, or 404 that says nothing exists

The four broken tokens (none, expired, tampered, signed with another secret) are 401 everywhere.
A list answered 200 is checked item by item: nobody sees an object of another tenant.
Writes act on a fresh object each time, so one caller's change never hides another's denial.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from minilok_shared.auth import create_token
from minilok_shared.service import get_service
from receivers import WebhookReceiver
from sqlalchemy import select

SERVICES = ("meetings", "notifications", "indicators")
PRINCIPALS = ("admin", "pA", "pB", "aX", "aY")
AREA = "21.71.06"  # the working area of both puskesmas
BROKEN = ("none", "expired", "tampered", "foreign")


@dataclass
class Row:
    service: str
    method: str
    path: str  # the OpenAPI path template
    expect: str  # one letter per PRINCIPALS: O or D
    request: Callable[[World], dict[str, Any]] = lambda w: {}  # path params, json, content, params
    kind: str | None = None  # for list answers: which objects the items are
    note: str = ""


@dataclass
class World:
    """Two tenants: puskesmas A with agencies X (and Z), puskesmas B with agency Y. `seen_by`
    records, for every object created here, which principals may see it (admin sees all)."""

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
        return self.tag("meeting", m["id"], tenant)

    def followup(self, owner="X", supporters=(), puskesmas="A", seen=("pA", "aX")) -> int:
        meeting = self.ids[f"meeting{puskesmas}"]
        f = self.post(self.meetings, f"meetings/{meeting}/follow-ups", {
            "title": "Pemantauan jentik", "owner_agency_id": self.ids[owner],
            "supporting_agency_ids": [self.ids[s] for s in supporters], "due_in_working_days": 5})
        return self.tag("followup", f["id"], *seen)

    def followup_in(self, status: str) -> int:
        ident = self.followup()
        moves = {"in_progress": ["start"], "cancelled": ["cancel"]}[status]
        for move in moves:
            r = self.meetings.post(f"/api/v1/follow-ups/{ident}/{move}", json={"reason": "uji"})
            assert r.status_code == 200, r.text
        return ident

    def meeting_with_minutes(self) -> int:
        ident = self.meeting()
        self.post(self.meetings, f"meetings/{ident}/minutes", {"summary": "Ringkasan", "decisions": []}, 200)
        return ident

    def proposal(self, puskesmas="A", tenant="pA") -> int:
        from minilok_meetings import models

        with self.meetings.client.app.state.sessionmaker() as session:
            p = models.Proposal(puskesmas_id=self.ids[puskesmas], event_id=str(uuid.uuid4()), indicator_code="DBD_IR",
                                area_code="21.71", period="2026-01", title="Angka DBD di atas target",
                                value=60.0, target=49.0, status="proposed")
            session.add(p)
            session.commit()
            return self.tag("proposal", p.id, tenant)

    # --- notifications -------------------------------------------------------------------
    def subscription(self, agency="X", by="admin", filters=None, seen=("aX",)) -> int:
        """`by` admin, pA, pB or the agency's own token (aX, aY, aG); `filters` by tenant letter."""
        token = self.notifications.admin if by == "admin" else \
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


def tampered(token: str) -> str:
    """The same signature over a payload that now claims the admin role."""
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{signature}"


@pytest.fixture
def world(service_api, monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_ALLOW_PRIVATE_TARGETS", "1")
    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS", "1")
    w = World()
    with WebhookReceiver().running() as receiver:
        w.receiver = receiver
        w.meetings, w.notifications, w.indicators = (service_api(s) for s in SERVICES)
        api, ids = w.meetings, w.ids
        for name, code in (("A", "PA01"), ("B", "PB01")):
            ids[name] = w.tag("puskesmas", w.post(api, "puskesmas", {
                "code": code, "name": f"Puskesmas {name}", "timezone": "Asia/Jakarta", "area_code": AREA,
                "kota": "Kota Batam", "provinsi": "Kepulauan Riau"})["id"], f"p{name}")
        agencies = (("X", "A", ("pA", "aX")), ("Z", "A", ("pA",)), ("Y", "B", ("pB", "aY")))
        for name, puskesmas, seen in agencies:
            ids[name] = w.tag("agency", w.post(api, "agencies", {
                "name": f"Kelurahan {name}", "kind": "kelurahan", "puskesmas_id": ids[puskesmas]})["id"], *seen)
        dinkes = w.post(api, "agencies", {"name": "Dinas Kesehatan", "kind": "dinas_kesehatan"})["id"]
        ids["G"] = w.tag("agency", dinkes, "pA", "pB")
        ids["meetingA"], ids["meetingB"] = w.meeting("A", "pA"), w.meeting("B", "pB")
        ids["FA"] = w.followup("X")
        w.followup("Z", supporters=("X",))
        w.followup("Z", seen=("pA",))
        w.followup("Y", puskesmas="B", seen=("pB", "aY"))
        ids["PA"] = w.proposal("A", "pA")
        w.proposal("B", "pB")

        ids["SX"] = w.subscription("X", "admin", seen=("aX",))
        ids["SA"] = w.subscription("X", "pA", seen=("pA",))  # puskesmas A's watch, named after agency X
        ids["SY"] = w.subscription("Y", "admin", seen=("aY",))
        ids["SB"] = w.subscription("Y", "pB", seen=("pB",))
        # Agencies' own subscriptions filtered on puskesmas A: not puskesmas A's to see
        ids["SXA"] = w.subscription("X", "aX", "A", seen=("aX",))
        w.subscription("G", "aG", "A", seen=())  # the dinas kesehatan's
        w.subscription("G", "admin", "A", seen=("pA",))  # an admin's puskesmas-wide watch, named after G
        ids["DX"] = w.delivery(ids["SX"], ("aX",))
        w.delivery(ids["SXA"], ("aX",))
        w.delivery(ids["SA"], ("pA",))
        w.delivery(ids["SY"], ("aY",))
        w.delivery(ids["SB"], ("pB",))

        ind = w.indicators
        w.post(ind, "areas/bulk", [{"code": "21", "name": "Kepulauan Riau", "level": "provinsi"},
                                    {"code": "21.71", "name": "Kota Batam", "level": "kota", "parent_code": "21"},
                                    {"code": AREA, "name": "Batu Ampar", "level": "kecamatan", "parent_code": "21.71"}])
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
# admin, the agency itself (agency scope) or the puskesmas it watches (puskesmas scope, made by
# admin or that puskesmas) manage it.
SUBSCRIPTION_KINDS = (
    ("admin-made, agency X's", lambda w: w.subscription("X", "admin", seen=("aX",)), "ODDOD"),
    ("agency X's own, filtered on A", lambda w: w.subscription("X", "aX", "A", seen=("aX",)), "ODDOD"),
    ("admin-made, agency Y's", lambda w: w.subscription("Y", "admin", seen=("aY",)), "ODDDO"),
    ("the dinas kesehatan's own, filtered on A", lambda w: w.subscription("G", "aG", "A", seen=()), "ODDDD"),
    ("admin-made watch of A, named after X", lambda w: w.subscription("X", "admin", "A", seen=("pA",)), "OODDD"),
    ("puskesmas A's watch", lambda w: w.subscription("X", "pA", "A", seen=("pA",)), "OODDD"),
    ("puskesmas B's watch", lambda w: w.subscription("Y", "pB", "B", seen=("pB",)), "ODODD"),
)
SUBSCRIPTION_WRITES = (
    ("GET", "/api/v1/subscriptions/{subscription_id}", {}),
    ("PATCH", "/api/v1/subscriptions/{subscription_id}",
     {"json": {"target": "http://127.0.0.1:9/elsewhere", "active": False}}),
    ("PATCH", "/api/v1/subscriptions/{subscription_id}", {"json": {"language": "en"}}),
    ("DELETE", "/api/v1/subscriptions/{subscription_id}", {}),
    ("POST", "/api/v1/subscriptions/{subscription_id}/rotate-secret", {}),
    ("POST", "/api/v1/subscriptions/{subscription_id}/test", {}),
)

ROWS: list[Row] = [
    # --- meetings ----------------------------------------------------------------------------
    Row("meetings", "POST", "/api/v1/puskesmas", "ODDDD", lambda w: {"json": {
        "code": fresh_code(), "name": "Puskesmas Baru", "timezone": "Asia/Jakarta", "area_code": "21.71",
        "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}}),
    Row("meetings", "GET", "/api/v1/puskesmas", "OOODD", kind="puskesmas"),
    Row("meetings", "GET", "/api/v1/puskesmas/{puskesmas_id}", "OODDD", lambda w: {"puskesmas_id": w.ids["A"]}),
    Row("meetings", "PATCH", "/api/v1/puskesmas/{puskesmas_id}", "OODDD",
        lambda w: {"puskesmas_id": w.ids["A"], "json": {"name": "Puskesmas A"}}),
    Row("meetings", "POST", "/api/v1/agencies", "OODDD", lambda w: {"json": {
        "name": "RT 03", "kind": "rt", "puskesmas_id": w.ids["A"], "parent_id": w.ids["X"]}}),
    Row("meetings", "GET", "/api/v1/agencies", "OOOOO", lambda w: {"params": {"puskesmas_id": w.ids["A"]}},
        kind="agency"),
    Row("meetings", "GET", "/api/v1/agencies", "OOOOO", kind="agency", note="unfiltered"),
    Row("meetings", "GET", "/api/v1/agencies/{agency_id}", "OODOD", lambda w: {"agency_id": w.ids["X"]}),
    Row("meetings", "PATCH", "/api/v1/agencies/{agency_id}", "OODDD",
        lambda w: {"agency_id": w.ids["X"], "json": {"name": "Kelurahan X"}}),
    Row("meetings", "PATCH", "/api/v1/agencies/{agency_id}", "ODDDD",
        lambda w: {"agency_id": w.ids["G"], "json": {"name": "Dinas Kesehatan Kota"}},
        note="a shared agency: only admins rename it"),
    Row("meetings", "POST", "/api/v1/meetings", "OODDD", lambda w: {"json": {
        "puskesmas_id": w.ids["A"], "kind": "other", "title": "Rapat", "scheduled_at": "2026-04-01T09:00:00+07:00"}}),
    Row("meetings", "GET", "/api/v1/meetings", "OOODD", lambda w: {"params": {"puskesmas_id": w.ids["A"]}},
        kind="meeting"),
    Row("meetings", "GET", "/api/v1/meetings/{meeting_id}", "OODDD", lambda w: {"meeting_id": w.ids["meetingA"]}),
    Row("meetings", "POST", "/api/v1/meetings/{meeting_id}/agenda", "OODDD",
        lambda w: {"meeting_id": w.meeting(), "json": {"title": "Situasi DBD"}}),
    Row("meetings", "PUT", "/api/v1/meetings/{meeting_id}/attendance", "OODDD",
        lambda w: {"meeting_id": w.meeting(), "json": [{"agency_id": w.ids["X"], "person_name": "Bu Lurah"}]}),
    Row("meetings", "POST", "/api/v1/meetings/{meeting_id}/minutes", "OODDD",
        lambda w: {"meeting_id": w.meeting(), "json": {"summary": "Ringkasan", "decisions": []}}),
    Row("meetings", "POST", "/api/v1/meetings/{meeting_id}/publish", "OODDD",
        lambda w: {"meeting_id": w.meeting_with_minutes()}),
    Row("meetings", "GET", "/api/v1/meetings/{meeting_id}/minutes.pdf", "OODDD",
        lambda w: {"meeting_id": w.ids["meetingA"]}),
    Row("meetings", "GET", "/api/v1/meetings/{meeting_id}/follow-ups.xlsx", "OODDD",
        lambda w: {"meeting_id": w.ids["meetingA"]}),
    Row("meetings", "POST", "/api/v1/meetings/{meeting_id}/follow-ups", "OODDD", lambda w: {
        "meeting_id": w.ids["meetingA"], "json": {"title": "Abatisasi", "owner_agency_id": w.ids["X"],
                                                  "due_date": "2026-05-01"}}),
    Row("meetings", "GET", "/api/v1/follow-ups", "OOOOO", lambda w: {"params": {"puskesmas_id": w.ids["A"]}},
        kind="followup"),
    Row("meetings", "GET", "/api/v1/follow-ups", "OOOOO", lambda w: {"params": {"owner_agency_id": w.ids["X"]}},
        kind="followup", note="by owner"),
    Row("meetings", "GET", "/api/v1/follow-ups", "OOOOO", kind="followup", note="unfiltered"),
    Row("meetings", "GET", "/api/v1/follow-ups/{followup_id}", "OODOD", lambda w: {"followup_id": w.ids["FA"]}),
    Row("meetings", "PATCH", "/api/v1/follow-ups/{followup_id}", "OODDD",
        lambda w: {"followup_id": w.followup(), "json": {"priority": "high"}}),
    Row("meetings", "GET", "/api/v1/follow-ups/{followup_id}/history", "OODOD",
        lambda w: {"followup_id": w.ids["FA"]}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/start", "OODOD",
        lambda w: {"followup_id": w.followup()}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/progress", "OODOD",
        lambda w: {"followup_id": w.followup(), "json": {"note": "Separuh RT", "percent": 50}}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/complete", "OODOD",
        lambda w: {"followup_id": w.followup_in("in_progress"), "json": {"note": "Selesai"}}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/cancel", "OODDD",
        lambda w: {"followup_id": w.followup(), "json": {"reason": "Tidak relevan"}}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/reopen", "OODDD",
        lambda w: {"followup_id": w.followup_in("cancelled"), "json": {"reason": "Masih perlu"}}),
    Row("meetings", "POST", "/api/v1/follow-ups/{followup_id}/start", "ODODO",
        lambda w: {"followup_id": w.followup("Y", puskesmas="B", seen=("pB", "aY"))},
        note="B's follow-up: its own tenant acts, A and X may not"),
    Row("meetings", "GET", "/api/v1/escalation-policies/{puskesmas_id}", "OODDD",
        lambda w: {"puskesmas_id": w.ids["A"]}),
    Row("meetings", "PUT", "/api/v1/escalation-policies/{puskesmas_id}", "OODDD",
        lambda w: {"puskesmas_id": w.ids["A"], "json": {"due_soon_before": "P2D", "steps": [
            {"after": "P0D", "notify": "owner"}]}}),
    Row("meetings", "GET", "/api/v1/proposals", "OOODD", lambda w: {"params": {"puskesmas_id": w.ids["A"]}},
        kind="proposal"),
    Row("meetings", "GET", "/api/v1/proposals/{proposal_id}", "OODDD", lambda w: {"proposal_id": w.ids["PA"]}),
    Row("meetings", "POST", "/api/v1/proposals/{proposal_id}/accept", "OODDD",
        lambda w: {"proposal_id": w.proposal(), "json": {"meeting_id": w.meeting()}}),
    Row("meetings", "POST", "/api/v1/proposals/{proposal_id}/dismiss", "OODDD",
        lambda w: {"proposal_id": w.proposal()}),
    # --- notifications -----------------------------------------------------------------------
    Row("notifications", "POST", "/api/v1/subscriptions", "OODOD", lambda w: {"json": sub_body(w)}),
    Row("notifications", "GET", "/api/v1/subscriptions", "OOOOO", kind="subscription"),
    Row("notifications", "GET", "/api/v1/subscriptions", "OOOOO", lambda w: {"params": {"agency_id": w.ids["X"]}},
        kind="subscription", note="by agency"),
    Row("notifications", "GET", "/api/v1/subscriptions/{subscription_id}", "ODDOD",
        lambda w: {"subscription_id": w.ids["SX"]}),
    Row("notifications", "GET", "/api/v1/subscriptions/{subscription_id}", "OODDD",
        lambda w: {"subscription_id": w.ids["SA"]}, note="puskesmas A's watch is not agency X's to see"),
    *[Row("notifications", method, path, expect, lambda w, make=make, body=body: {"subscription_id": make(w), **body},
          note=kind)
      for kind, make, expect in SUBSCRIPTION_KINDS
      for method, path, body in SUBSCRIPTION_WRITES],
    Row("notifications", "GET", "/api/v1/deliveries", "OOOOO", kind="delivery"),
    Row("notifications", "GET", "/api/v1/deliveries", "OOOOO",
        lambda w: {"params": {"subscription_id": w.ids["SX"]}}, kind="delivery", note="by subscription"),
    Row("notifications", "GET", "/api/v1/deliveries/{delivery_id}", "ODDOD", lambda w: {"delivery_id": w.ids["DX"]}),
    Row("notifications", "POST", "/api/v1/deliveries/{delivery_id}/retry", "ODDOD",
        lambda w: {"delivery_id": w.delivery(w.ids["SX"], ("aX",))}),
    Row("notifications", "GET", "/api/v1/deliveries/{delivery_id}", "ODDOD",
        lambda w: {"delivery_id": w.delivery(w.ids["SXA"], ("aX",))}, note="agency X's own, filtered on A"),
    Row("notifications", "POST", "/api/v1/deliveries/{delivery_id}/retry", "ODDOD",
        lambda w: {"delivery_id": w.delivery(w.ids["SXA"], ("aX",))}, note="agency X's own, filtered on A"),
    # --- indicators: the hierarchy and catalogue are shared reference data (every role reads,
    # admins write); puskesmas report values. ------------------------------------------------
    Row("indicators", "POST", "/api/v1/areas", "ODDDD",
        lambda w: {"json": {"code": fresh_code(), "name": "Kecamatan Baru", "level": "kecamatan",
                            "parent_code": "21.71"}}),
    Row("indicators", "GET", "/api/v1/areas", "OOOOO"),
    Row("indicators", "POST", "/api/v1/areas/bulk", "ODDDD",
        lambda w: {"json": [{"code": fresh_code(), "name": "Kecamatan", "level": "kecamatan",
                             "parent_code": "21.71"}]}),
    Row("indicators", "GET", "/api/v1/areas/{code}", "OOOOO", lambda w: {"code": "21.71"}),
    Row("indicators", "POST", "/api/v1/indicators", "ODDDD", lambda w: {"json": {
        "code": fresh_code(), "name": "Cakupan", "unit": "percent", "direction": "higher_is_better",
        "period_type": "monthly"}}),
    Row("indicators", "GET", "/api/v1/indicators", "OOOOO"),
    Row("indicators", "GET", "/api/v1/indicators/{code}", "OOOOO", lambda w: {"code": "DBD_IR"}),
    Row("indicators", "PUT", "/api/v1/indicators/{code}/targets/{area_code}", "ODDDD",
        lambda w: {"code": "DBD_IR", "area_code": "21.71", "json": {"target": 40}}),
    Row("indicators", "GET", "/api/v1/indicators/{code}/targets", "OOOOO", lambda w: {"code": "DBD_IR"}),
    Row("indicators", "POST", "/api/v1/values", "OOODD", lambda w: {"json": [
        {"indicator_code": "DBD_IR", "area_code": AREA, "period": "2026-02", "numerator": 3,
         "denominator": 10000}]}),
    Row("indicators", "POST", "/api/v1/import/csv", "OOODD", lambda w: {
        "content": b"indicator_code,area_code,period,numerator,denominator\nDBD_IR,21.71.06,2026-03,2,10000\n",
        "headers": {"content-type": "text/csv"}}),
    Row("indicators", "POST", "/api/v1/import/dhis2", "OOODD", lambda w: {"json": {"dataValues": []}}),
    Row("indicators", "GET", "/api/v1/rollup", "OOOOO",
        lambda w: {"params": {"indicator": "DBD_IR", "area": "21.71", "period": "2026-01"}}),
    Row("indicators", "GET", "/api/v1/ranking", "OOOOO",
        lambda w: {"params": {"indicator": "DBD_IR", "area": "21", "period": "2026-01"}}),
    Row("indicators", "GET", "/api/v1/fhir/MeasureReport", "OOOOO",
        lambda w: {"params": {"indicator": "DBD_IR", "area": "21.71", "period": "2026-01"}}),
    Row("indicators", "GET", "/api/v1/effectiveness", "OOOOO",
        lambda w: {"params": {"indicator": "DBD_IR", "area": "21.71"}}),
]

# Admin-only, in every service: the audit log.
ROWS += [Row(service, "GET", "/api/v1/audit", "ODDDD", lambda w: {"params": {"entity": "followups"}})
         for service in SERVICES]


def principal_headers(w: World, who: str) -> dict[str, str]:
    secret = os.environ["MINILOK_SECRET"]
    a_token = create_token(secret, "puskesmas", puskesmas_id=w.ids["A"])
    return {
        "admin": w.meetings.admin,
        # Puskesmas tokens carry their puskesmas's area (as `minilok token create` makes them).
        "pA": headers("puskesmas", puskesmas_id=w.ids["A"], area_code=AREA),
        "pB": headers("puskesmas", puskesmas_id=w.ids["B"], area_code=AREA),
        "aX": headers("agency", agency_id=w.ids["X"]),
        "aY": headers("agency", agency_id=w.ids["Y"]),
        "none": {},
        "expired": {"Authorization": f"Bearer {create_token(secret, 'admin', ttl_seconds=-60)}"},
        "tampered": {"Authorization": f"Bearer {tampered(a_token)}"},
        "foreign": {"Authorization": f"Bearer {create_token('another-secret-' + '0' * 40, 'admin')}"},
    }[who]


def call(w: World, row: Row, who: str):
    spec = row.request(w)
    path = row.path.format(**{k: v for k, v in spec.items() if k not in ("json", "params", "content", "headers")})
    api = getattr(w, row.service)
    kwargs = {k: spec[k] for k in ("json", "params", "content") if k in spec}
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
        for who, letter in zip(PRINCIPALS + BROKEN, row.expect + "UUUU", strict=True):
            response = call(world, row, who)
            code = response.status_code
            ok = {"O": 200 <= code < 300, "D": code in (403, 404), "U": code == 401}[letter]
            if not ok:
                failures.append(f"{row.method} {row.path} {row.note} as {who}: expected {letter}, got {code} "
                                f"{response.text[:200]}")
            if letter == "U" and code == 401:
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
    for who in ("pB", "aY", "expired", "tampered", "foreign"):
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
