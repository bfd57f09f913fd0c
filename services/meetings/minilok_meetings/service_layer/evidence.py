"""Evidence of a follow-up's work: photos and PDFs, uploaded first and then linked by id to a
progress note or a completion."""

from __future__ import annotations

from sqlalchemy import select

from minilok_meetings import models
from minilok_shared.errors import unprocessable


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
