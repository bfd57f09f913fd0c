"""Action-link routes (`/api/v1/actions/{token}`): the link is the only credential (no bearer
token); each answer, errors included, is neither cached nor passed on as a referrer."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from minilok_shared.action_links import ActionClaim
from minilok_shared.deps import SessionDep

from minilok_meetings.api.evidence import read_upload
from minilok_meetings.schemas import (
    AcknowledgeIn,
    ActionLinkOut,
    CompleteIn,
    EvidenceOut,
    ExtensionRequestIn,
    ExtensionRequestOut,
    FollowUpOut,
    ProgressIn,
)
from minilok_meetings.service_layer import actions

LINK_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


class LinkRoute(APIRoute):
    """Adds LINK_HEADERS to every answer of the route, its 4xx included."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request):
            try:
                response = await handler(request)
            except HTTPException as exc:
                response = await http_exception_handler(request, exc)
            except RequestValidationError as exc:
                response = await request_validation_exception_handler(request, exc)
            response.headers.update(LINK_HEADERS)
            return response

        return route


async def link_claim(token: str, request: Request) -> ActionClaim:
    """The link's claim (401 tampered, 410 expired); the audit log names its agency, via the link."""
    settings = request.app.state.settings
    claim = actions.read_link(token, settings.minilok_secret, settings.minilok_secret_previous)
    request.state.principal = actions.link_principal(claim)
    return claim


LinkDep = Annotated[ActionClaim, Depends(link_claim)]

router = APIRouter(prefix="/actions/{token}", tags=["action links"], route_class=LinkRoute)


@router.get("", response_model=ActionLinkOut)
def open_link(claim: LinkDep, session: SessionDep):
    return actions.open_link(session, claim)


@router.post("/acknowledge", response_model=FollowUpOut)
def acknowledge(claim: LinkDep, session: SessionDep, body: AcknowledgeIn | None = None):
    return actions.acknowledge(session, claim, body or AcknowledgeIn())


@router.post("/progress", response_model=FollowUpOut)
def progress(claim: LinkDep, body: ProgressIn, session: SessionDep):
    return actions.report_progress(session, claim, body)


@router.post("/complete", response_model=FollowUpOut)
def complete(claim: LinkDep, body: CompleteIn, session: SessionDep):
    return actions.complete(session, claim, body)


@router.post("/extend", status_code=status.HTTP_201_CREATED, response_model=ExtensionRequestOut)
def extend(claim: LinkDep, body: ExtensionRequestIn, session: SessionDep):
    return actions.request_extension(session, claim, body)


@router.post("/evidence", status_code=status.HTTP_201_CREATED, response_model=EvidenceOut)
async def upload_evidence(claim: LinkDep, session: SessionDep, file: UploadFile):
    data = await read_upload(file)
    return await run_in_threadpool(actions.add_evidence, session, claim, data, file.filename)
