"""The WhatsApp Cloud API's webhook: Meta's verification handshake, then signed calls with button
replies and message statuses (no bearer token: the app secret's signature is the credential)."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from minilok_shared.deps import SessionDep, read_in_thread

from minilok_notifications.service_layer import whatsapp_inbound
from minilok_notifications.tasks import enqueue_quietly

router = APIRouter(prefix="/whatsapp", tags=["whatsapp"])


@router.get("/webhook", response_class=PlainTextResponse)
async def verify_webhook(request: Request, mode: str | None = Query(None, alias="hub.mode"),
                         verify_token: str | None = Query(None, alias="hub.verify_token"),
                         challenge: str = Query("", alias="hub.challenge")):
    """Meta registers the webhook: the challenge back, as text, when the verify token is ours."""
    if not whatsapp_inbound.verify_subscription(request.app.state.settings, mode, verify_token):
        raise HTTPException(403, "Token verifikasi tidak cocok / verify token does not match")
    return PlainTextResponse(challenge)


@router.post("/webhook")
async def receive_webhook(request: Request, session: SessionDep):
    """Signed by Meta with the app secret (else 401); answered at once, since Meta retries a slow answer."""
    settings = request.app.state.settings
    raw = await request.body()
    if not whatsapp_inbound.signature_valid(settings.whatsapp_app_secret, raw,
                                            request.headers.get("x-hub-signature-256")):
        raise HTTPException(401, "Tanda tangan X-Hub-Signature-256 tidak sah / invalid X-Hub-Signature-256 signature")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise HTTPException(400, "Isi bukan JSON yang sah / body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise HTTPException(400, "Isi harus objek JSON / body must be a JSON object")
    counts, resend = await read_in_thread(session, whatsapp_inbound.handle_webhook, session, settings, body)
    if resend:
        await run_in_threadpool(enqueue_quietly, resend)
    return counts
