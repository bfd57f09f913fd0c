"""The indicators service's HTTP app (`minilok serve indicators`)."""

from fastapi import FastAPI
from minilok_shared.web import create_app as create_service_app

from minilok_indicators import models
from minilok_indicators.api import areas, effectiveness, indicators, quality, rollups, targets, values
from minilok_indicators.config import get_settings


def create_app() -> FastAPI:
    return create_service_app(
        get_settings(),
        title="Minilok indicators",
        description="Area hierarchy, indicator catalogue, reported values, rollups and PWS ranking.",
        routers=[areas.router, indicators.router, targets.router, values.router, rollups.router,
                 effectiveness.router, quality.router],
        audit_log=models.audit_log,
        idempotency_keys=models.idempotency_keys,
    )
