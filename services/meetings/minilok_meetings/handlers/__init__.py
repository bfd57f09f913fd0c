"""What the meetings service does with each incoming event (`minilok consume meetings`), one function per type."""

from __future__ import annotations

from minilok_shared.events.consumer import HandlerContext, Handlers
from minilok_shared.events.envelope import InvalidEvent

from minilok_meetings.handlers.below_target import read_below_target
from minilok_meetings.handlers.replies import apply_reply
from minilok_meetings.service_layer import proposals
from minilok_meetings.web import live

handlers = Handlers()


@handlers.on("indicator.below_target")
def propose_agenda_item(ctx: HandlerContext) -> None:
    """A proposed agenda item for the puskesmas whose working area holds the event's area."""
    event_id = ctx.event["id"]
    fields = read_below_target(ctx.data)
    if len(event_id) > 36:
        raise InvalidEvent(f"event id {event_id[:40]!r}... is longer than a UUID")
    proposals.propose_for_below_target(ctx.session, event_id, fields)


@handlers.on("followup.*", "meeting.*")
def tell_open_dashboards(ctx: HandlerContext) -> None:
    """Our own committed changes (API, scans, escalation) refresh the dashboards that show them."""
    ctx.after_commit(lambda: live.publish(ctx.event))


# A tap on "Diterima" in a WhatsApp message, heard by the notifications service.
handlers.on("notification.reply_received")(apply_reply)
