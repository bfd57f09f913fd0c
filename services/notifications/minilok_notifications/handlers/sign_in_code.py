"""An `auth.code_requested` event from meetings: the sign-in code goes to that one person as a
direct message (no subscription hears `auth.*`), queued once the consumer's transaction commits."""

from __future__ import annotations

from minilok_shared.events.consumer import HandlerContext

from minilok_notifications.config import get_settings
from minilok_notifications.service_layer.direct_messages import record_code_request
from minilok_notifications.tasks import enqueue_direct_quietly


def send_sign_in_code(ctx: HandlerContext) -> None:
    message_id = record_code_request(ctx.session, ctx.event, get_settings())
    if message_id is not None:
        ctx.after_commit(lambda: enqueue_direct_quietly(message_id))
