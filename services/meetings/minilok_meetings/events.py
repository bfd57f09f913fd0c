"""What the meetings service tells the others: events written to its outbox, carrying the names,
the local zone and the link a reader needs, so that no consumer calls back to learn them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from minilok_shared.events.outbox import Outbox
from sqlalchemy import select
from sqlalchemy.orm import Session

from minilok_meetings import models
from minilok_meetings.config import get_settings
from minilok_meetings.service_layer.agencies import agency_names

outbox = Outbox(models.outbox, source="/meetings")

# agency:<id> (its token), agency:<id>:link (its action link), agency:<id>:whatsapp (a button reply)
_AGENCY_ACTOR = re.compile(r"^agency:(\d+)(?::[a-z]+)?$")
_CONTACT_ACTOR = re.compile(r"^contact:(\d+)$")
_MAX_ID = 2**63  # ids are 64-bit: PostgreSQL refuses to compare a longer number


@dataclass
class Names:
    """Puskesmas (name, timezone), agency and contact names, looked up in bulk and kept: the
    reminder scan loads one for its whole batch; a single change loads one for its event."""

    puskesmas: dict[int, tuple[str, str]] = field(default_factory=dict)
    agencies: dict[int, str] = field(default_factory=dict)
    contacts: dict[int, tuple[str, int]] = field(default_factory=dict)  # contact id: (name, agency id)

    def know_agencies(self, rows: Iterable[models.Agency]) -> Names:
        """Agencies the caller has loaded anyway (not looked up again)."""
        self.agencies.update({row.id: row.name for row in rows})
        return self

    def load(self, session: Session, puskesmas_ids: Iterable[int] = (), agency_ids: Iterable[int] = (),
             actors: Iterable[str | None] = ()) -> Names:
        """Look up what is not known yet: at most one query each for contacts, agencies, puskesmas."""
        actors = [a for a in actors if a]
        contact_ids = {int(m.group(1)) for a in actors if (m := _CONTACT_ACTOR.match(a))} - self.contacts.keys()
        contact_ids = {i for i in contact_ids if i < _MAX_ID}
        if contact_ids:
            Contact = models.AgencyContact
            for row in session.execute(select(Contact.id, Contact.name, Contact.agency_id)
                                       .where(Contact.id.in_(contact_ids))):
                self.contacts[row.id] = (row.name, row.agency_id)
        wanted = {*agency_ids, *(int(m.group(1)) for a in actors if (m := _AGENCY_ACTOR.match(a))),
                  *(agency for _, agency in self.contacts.values())}
        missing = {i for i in wanted if i not in self.agencies and i < _MAX_ID}
        if missing:
            self.agencies.update(agency_names(session, missing))
        missing = set(puskesmas_ids) - self.puskesmas.keys()
        if missing:
            P = models.Puskesmas
            for row in session.execute(select(P.id, P.name, P.timezone).where(P.id.in_(missing))):
                self.puskesmas[row.id] = (row.name, row.timezone)
        return self

    def agency_refs(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        return [{"id": i, "name": self.agencies.get(i)} for i in ids]

    def actor_name(self, actor: str | None) -> str | None:
        """Who acted, by name, when the actor is an agency (its token, action link or WhatsApp reply) or a
        contact signed in by code ("Budi Santoso (Kelurahan Baru Tengah)"); else None."""
        if not actor:
            return None
        if found := _AGENCY_ACTOR.match(actor):
            return self.agencies.get(int(found.group(1)))
        if (found := _CONTACT_ACTOR.match(actor)) and int(found.group(1)) in self.contacts:
            name, agency_id = self.contacts[int(found.group(1))]
            agency = self.agencies.get(agency_id)
            return f"{name} ({agency})" if agency else name
        return None


def public_url() -> str:
    return get_settings().public_url.rstrip("/")


def followup_data(followup: models.FollowUp, names: Names) -> dict[str, Any]:
    """`data.followup` of a `followup.*` event (`names` must know its puskesmas and agencies)."""
    puskesmas_name, timezone = names.puskesmas.get(followup.puskesmas_id, (None, None))
    supporters = followup.supporting_agency_ids
    return {
        "id": followup.id,
        "meeting_id": followup.meeting_id,
        "puskesmas_id": followup.puskesmas_id,
        "title": followup.title,
        "action": followup.action,
        "owner_agency_id": followup.owner_agency_id,
        "supporting_agency_ids": supporters,
        "due_at": followup.due_at.isoformat(),
        "status": followup.status,
        "escalation_level": followup.escalation_level,
        "area_code": followup.area_code,
        "indicator_code": followup.indicator_code,
        # The RTL matrix's columns (null when not filled in).
        "objective": followup.objective,
        "target_group": followup.target_group,
        "location": followup.location,
        "success_indicator": followup.success_indicator,
        "cost_estimate": followup.cost_estimate,
        "funding_source": followup.funding_source,
        "puskesmas_name": puskesmas_name,
        "owner_agency_name": names.agencies.get(followup.owner_agency_id),
        "supporting_agencies": names.agency_refs(supporters),
        "timezone": timezone,
        "url": f"{public_url()}/follow-ups/{followup.id}",
    }


def emit_followup_event(session: Session, type: str, followup: models.FollowUp, names: Names | None = None,
                        **extra: Any) -> dict[str, Any]:
    """`extra`: previous_status, escalated_to_agency_ids, actor, repeat, urgent, note, progress,
    extension_request (only those given are sent). Agencies escalated to and the actor are named
    beside their ids. `names`: the batch's, from the reminder scan; else looked up here."""
    extra = {k: v for k, v in extra.items() if v is not None}
    targets = extra.get("escalated_to_agency_ids") or []
    actor = extra.get("actor")
    if names is None:
        names = Names().load(session, [followup.puskesmas_id],
                             [followup.owner_agency_id, *followup.supporting_agency_ids, *targets], [actor])
    data = {"followup": followup_data(followup, names), **extra}
    if "escalated_to_agency_ids" in extra:
        data["escalated_to_agencies"] = names.agency_refs(targets)
    if actor_name := names.actor_name(actor):
        data["actor_name"] = actor_name
    return outbox.add(session, type, followup.id, data, puskesmasid=followup.puskesmas_id,
                      ownerid=followup.owner_agency_id)


