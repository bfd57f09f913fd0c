"""The notifications service's HTTP app (`minilok serve notifications`)."""

from fastapi import FastAPI
from minilok_shared.web import create_app as create_service_app

from minilok_notifications import models
from minilok_notifications.api import deliveries, subscriptions, whatsapp
from minilok_notifications.config import get_settings


def create_app() -> FastAPI:
    return create_service_app(
        get_settings(),
        title="Minilok notifications",
        description="Subscriptions of agencies to follow-up, meeting and indicator events, delivered by webhook, "
                    "email, WhatsApp or SMS, with a delivery log.",
        routers=[subscriptions.router, deliveries.router, whatsapp.router],
        audit_log=models.audit_log,
        idempotency_keys=models.idempotency_keys,
    )
