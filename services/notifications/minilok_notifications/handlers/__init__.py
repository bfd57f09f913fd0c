"""What the notifications service does with each incoming event: one delivery per subscription
that hears it, written in the consumer's transaction, queued once that commits."""

from __future__ import annotations

from minilok_shared.events.consumer import HandlerContext, Handlers

from minilok_notifications.handlers.sign_in_code import send_sign_in_code
from minilok_notifications.service_layer.fan_out import record_event
from minilok_notifications.tasks import enqueue_quietly

handlers = Handlers()


@handlers.on("followup.*", "meeting.*", "indicator.*")
def fan_out(ctx: HandlerContext) -> None:
    ids = record_event(ctx.session, ctx.event)
    if ids:
        ctx.after_commit(lambda: enqueue_quietly(ids))


# Sign-in codes: to one person, never through fan_out (no subscription hears `auth.*`).
handlers.on("auth.code_requested")(send_sign_in_code)
