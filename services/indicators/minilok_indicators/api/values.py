"""Routes that take reported values in: JSON rows, a CSV body, a DHIS2 dataValueSets document."""

import csv

from fastapi import APIRouter, HTTPException, Request
from fastapi.params import Body
from minilok_shared.deps import CurrentPrincipal, SessionDep
from pydantic import ValidationError

from minilok_indicators.access import require_reporter
from minilok_indicators.formats.dhis2 import parse_mapping, to_rows
from minilok_indicators.formats.tabular import MissingColumns, value_rows
from minilok_indicators.models import Area
from minilok_indicators.schemas import IngestOut
from minilok_indicators.service_layer.ingest import ingest_values, working_area

router = APIRouter(tags=["values"])

MAX_ROWS = 20_000


def _ingest(request: Request, session: SessionDep, within: Area | None, rows: list) -> dict:
    if len(rows) > MAX_ROWS:
        raise HTTPException(422, [{"loc": ["body"], "msg": f"paling banyak {MAX_ROWS} baris per permintaan / "
                                   f"at most {MAX_ROWS} rows per request", "type": "value_error"}])
    result = ingest_values(session, rows, event_levels=request.app.state.settings.event_level_set(),
                           within=within)
    session.commit()
    return {"accepted": result.accepted, "rejected": result.rejected}


@router.post("/values", response_model=IngestOut)
def post_values(request: Request, session: SessionDep, principal: CurrentPrincipal, body: list = Body(...)):
    """Upsert values; each row is checked on its own and a rejected row is reported by index."""
    require_reporter(principal)
    return _ingest(request, session, working_area(session, principal), body)


@router.post("/import/csv", response_model=IngestOut,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_csv(request: Request, session: SessionDep, principal: CurrentPrincipal):
    """A CSV body (text/csv) with the columns indicator_code, area_code, period, numerator,
    denominator, value; row indexes in `rejected` count data rows from 0."""
    require_reporter(principal)
    within = working_area(session, principal)
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, [{"loc": ["body"], "msg": "CSV harus UTF-8 / CSV must be UTF-8",
                                   "type": "value_error"}]) from exc
    try:
        rows = value_rows(text)
    except MissingColumns as exc:
        raise HTTPException(422, [{"loc": ["body", exc.missing[0]], "msg": str(exc),
                                   "type": "value_error"}]) from exc
    except csv.Error as exc:
        raise HTTPException(422, [{"loc": ["body"], "msg": f"CSV tidak sah / invalid CSV: {exc}",
                                   "type": "value_error"}]) from exc
    return _ingest(request, session, within, rows)


@router.post("/import/dhis2", response_model=IngestOut)
def import_dhis2(request: Request, session: SessionDep, principal: CurrentPrincipal, body: dict = Body(...)):
    """A DHIS2 dataValueSets JSON with a `mapping` of data elements to indicator numerators and
    denominators (see minilok_indicators.formats.dhis2); `rejected` indexes point into `dataValues`."""
    require_reporter(principal)
    within = working_area(session, principal)
    data_values = body.get("dataValues")
    if not isinstance(data_values, list):
        raise HTTPException(422, [{"loc": ["body", "dataValues"], "msg": "dataValues harus daftar / must be a list",
                                   "type": "value_error"}])
    try:
        mapping = parse_mapping(body.get("mapping"))
    except ValidationError as exc:
        raise HTTPException(422, [{"loc": ["body", "mapping", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                                  for e in exc.errors(include_url=False, include_context=False)]) from exc
    rows, sources, rejected = to_rows(data_values, mapping)
    result = _ingest(request, session, within, rows)
    for row in result["rejected"]:
        rejected += [{**row, "index": index} for index in sources[row["index"]]]
    return {"accepted": result["accepted"], "rejected": sorted(rejected, key=lambda r: r["index"])}
