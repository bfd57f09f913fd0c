import csv

from fastapi import APIRouter, HTTPException, Request
from fastapi.params import Body
from minilok_shared.auth import Principal
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import forbidden
from pydantic import ValidationError

from minilok_indicators.api.access import require_reporter
from minilok_indicators.api.schemas import IngestOut
from minilok_indicators.dhis2 import parse_mapping, to_rows
from minilok_indicators.ingest import ingest_values
from minilok_indicators.models import Area
from minilok_indicators.tabular import csv_rows

router = APIRouter(tags=["values"])

MAX_ROWS = 20_000
CSV_COLUMNS = ("indicator_code", "area_code", "period", "numerator", "denominator", "value")


def _working_area(session, principal: Principal) -> Area | None:
    """The area a puskesmas token is limited to (its `area_code` claim); None for an admin."""
    if principal.role != "puskesmas":
        return None
    if principal.area_code is None:
        # Without its area a puskesmas could report for every area in the country.
        raise forbidden("Token puskesmas tanpa wilayah kerja tidak bisa mengirim nilai; buat token baru / "
                        "a puskesmas token without a working area cannot report values; create a new token")
    area = session.get(Area, principal.area_code)
    if area is None:
        raise forbidden(f"Wilayah kerja token {principal.area_code} tidak dikenal / "
                        f"the token's working area {principal.area_code} is unknown")
    return area


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
    return _ingest(request, session, _working_area(session, principal), body)


def require_columns(header: list[str]) -> None:
    missing = [c for c in CSV_COLUMNS[:4] if c not in header]
    if missing:
        raise HTTPException(422, [{"loc": ["body", missing[0]], "msg": f"kolom {', '.join(missing)} tidak ada / "
                                   f"missing column(s) {', '.join(missing)}", "type": "value_error"}])


def parse_csv(text: str) -> list[dict]:
    """Rows of a CSV with the columns of POST /values; an empty cell is a missing value."""
    header, rows = csv_rows(text)
    require_columns(header)
    return [{k: v for k, v in row.items() if k in CSV_COLUMNS} for row in rows]


@router.post("/import/csv", response_model=IngestOut,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_csv(request: Request, session: SessionDep, principal: CurrentPrincipal):
    """A CSV body (text/csv) with the columns indicator_code, area_code, period, numerator,
    denominator, value; row indexes in `rejected` count data rows from 0."""
    require_reporter(principal)
    within = _working_area(session, principal)
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, [{"loc": ["body"], "msg": "CSV harus UTF-8 / CSV must be UTF-8",
                                   "type": "value_error"}]) from exc
    try:
        rows = parse_csv(text)
    except csv.Error as exc:
        raise HTTPException(422, [{"loc": ["body"], "msg": f"CSV tidak sah / invalid CSV: {exc}",
                                   "type": "value_error"}]) from exc
    return _ingest(request, session, within, rows)


@router.post("/import/dhis2", response_model=IngestOut)
def import_dhis2(request: Request, session: SessionDep, principal: CurrentPrincipal, body: dict = Body(...)):
    """A DHIS2 dataValueSets JSON with a `mapping` of data elements to indicator numerators and
    denominators (see minilok_indicators.dhis2); `rejected` indexes point into `dataValues`."""
    require_reporter(principal)
    within = _working_area(session, principal)
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
