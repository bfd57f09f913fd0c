"""The rapor lintas sektor page (`/scorecard`): per agency, the follow-ups due in a period and how
they went, to show and print at the next minilok; a dinas across its puskesmas or one of them."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from minilok_shared.deps import SessionDep
from minilok_shared.errors import unprocessable

from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer.scorecard import scorecard
from minilok_meetings.web.forms import int_or_none
from minilok_meetings.web.i18n import lang_of
from minilok_meetings.web.render import page, render

router = APIRouter(include_in_schema=False)


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise unprocessable(name, "bukan tanggal yang valid / not a valid date", where="query") from exc


def _number(value: float | None, lang: str) -> str:
    """2.5 → "2,5" in Indonesian; whole numbers without decimals; None → "-"."""
    if value is None:
        return "-"
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return text.replace(".", ",") if lang == "id" else text


@router.get("/scorecard")
@page
def scorecard_page(request: Request, db: SessionDep, user):
    principal, q = user.principal, request.query_params
    wanted = int_or_none(q.get("puskesmas_id"))
    choices = reads.puskesmas_choice(db, principal, None)[1] if principal.is_admin or principal.is_dinas else []
    card = scorecard(db, principal, wanted, _day(q.get("from"), "from"), _day(q.get("to"), "to"))
    current = next((p for p in choices if p.id == wanted), None)
    if principal.role == "puskesmas":
        current = reads.puskesmas_choice(db, principal, None)[0]
    lang = lang_of(request)
    return render(request, "scorecard.html", user, card=card, choices=choices, current=current,
                  wanted=wanted, number=lambda v: _number(v, lang))
