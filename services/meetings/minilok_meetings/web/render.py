"""Answering a dashboard request: the templates, the page and form-post wrappers (an error page or
a redirect with a flash message instead of JSON), and readable messages from service errors."""

from __future__ import annotations

import functools
import inspect
import uuid
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from minilok_shared import labels
from minilok_shared.auth import Principal
from minilok_shared.localtime import format_day, format_period, zone_name
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData

from minilok_meetings import models
from minilok_meetings.web import errors
from minilok_meetings.web.forms import local_path
from minilok_meetings.web.i18n import (
    HISTORY,
    MEETING_KINDS,
    PRIORITIES,
    STATUS,
    format_time,
    label,
    lang_of,
    translator,
)
from minilok_meetings.web.session import (
    WebUser,
    check_csrf,
    clear_flash,
    read_flash,
    remember_language,
    required_user,
    set_flash,
)

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# One Idempotency-Key per rendered form (a hidden field): a double submit changes nothing twice.
templates.env.globals["idempotency_key"] = lambda: uuid.uuid4().hex
# "WITA", not "Asia/Makassar", wherever a page names a puskesmas's zone.
templates.env.globals["zone_name"] = zone_name

# Scripts and styles come from /static only (inline style attributes draw progress bars).
CSP = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def describe(exc: Exception, lang: str = "id", fields: dict[str, str] | None = None) -> str:
    """A sentence in the page's language from what the service functions raise (web/errors)."""
    return errors.describe(exc, lang, fields)


# Names the header showed, for pages rendered without the request's session (a form post's error).
_NAMES: dict[tuple[str, int], str] = {}


def who(request: Request, principal: Principal | None, lang: str) -> str:
    """The signed-in user as the header names them: the role in words and their agency or
    puskesmas by name ("Petugas puskesmas · Puskesmas Baru Tengah"), never "puskesmas · P2".
    Read through the request's own session (`page` keeps it on request.state): on SQLite a
    second connection would wait for the request's write lock."""
    if principal is None:
        return ""
    parts = [labels.label("role", principal.role, lang)]
    table, ident = ((models.Agency, principal.agency_id) if principal.agency_id
                    else (models.Puskesmas, principal.puskesmas_id))
    if ident is not None and str(ident).isdigit():
        key = (table.__tablename__, int(ident))
        db = getattr(request.state, "db", None)
        if db is not None:
            name = db.execute(select(table.name).where(table.id == key[1])).scalar()
            if name:
                _NAMES[key] = name
        if _NAMES.get(key):
            parts.append(_NAMES[key])
    return " · ".join(parts)


def render(request: Request, template: str, user: WebUser | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    _ = translator(lang)
    params = dict(request.query_params)
    # A live refresh must not eat the message of the form just posted.
    flash = None if request.headers.get("x-live-refresh") else read_flash(request)

    def lang_url(code: str) -> str:
        return f"{request.url.path}?{urlencode({**params, 'lang': code})}"

    response = templates.TemplateResponse(request, template, {
        "user": user, "principal": user.principal if user else None, "csrf": user.csrf if user else "",
        "who": who(request, user.principal if user else None, lang),
        "lang": lang, "_": _, "lang_url": lang_url, "path": request.url.path,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "status_label": lambda key: label(STATUS, key, lang),
        "kind_label": lambda key: label(MEETING_KINDS, key, lang),
        "priority_label": lambda key: label(PRIORITIES, key, lang),
        "history_label": lambda key: label(HISTORY, key, lang),
        # Any code in words, from the one table: {{ word("agency_kind", a.kind) }}.
        "word": lambda table, key: labels.label(table, key, lang),
        "choices": lambda table, codes=None: labels.choices(table, lang, codes),
        # In the puskesmas's zone: the page's `tz` (or `timezone`) unless one is named.
        "when": lambda value, tz=None, with_time=True: format_time(
            value, tz or context.get("tz") or context.get("timezone"), lang, with_time),
        "day": lambda value: format_day(value if isinstance(value, date) else date.fromisoformat(str(value)), lang)
        if value else "-",
        "period": lambda value: format_period(value, lang) if value else "",
        "flash": flash, **context,
    }, status_code=status_code)
    if flash:
        clear_flash(response)
    remember_language(request, response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def redirect(request: Request, url: str, message: str | None = None, kind: str = "ok") -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if message:
        set_flash(request, response, message, kind)
    return response


def page(fn):
    """A page that needs a signed-in user: the service functions' 403/404/422 become an error
    page with the same status instead of JSON."""

    @functools.wraps(fn)
    def wrapper(request: Request, *args, **kwargs):
        user = required_user(request)
        request.state.db = kwargs.get("db")
        try:
            return fn(request, *args, user=user, **kwargs)
        except HTTPException as exc:
            return render(request, "error.html", user, exc.status_code,
                          message=describe(exc, lang_of(request)), status=exc.status_code)
        except ValidationError as exc:
            return render(request, "error.html", user, 422, message=describe(exc, lang_of(request)), status=422)

    wrapper.__signature__ = _without_user(fn)
    return wrapper


def action(fallback: str, fields: dict[str, tuple[str, str]] | None = None):
    """A form post: checks the CSRF token, runs, and redirects (to the form's `next`, else
    `fallback` formatted with the path parameters) with a success or error message; an error is
    a sentence in the page's language that names the field as the form does (`fields`: code →
    (Bahasa Indonesia, English), beyond the common names of web/errors)."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(request: Request, form: FormData, *args, **kwargs):
            user = required_user(request)
            check_csrf(user, form.get("csrf"))
            target = local_path(form.get("next"), fallback.format(**kwargs))
            lang = lang_of(request)
            _ = translator(lang)
            try:
                result = fn(request, form, *args, user=user, **kwargs)
            except (HTTPException, ValidationError) as exc:
                names = {code: _(*pair) for code, pair in (fields or {}).items()}
                return redirect(request, target, describe(exc, lang, names), "error")
            except IntegrityError:
                return redirect(request, target, _("Data bentrok dengan yang sudah ada.",
                                                   "Conflicts with existing data."), "error")
            if isinstance(result, RedirectResponse | HTMLResponse) or hasattr(result, "body_iterator"):
                return result
            return redirect(request, target, result or _("Tersimpan.", "Saved."))

        wrapper.__signature__ = _without_user(fn)
        return wrapper

    return decorate


def _without_user(fn):
    signature = inspect.signature(fn)
    return signature.replace(parameters=[p for name, p in signature.parameters.items() if name != "user"])