def invited_agency_ids(session: Session, meeting_id: int) -> list[int]:
    return list(session.scalars(select(models.MeetingInvitation.agency_id)
                                .where(models.MeetingInvitation.meeting_id == meeting_id)
                                .order_by(models.MeetingInvitation.agency_id)))


def meeting_data(session: Session, meeting: models.Meeting, uninvited: Iterable[int] = ()) -> dict[str, Any]:
    """`data.meeting` of a `meeting.*` event, also what the invitation's .ics is made from.
    `uninvited`: agencies just taken off the list (a `meeting.updated` of new invitations), named
    so that their calendars drop the meeting."""
    invited = invited_agency_ids(session, meeting.id)
    uninvited = sorted(set(uninvited))
    names = Names().load(session, [meeting.puskesmas_id], [*invited, *uninvited])
    puskesmas_name, timezone = names.puskesmas.get(meeting.puskesmas_id, (None, None))
    data = {
        "id": meeting.id,
        "puskesmas_id": meeting.puskesmas_id,
        "puskesmas_name": puskesmas_name,
        "kind": meeting.kind,
        "title": meeting.title,
        "scheduled_at": meeting.scheduled_at.astimezone(UTC).isoformat(),
        "location": meeting.location,
        "status": meeting.status,
        "timezone": timezone,
        "invited_agency_ids": invited,
        "invited_agencies": names.agency_refs(invited),
        "url": f"{public_url()}/meetings/{meeting.id}",
        "sequence": meeting.sequence or 0,
    }
    if uninvited:
        data["uninvited_agency_ids"] = uninvited
        data["uninvited_agencies"] = names.agency_refs(uninvited)
    if meeting.status == "cancelled":
        data["cancel_reason"] = meeting.cancel_reason
    return data


def emit_meeting_event(session: Session, type: str, meeting: models.Meeting,
                       uninvited: Iterable[int] = ()) -> dict[str, Any]:
    session.flush()  # the invitations just written are part of the event
    return outbox.add(session, type, meeting.id, {"meeting": meeting_data(session, meeting, uninvited)},
                      puskesmasid=meeting.puskesmas_id)
