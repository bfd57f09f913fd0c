"""What every dashboard page shares: templates, the two languages, dates in the puskesmas's own
timezone, error messages from the service functions, and redirects with a flash message."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData

from minilok_meetings.web.session import (
    WebUser,
    check_csrf,
    clear_flash,
    language,
    read_flash,
    remember_language,
    required_user,
    set_flash,
)

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# One Idempotency-Key per rendered form (a hidden field): a double submit changes nothing twice.
templates.env.globals["idempotency_key"] = lambda: uuid.uuid4().hex

MONTHS = {"id": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
          "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]}
STATUS = {"open": ("Terbuka", "Open"), "in_progress": ("Dikerjakan", "In progress"), "done": ("Selesai", "Done"),
          "cancelled": ("Dibatalkan", "Cancelled"), "scheduled": ("Dijadwalkan", "Scheduled"),
          "published": ("Diterbitkan", "Published"), "proposed": ("Diusulkan", "Proposed"),
          "accepted": ("Diterima", "Accepted"), "dismissed": ("Ditolak", "Dismissed")}
MEETING_KINDS = {"monthly_internal": ("Lokmin bulanan", "Monthly internal"),
                 "quarterly_cross_sector": ("Lokmin tribulanan lintas sektor", "Quarterly cross-sector"),
                 "other": ("Lainnya", "Other")}
HISTORY = {"created": ("Dibuat", "Created"), "start": ("Mulai dikerjakan", "Started"),
           "progress": ("Kemajuan", "Progress"), "complete": ("Selesai", "Completed"),
           "cancel": ("Dibatalkan", "Cancelled"), "reopen": ("Dibuka lagi", "Reopened"),
           "updated": ("Diubah", "Changed"),
           "due_soon": ("Segera jatuh tempo", "Due soon"), "overdue": ("Terlambat", "Overdue"),
           "escalated": ("Dieskalasi", "Escalated")}
PRIORITIES = {"low": ("Rendah", "Low"), "normal": ("Biasa", "Normal"), "high": ("Tinggi", "High")}
# Scripts and styles come from /static only (inline style attributes draw progress bars).
CSP = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
TZ_LABEL = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def blank_to_none(value: Any) -> str | None:
    text = (value or "").strip() if isinstance(value, str) else value
    return text or None


def local_path(value: str | None, default: str) -> str:
    """Only paths of this site are followed after a form (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def describe(exc: Exception) -> str:
    """A readable message from what the service functions raise."""
    if isinstance(exc, HTTPException):
        detail = exc.detail
    elif isinstance(exc, ValidationError):
        detail = exc.errors(include_url=False, include_context=False)
    else:
        detail = str(exc)
    if isinstance(detail, list):
        parts = []
        for error in detail:
            if isinstance(error, dict):
                loc = [str(x) for x in error.get("loc", []) if x not in ("body", "query")]
                parts.append(f"{'.'.join(loc)}: {error.get('msg')}" if loc else str(error.get("msg")))
            else:
                parts.append(str(error))
        return "; ".join(parts)
    return str(detail)


def lang_of(request: Request) -> str:
    return language(request)


def translator(lang: str):
    def _(indonesian: str, english: str | None = None) -> str:
        return english if lang == "en" and english else indonesian

    return _


def label(table: dict[str, tuple[str, str]], key: str | None, lang: str) -> str:
    pair = table.get(key or "")
    return (pair[1] if lang == "en" else pair[0]) if pair else (key or "")


def format_time(value: datetime | None, tz: str | None, lang: str, with_time: bool = True) -> str:
    if value is None:
        return "-"
    tz = tz or getattr(value.tzinfo, "key", None)
    local = value.astimezone(ZoneInfo(tz)) if tz else value
    text = f"{local.day} {MONTHS[lang][local.month - 1]} {local.year}"
    if with_time:
        text += f" {local:%H:%M}"
        if tz:
            text += f" {TZ_LABEL.get(tz, tz)}"
    return text


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
        "lang": lang, "_": _, "lang_url": lang_url, "path": request.url.path,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "status_label": lambda key: label(STATUS, key, lang),
        "kind_label": lambda key: label(MEETING_KINDS, key, lang),
        "priority_label": lambda key: label(PRIORITIES, key, lang),
        "history_label": lambda key: label(HISTORY, key, lang),
        "when": lambda value, tz=None, with_time=True: format_time(value, tz, lang, with_time),
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
        try:
            return fn(request, *args, user=user, **kwargs)
        except HTTPException as exc:
            return render(request, "error.html", user, exc.status_code, message=describe(exc))

    wrapper.__signature__ = _without_user(fn)
    return wrapper


def action(fallback: str):
    """A form post: checks the CSRF token, runs, and redirects (to the form's `next`, else
    `fallback` formatted with the path parameters) with a success or error message."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(request: Request, form: FormData, *args, **kwargs):
            user = required_user(request)
            check_csrf(user, form.get("csrf"))
            target = local_path(form.get("next"), fallback.format(**kwargs))
            _ = translator(lang_of(request))
            try:
                result = fn(request, form, *args, user=user, **kwargs)
            except (HTTPException, ValidationError) as exc:
                return redirect(request, target, describe(exc), "error")
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
    import inspect

    signature = inspect.signature(fn)
    return signature.replace(parameters=[p for name, p in signature.parameters.items() if name != "user"])
