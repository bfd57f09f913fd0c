"""Evidence of a follow-up's work: photos and PDFs, uploaded first and then linked by id to a
progress note or a completion.

An upload writes the file (and its thumbnail) to the store before the row is committed; if the
commit fails the objects are deleted again, and one left behind by a crash in between is only
unreferenced bytes under a random key, never a row without its file."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

from fastapi import HTTPException
from minilok_shared.auth import Principal
from minilok_shared.errors import conflict, not_found, unprocessable
from minilok_shared.pagination import Page, decode_cursor, keyset_page
from sqlalchemy import select

from minilok_meetings import models
from minilok_meetings.access import check_progress_reporter, check_read_followup
from minilok_meetings.config import get_settings
from minilok_meetings.documents.content import EvidenceItem
from minilok_meetings.documents.evidence_files import EvidenceFileError, prepare
from minilok_meetings.domain.followup import ACTIVE
from minilok_meetings.evidence_store import EvidenceStore, MissingObject, StoreUnavailable, open_store
from minilok_meetings.schemas import EvidenceOut
from minilok_meetings.service_layer.followup_reads import load_followup


def check_evidence_ids(session, followup_id: int, evidence_ids: list[int]) -> list[int]:
    """The ids, without repeats, if each names evidence uploaded to this follow-up (one query);
    else a 422 naming `evidence_ids`."""
    ids = list(dict.fromkeys(evidence_ids))
    if not ids:
        return []
    found = set(session.scalars(select(models.Evidence.id).where(
        models.Evidence.id.in_(ids), models.Evidence.followup_id == followup_id)))
    missing = [i for i in ids if i not in found]
    if missing:
        raise unprocessable("evidence_ids", f"bukti {missing[0]} tidak ada pada tindak lanjut ini / "
                                            "evidence not found on this follow-up")
    return ids


def store() -> EvidenceStore:
    settings = get_settings()
    return open_store(settings.evidence_dir, settings.evidence_s3_url or None, settings.evidence_s3_endpoint or None)


def _store_down(exc: StoreUnavailable) -> HTTPException:
    return HTTPException(503, "Penyimpanan bukti sedang tidak tersedia, coba lagi sebentar / evidence storage "
                              "unavailable, retry shortly", headers={"Retry-After": "5"})


def evidence_out(row: models.Evidence) -> EvidenceOut:
    return EvidenceOut(id=row.id, followup_id=row.followup_id, content_type=row.content_type, size=row.size,
                       width=row.width, height=row.height, url=f"/api/v1/evidence/{row.id}",
                       thumbnail_url=f"/api/v1/evidence/{row.id}/thumbnail" if row.thumbnail_key else None,
                       created_by=row.created_by, created_at=row.created_at)


def _original_name(filename: str | None) -> str | None:
    """The uploader's file name, for people only (never used to decide anything): its last path
    part, printable characters, at most 200."""
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).encode("utf-8", "ignore").decode()[:200]
    return name or None


def add_evidence(session, principal: Principal, followup_id: int, data: bytes, filename: str | None) -> EvidenceOut:
    """A photo or PDF on an open or in-progress follow-up, by whoever may report its progress;
    413, 415 or 422 naming `file` for bytes that cannot be evidence."""
    followup = load_followup(session, followup_id)
    check_progress_reporter(principal, followup)
    if followup.status not in ACTIVE:
        raise conflict(f"Tindak lanjut berstatus {followup.status}; bukti hanya untuk yang aktif / "
                       "evidence only on open or in-progress follow-ups")
    try:
        prepared = prepare(data)
    except EvidenceFileError as exc:
        raise HTTPException(exc.status, [{"loc": ["body", "file"], "msg": str(exc), "type": "value_error"}]) from exc
    name = uuid.uuid4().hex  # not guessable from the ids: a leaked key names one file, never the next
    key = f"{followup.id}/{name}.{prepared.extension}"
    thumbnail_key = f"{followup.id}/{name}-thumbnail.{prepared.extension}" if prepared.thumbnail else None
    files = store()
    written = []
    try:
        files.put(key, prepared.data, prepared.content_type)
        written.append(key)
        if thumbnail_key:
            files.put(thumbnail_key, prepared.thumbnail, prepared.thumbnail_type)
            written.append(thumbnail_key)
        row = models.Evidence(
            followup_id=followup.id, content_type=prepared.content_type, size=len(prepared.data),
            sha256=hashlib.sha256(prepared.data).hexdigest(), width=prepared.width, height=prepared.height,
            storage_key=key, thumbnail_key=thumbnail_key, original_name=_original_name(filename),
            created_by=principal.subject[:120],
        )
        session.add(row)
        session.commit()
    except StoreUnavailable as exc:
        _forget(files, written)
        raise _store_down(exc) from exc
    except BaseException:
        session.rollback()
        _forget(files, written)
        raise
    return evidence_out(row)


def _forget(files: EvidenceStore, keys: list[str]) -> None:
    for key in keys:
        try:
            files.delete(key)
        except (StoreUnavailable, MissingObject):
            pass  # unreferenced bytes under a random key; nothing reads them


def readable_evidence(session, principal: Principal, evidence_id: int) -> models.Evidence:
    """The evidence row, if `principal` may see its follow-up."""
    row = session.get(models.Evidence, evidence_id)
    if row is None:
        raise not_found("Bukti / evidence", evidence_id)
    check_read_followup(principal, load_followup(session, row.followup_id))
    return row


def _file_of(row: models.Evidence, thumbnail: bool) -> tuple[str, str]:
    if not thumbnail:
        return row.storage_key, row.content_type
    if row.thumbnail_key is None:
        raise HTTPException(404, f"Bukti {row.id} tidak punya gambar kecil (PDF) / evidence {row.id} has no "
                                 "thumbnail (a PDF)")
    return row.thumbnail_key, row.content_type  # a thumbnail is encoded like its image


def _opened(files: EvidenceStore, row: models.Evidence, key: str, read):
    try:
        return read(key)
    except MissingObject as exc:
        raise HTTPException(404, f"Berkas bukti {row.id} tidak ada di penyimpanan / the file of evidence "
                                 f"{row.id} is missing from storage") from exc
    except StoreUnavailable as exc:
        raise _store_down(exc) from exc


def stream_evidence(session, principal: Principal, evidence_id: int,
                    thumbnail: bool = False) -> tuple[Iterator[bytes], str, models.Evidence]:
    """The file (or its thumbnail) in chunks, its content type and its row, if `principal` may see it."""
    row = readable_evidence(session, principal, evidence_id)
    key, content_type = _file_of(row, thumbnail)
    files = store()
    return _opened(files, row, key, files.stream), content_type, row


def open_evidence(session, evidence_id: int, thumbnail: bool) -> tuple[bytes, str]:
    """The bytes and content type of a file or its thumbnail; the caller has checked access."""
    row = session.get(models.Evidence, evidence_id)
    if row is None:
        raise not_found("Bukti / evidence", evidence_id)
    key, content_type = _file_of(row, thumbnail)
    files = store()
    return _opened(files, row, key, files.read), content_type


def list_evidence(session, principal: Principal, followup_id: int, limit: int = 50,
                  cursor: str | None = None) -> Page[EvidenceOut]:
    """A follow-up's evidence, oldest first."""
    check_read_followup(principal, load_followup(session, followup_id))
    query = select(models.Evidence).where(models.Evidence.followup_id == followup_id).order_by(models.Evidence.id)
    if cursor:
        (after,) = decode_cursor(cursor)
        query = query.where(models.Evidence.id > after)
    page = keyset_page(session.scalars(query.limit(limit + 1)).all(), limit)
    return Page(items=[evidence_out(row) for row in page.items], next_cursor=page.next_cursor)


def evidence_of(session, followup_ids: list[int], shown: int = 8) -> dict[int, tuple[list[EvidenceItem], int]]:
    """For documents: each follow-up's first `shown` evidence, oldest first, with thumbnails read
    from the store, and how many more it has (one query, then one read per thumbnail shown)."""
    if not followup_ids:
        return {}
    rows = session.scalars(select(models.Evidence).where(models.Evidence.followup_id.in_(followup_ids))
                           .order_by(models.Evidence.followup_id, models.Evidence.id))
    files = store()
    found: dict[int, tuple[list[EvidenceItem], int]] = {}
    for row in rows:
        items, more = found.get(row.followup_id, ([], 0))
        if len(items) >= shown:
            found[row.followup_id] = (items, more + 1)
            continue
        picture = None
        if row.thumbnail_key:
            try:
                picture = files.read(row.thumbnail_key)
            except (MissingObject, StoreUnavailable):
                picture = None  # the document names the file rather than failing
        items.append(EvidenceItem(label=row.original_name or f"bukti {row.id}", content_type=row.content_type,
                                  thumbnail=picture))
        found[row.followup_id] = (items, more)
    return found
