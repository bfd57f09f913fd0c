"""Evidence files on the dashboard (`/evidence/{id}` and its thumbnail), read with the signed-in
user's token by the API's own rule; a PDF's thumbnail is a drawn page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from minilok_shared.deps import SessionDep

from minilok_meetings.documents.evidence_files import inline_response
from minilok_meetings.service_layer import evidence
from minilok_meetings.web.render import page

router = APIRouter(include_in_schema=False)

PDF_ICON = (b'<svg xmlns="http://www.w3.org/2000/svg" width="96" height="72" viewBox="0 0 96 72">'
            b'<rect width="96" height="72" fill="#f0f3f6"/>'
            b'<path d="M34 8h20l10 10v46H34z" fill="#fff" stroke="#57606a" stroke-width="2"/>'
            b'<path d="M54 8v10h10" fill="none" stroke="#57606a" stroke-width="2"/>'
            b'<rect x="26" y="36" width="30" height="14" rx="2" fill="#b42318"/>'
            b'<text x="41" y="47" font-family="sans-serif" font-size="10" font-weight="700" fill="#fff" '
            b'text-anchor="middle">PDF</text></svg>')


@router.get("/evidence/{evidence_id}")
@page
def evidence_file(request: Request, evidence_id: int, db: SessionDep, user):
    chunks, content_type, row = evidence.stream_evidence(db, user.principal, evidence_id)
    return inline_response(chunks, content_type, f"bukti-{row.id}", row.size)


@router.get("/evidence/{evidence_id}/thumbnail")
@page
def evidence_thumbnail(request: Request, evidence_id: int, db: SessionDep, user):
    row = evidence.readable_evidence(db, user.principal, evidence_id)
    if row.thumbnail_key is None:
        return Response(PDF_ICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
    chunks, content_type, row = evidence.stream_evidence(db, user.principal, evidence_id, thumbnail=True)
    return inline_response(chunks, content_type, f"bukti-{row.id}-kecil")
