"""Evidence routes: upload a photo or PDF to a follow-up, list a follow-up's evidence, read a file
or its thumbnail."""

from fastapi import APIRouter, HTTPException, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery, Page

from minilok_meetings.documents.evidence_files import MAX_BYTES, inline_response
from minilok_meetings.schemas import EvidenceOut
from minilok_meetings.service_layer import evidence

router = APIRouter(tags=["evidence"])

# The request bodies allowed past the app's usual limit: a 10 MB file plus its multipart framing
# and a note. The file's own 10 MB is checked as it is read (`read_upload`).
UPLOAD_BODY_BYTES = MAX_BYTES + 256 * 1024
UPLOAD_LIMITS = {
    r"/api/v1/follow-ups/\d+/evidence$": UPLOAD_BODY_BYTES,
    r"/api/v1/actions/[^/]+/evidence$": UPLOAD_BODY_BYTES,
    r"/a/[^/]+/": UPLOAD_BODY_BYTES,  # the action page's forms (progress, complete: a photo with the note)
}


async def read_upload(file: UploadFile) -> bytes:
    """The uploaded file's bytes, at most MAX_BYTES (one more is read to tell): else 413 naming `file`."""
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(413, [{"loc": ["body", "file"], "type": "value_error",
                                   "msg": f"berkas lebih dari {MAX_BYTES // (1024 * 1024)} MB / file larger "
                                          f"than {MAX_BYTES // (1024 * 1024)} MB"}])
    return data


@router.post("/follow-ups/{followup_id}/evidence", status_code=status.HTTP_201_CREATED, response_model=EvidenceOut)
async def upload_evidence(followup_id: int, file: UploadFile, session: SessionDep, principal: CurrentPrincipal):
    """Multipart field `file`: JPEG, PNG, WebP or PDF, at most 10 MB, judged by its bytes. Images
    are stored re-encoded (at most 1600 px, no EXIF/GPS) with a 320 px thumbnail."""
    data = await read_upload(file)
    return await run_in_threadpool(evidence.add_evidence, session, principal, followup_id, data, file.filename)


@router.get("/follow-ups/{followup_id}/evidence", response_model=Page[EvidenceOut])
def list_evidence(followup_id: int, session: SessionDep, principal: CurrentPrincipal,
                  limit: int = LimitQuery, cursor: str | None = None):
    return evidence.list_evidence(session, principal, followup_id, limit, cursor)


@router.get("/evidence/{evidence_id}", response_class=StreamingResponse,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "application/pdf": {}}}})
def read_evidence(evidence_id: int, session: SessionDep, principal: CurrentPrincipal):
    chunks, content_type, row = evidence.stream_evidence(session, principal, evidence_id)
    return inline_response(chunks, content_type, f"bukti-{row.id}", row.size)


@router.get("/evidence/{evidence_id}/thumbnail", response_class=StreamingResponse,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def read_thumbnail(evidence_id: int, session: SessionDep, principal: CurrentPrincipal):
    """404 for a PDF: it has no thumbnail (`thumbnail_url` is null)."""
    chunks, content_type, row = evidence.stream_evidence(session, principal, evidence_id, thumbnail=True)
    return inline_response(chunks, content_type, f"bukti-{row.id}-kecil")
