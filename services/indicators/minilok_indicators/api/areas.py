"""Routes for the area hierarchy: add one or many, read one with its ancestors and children, list."""

from fastapi import APIRouter, HTTPException, Query, status
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery, Page
from minilok_shared.validation import SingleLine
from pydantic import TypeAdapter, ValidationError

from minilok_indicators.access import require_admin
from minilok_indicators.schemas import AreaCreate, AreaDetail, AreaListed, AreaOut, BulkAreasOut, Level
from minilok_indicators.service_layer import areas
from minilok_indicators.service_layer.areas import AreaError

router = APIRouter(prefix="/areas", tags=["areas"])

MAX_BULK = 5000
_bulk_items = TypeAdapter(list[AreaCreate])


def _raise(errors: list[AreaError], single: bool) -> None:
    """409 when every problem is a duplicate, else 422; each error names its field (and index)."""
    if single and errors[0].conflict:
        raise HTTPException(409, errors[0].message)
    status_code = 409 if all(e.conflict for e in errors) else 422
    raise HTTPException(status_code, [
        {"loc": ["body", e.field] if single else ["body", e.index, e.field], "msg": e.message,
         "type": "conflict" if e.conflict else "value_error"}
        for e in errors
    ])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AreaOut)
def create_area(body: AreaCreate, session: SessionDep, principal: CurrentPrincipal):
    require_admin(principal, "menambah wilayah")
    rows, errors = areas.add_areas(session, [body.model_dump()])
    if errors:
        _raise(errors, single=True)
    session.commit()
    return rows[0]


@router.post("/bulk", status_code=status.HTTP_201_CREATED, response_model=BulkAreasOut)
def create_areas_bulk(body: list[dict], session: SessionDep, principal: CurrentPrincipal):
    """Add many areas at once, in any order; if one is wrong, none is added."""
    require_admin(principal, "menambah wilayah")
    if len(body) > MAX_BULK:
        raise HTTPException(422, [{"loc": ["body"], "msg": f"paling banyak {MAX_BULK} wilayah per permintaan / "
                                   f"at most {MAX_BULK} areas per request", "type": "value_error"}])
    try:
        items = _bulk_items.validate_python(body)
    except ValidationError as exc:
        raise HTTPException(422, [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                                  for e in exc.errors(include_url=False, include_context=False)]) from exc
    rows, errors = areas.add_areas(session, [item.model_dump() for item in items])
    if errors:
        _raise(errors, single=False)
    session.commit()
    return {"created": len(rows), "items": rows}


@router.get("/{code}", response_model=AreaDetail)
def get_area(code: str, session: SessionDep, principal: CurrentPrincipal):
    area, ancestors, children = areas.area_detail(session, code)
    return {**AreaOut.model_validate(area).model_dump(), "ancestors": ancestors, "children": children}


@router.get("", response_model=Page[AreaListed])
def list_areas(session: SessionDep, principal: CurrentPrincipal,
               q: SingleLine | None = Query(None, max_length=100, description=(
                   "name search: every word starts a word of the name, case and accents ignored; "
                   "a query with a digit also matches codes")),
               parent_code: str | None = Query(None, description="only the direct children of this area"),
               parent: str | None = Query(None, description="only areas beneath this area, at any depth"),
               level: Level | None = Query(None), limit: int = LimitQuery, cursor: str | None = None):
    """Areas in code order, optionally the children of one area, those beneath one, or one level
    only; with `q`, the areas whose name matches, best match first (whole name, then name prefix,
    then a later word; shallower levels first). Each item carries `path_name`, its place in words."""
    if q and q.strip():
        page = areas.search_areas(session, q, level, parent, limit, cursor, parent_code=parent_code)
    else:
        page = areas.list_areas(session, parent_code, level, limit, cursor, within=parent)
    named = areas.places(session, page.items)
    return {"items": [{**AreaOut.model_validate(area).model_dump(), "path_name": named[area.code]}
                      for area in page.items], "next_cursor": page.next_cursor}
