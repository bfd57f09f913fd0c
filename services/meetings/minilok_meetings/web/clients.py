"""HTTP clients to the indicators and notifications services, with the signed-in user's own
token (the dashboard never reads their databases), and the error text of their answers."""

from __future__ import annotations

import httpx
from fastapi import Request

from minilok_meetings.web.session import WebUser

TIMEOUT_SECONDS = 10


def _client(base_url: str, user: WebUser) -> httpx.Client:
    return httpx.Client(base_url=base_url + "/api/v1", timeout=TIMEOUT_SECONDS,
                        headers={"Authorization": f"Bearer {user.token}"})


def indicators(request: Request, user: WebUser) -> httpx.Client:
    return _client(request.app.state.settings.indicators_url, user)


def notifications(request: Request, user: WebUser) -> httpx.Client:
    return _client(request.app.state.settings.notifications_url, user)


def error_detail(response: httpx.Response) -> str:
    """The `detail` of an error answer (a 422's field errors joined), else the start of its body."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:300]
    if isinstance(detail, list):
        return "; ".join(f"{'.'.join(str(x) for x in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail
                         if isinstance(d, dict))
    return str(detail)
