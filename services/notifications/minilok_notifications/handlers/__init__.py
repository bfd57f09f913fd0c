"""What the notifications service does with each incoming event: one delivery per subscription
that hears it, written in the consumer's transaction (one insert for a batch of events), queued
once that commits."""

from __future__ import annotations

from minilok_shared.events.consumer import Batch, HandlerContext, Handlers

from minilok_notifications.handlers.sign_in_code import send_sign_in_code
from minilok_notifications.service_layer.fan_out import delivery_rows, insert_deliveries
from minilok_notifications.tasks import enqueue_quietly

handlers = Handlers()


@handlers.on("followup.*", "meeting.*", "indicator.*")
def fan_out(ctx: HandlerContext) -> None:
    ctx.batch.gather(record_deliveries, delivery_rows(ctx.session, ctx.event))


def record_deliveries(batch: Batch, rows: list[dict]) -> None:
    ids = insert_deliveries(batch.session, rows)
    if ids:
        batch.after_commit(lambda: enqueue_quietly(ids))


# Sign-in codes: to one person, never through fan_out (no subscription hears `auth.*`).
handlers.on("auth.code_requested")(send_sign_in_code)
