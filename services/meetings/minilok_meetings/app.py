"""The meetings service's HTTP app (`minilok serve meetings`)."""

from fastapi import FastAPI
from minilok_shared.web import create_app as create_service_app

from minilok_meetings import models
from minilok_meetings.api import (
    actions,
    agencies,
    auth,
    escalation,
    evidence,
    extension_requests,
    followups,
    meetings,
    minutes,
    notes,
    proposals,
    puskesmas,
    scorecard,
)
from minilok_meetings.config import get_settings
from minilok_meetings.web.routes import install as install_dashboard


def create_app() -> FastAPI:
    app = create_service_app(
        get_settings(),
        title="Minilok meetings",
        description="Puskesmas, lintas-sektor agencies, lokakarya mini meetings and their follow-ups (RTL).",
        routers=[puskesmas.router, agencies.router, meetings.router, minutes.router, followups.router, notes.router,
                 escalation.router, extension_requests.router, proposals.router, actions.router, evidence.router,
                 auth.router, scorecard.router],
        audit_log=models.audit_log,
        idempotency_keys=models.idempotency_keys,
        upload_limits=evidence.UPLOAD_LIMITS,
    )
    install_dashboard(app)  # the web dashboard at `/` (outside /api/v1)
    return app
