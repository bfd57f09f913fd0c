"""Sign-in by one-time code: the two routes that need no bearer token (they are the way in)."""

from fastapi import APIRouter, Request, status
from minilok_shared.deps import SessionDep

from minilok_meetings.schemas import SignInCodeIn, SignInOut, SignInVerifyIn
from minilok_meetings.service_layer import sign_in

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/code", status_code=status.HTTP_202_ACCEPTED)
async def request_code(body: SignInCodeIn, request: Request, session: SessionDep) -> dict[str, bool]:
    """A 6-digit code to the phone (WhatsApp, else SMS) or email of an agency contact, valid 10
    minutes, once. The same answer, after the same time, whether or not the contact is known."""
    await sign_in.request_code_evenly(session, request.app.state.settings.minilok_secret, body)
    return {"sent": True}


@router.post("/verify", response_model=SignInOut, response_model_exclude_none=True,
             responses={401: {"description": "wrong, expired or used code"},
                        429: {"description": "5 wrong codes within 15 minutes: locked (Retry-After)"}})
def verify_code(body: SignInVerifyIn, request: Request, session: SessionDep):
    """A bearer token of the contact's agency (role puskesmas, dinas or agency) for the right code."""
    return sign_in.verify_code(session, request.app.state.settings.minilok_secret, body)
