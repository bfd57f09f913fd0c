"""HTTP clients to the indicators and notifications services, with the signed-in user's own
token (the dashboard never reads their databases), and their error answers in words."""

from __future__ import annotations

import httpx
from fastapi import Request

from minilok_meetings.web import errors
from minilok_meetings.web.i18n import translator
from minilok_meetings.web.session import WebUser

TIMEOUT_SECONDS = 10


def _client(base_url: str, user: WebUser) -> httpx.Client:
    return httpx.Client(base_url=base_url + "/api/v1", timeout=TIMEOUT_SECONDS,
                        headers={"Authorization": f"Bearer {user.token}"})


def indicators(request: Request, user: WebUser) -> httpx.Client:
    return _client(request.app.state.settings.indicators_url, user)


def notifications(request: Request, user: WebUser) -> httpx.Client:
    return _client(request.app.state.settings.notifications_url, user)


def error_detail(response: httpx.Response, lang: str = "id", fields: dict[str, str] | None = None) -> str:
    """What went wrong, as a sentence in the page's language: the answer's `detail` (a 422's field
    errors with the fields named in words), else a sentence for its status; never the JSON."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if detail:
        return errors.describe(detail, lang, fields)
    _ = translator(lang)
    if response.status_code >= 500:
        return _("Layanan sedang bermasalah, coba lagi sebentar lagi.",
                 "The service is having trouble, try again in a moment.")
    return _("Permintaan ditolak.", "The request was refused.")
