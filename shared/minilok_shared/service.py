"""A service describes itself once (`ServiceSpec`); the CLI, migrations and beat find it by
entry point (`minilok.services`), so nothing in `shared/` imports a service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData

if TYPE_CHECKING:
    from minilok_shared.config import ServiceSettings
    from minilok_shared.events.consumer import Handlers


@dataclass
class ServiceSpec:
    name: str
    settings: Callable[[], ServiceSettings]
    metadata: MetaData
    migrations: str  # the Alembic script directory
    app: str  # "module:factory" returning the FastAPI app
    handlers: str | None = None  # "module:attribute" of a `Handlers` registry
    celery: str | None = None  # "module:attribute" of the Celery app
    beat_schedule: dict[str, dict[str, Any]] = field(default_factory=dict)
    cli: str | None = None  # "module:attribute" of a Typer app: `minilok <service> ...` commands
    # "module:function": a puskesmas id -> its area code, LookupError if there is no such puskesmas
    # (`minilok token create --role puskesmas` puts it in the token). Offered by the service that
    # owns the puskesmas (meetings).
    puskesmas_area: str | None = None

    def load(self, target: str) -> Any:
        module, _, attr = target.partition(":")
        obj = getattr(import_module(module), attr)
        return obj

    def load_handlers(self) -> Handlers:
        assert self.handlers, f"{self.name} consumes no events"
        return self.load(self.handlers)


def all_services() -> dict[str, ServiceSpec]:
    specs = {}
    for ep in entry_points(group="minilok.services"):
        spec = ep.load()
        specs[spec.name] = spec
    return dict(sorted(specs.items()))


def get_service(name: str) -> ServiceSpec:
    services = all_services()
    if name not in services:
        known = ", ".join(services) or "none installed"
        raise KeyError(f"unknown service {name!r} (installed: {known})")
    return services[name]
