"""What the notifications service does with each incoming event: one delivery per subscription
that hears it, written in the consumer's transaction, queued once that commits."""

from __future__ import annotations

from minilok_shared.events.consumer import HandlerContext, Handlers

from minilok_notifications import deliveries
from minilok_notifications.tasks import enqueue_quietly

handlers = Handlers()


@handlers.on("followup.*", "meeting.*", "indicator.*")
def fan_out(ctx: HandlerContext) -> None:
    ids = deliveries.record_event(ctx.session, ctx.event)
    if ids:
        ctx.after_commit(lambda: enqueue_quietly(ids))
