"""In-process API clients on a fresh, migrated database of each service."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from minilok_shared.auth import create_token
from minilok_shared.db import upgrade
from minilok_shared.service import get_service


class Api:
    """A TestClient with an admin token by default, and helpers for other roles."""

    def __init__(self, client: TestClient):
        self.client = client
        self.secret = os.environ["MINILOK_SECRET"]
        self.admin = self.headers("admin")

    def headers(self, role: str, **scope) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(self.secret, role, **scope)}"}

    def __getattr__(self, method):  # get/post/put/patch/delete with the admin token unless told
        call = getattr(self.client, method)

        def with_auth(url, *args, headers=None, **kwargs):
            return call(url, *args, headers=headers if headers is not None else self.admin, **kwargs)

        return with_auth


@pytest.fixture
def service_api(database_url, monkeypatch):
    """`service_api("meetings")`: an `Api` on that service's app and a fresh database."""
    opened = []

    def make(name: str) -> Api:
        spec = get_service(name)
        url = database_url(name, migrated=True)
        monkeypatch.setenv(f"{name.upper()}_DATABASE_URL", url)
        spec.settings.cache_clear()
        upgrade(spec.migrations, url, name)
        client = TestClient(spec.load(spec.app)())
        client.__enter__()
        opened.append((spec, client))
        return Api(client)

    yield make
    for spec, client in opened:
        client.__exit__(None, None, None)
        spec.settings.cache_clear()


@pytest.fixture
def meetings_api(service_api):
    return service_api("meetings")
