"""Areas in the database: adding them (one or a bulk load), reading one, a list, subtrees by path,
and searching them by name (with the readable place of each: "Kepulauan Riau › Kota Batam")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from minilok_shared.db import utcnow
from minilok_shared.errors import not_found
from minilok_shared.pagination import Page, decode_cursor, keyset_page
from sqlalchemy import and_, case, func, insert, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from minilok_indicators.dialect import descendant_filter, dialect_name, fetch_tuples, in_batches, starts_with
from minilok_indicators.domain.hierarchy import (
    child_path,
    order_parents_first,
    parent_level_error,
    path_codes,
)
from minilok_indicators.domain.names import name_words, place, query_words
from minilok_indicators.models import Area, AreaWord

# Bind parameters per statement stay well below SQLite's limit (32766).
CHUNK = 500


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def areas_by_code(session: Session, codes: Iterable[str]) -> dict[str, Area]:
    found: dict[str, Area] = {}
    unique = sorted(set(codes))
    for part in chunks(unique):
        for area in session.scalars(select(Area).where(Area.code.in_(part))):
            found[area.code] = area
    return found


class AreaRef(NamedTuple):
    """An area as a bulk read needs it (read only): what `Area` holds, without an ORM object."""
    code: str
    name: str
    level: str
    parent_code: str | None
    path: str
    depth: int


def area_refs_by_code(session: Session, codes: Iterable[str]) -> dict[str, AreaRef]:
    """`areas_by_code` for an import's tens of thousands of areas per chunk: plain tuples in one
    `= ANY` query on PostgreSQL (ORM objects cost a tenth of the import's CPU)."""
    found: dict[str, AreaRef] = {}
    columns = (Area.code, Area.name, Area.level, Area.parent_code, Area.path, Area.depth)
    for in_part in in_batches(session, Area.code, codes):
        for row in fetch_tuples(session, select(*columns).where(in_part)):
            found[row[0]] = AreaRef(*row)
    return found


@dataclass
class AreaError:
    index: int
    field: str
    message: str
    conflict: bool = False  # a duplicate (409) rather than invalid input (422)


def add_areas(session: Session, items: list[dict]) -> tuple[list[dict], list[AreaError]]:
    """Add areas, parents before children whatever the order given; all or nothing.

    `items` are validated dicts with code, name, level and parent_code. A parent may be in the
    database already or in the same list. Returns the new areas (not yet committed) or the errors.
    """
    errors: list[AreaError] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item["code"] in seen:
            errors.append(AreaError(i, "code", f"kode {item['code']} ganda dalam daftar (baris {seen[item['code']]}) / "
                                               f"code {item['code']} repeated in the list (index {seen[item['code']]})",
                                    conflict=True))
        else:
            seen[item["code"]] = i
    existing = areas_by_code(session, [item["code"] for item in items] +
                             [item["parent_code"] for item in items if item.get("parent_code")])
    for i, item in enumerate(items):
        if item["code"] in existing:
            errors.append(AreaError(i, "code", f"kode wilayah {item['code']} sudah ada / area code already exists",
                                    conflict=True))
    if errors:
        return [], errors

    order, cyclic = order_parents_first([(item["code"], item.get("parent_code")) for item in items])
    for i in sorted(cyclic):
        errors.append(AreaError(i, "parent_code", "induk membentuk lingkaran / parent_code forms a cycle"))
    placed: dict[str, tuple[str, str, int]] = {code: (a.level, a.path, a.depth) for code, a in existing.items()}
    now = utcnow()
    rows: list[dict] = []
    for i in order:
        item = items[i]
        parent_code = item.get("parent_code")
        parent_path, depth = None, 0
        if parent_code is not None:
            parent = placed.get(parent_code)
            if parent is None:
                errors.append(AreaError(i, "parent_code", f"wilayah induk {parent_code} tidak ada / "
                                                          f"parent area {parent_code} does not exist"))
                continue
            parent_level, parent_path, parent_depth = parent
            problem = parent_level_error(item["level"], parent_level)
            if problem:
                errors.append(AreaError(i, "parent_code", problem))
                continue
            depth = parent_depth + 1
        path = child_path(parent_path, item["code"])
        placed[item["code"]] = (item["level"], path, depth)
        rows.append({"code": item["code"], "name": item["name"], "level": item["level"],
                     "parent_code": parent_code, "path": path, "depth": depth, "created_at": now,
                     "search_name": " ".join(name_words(item["name"]))[:200]})
    if errors:
        return [], sorted(errors, key=lambda e: e.index)
    # Parents first, so the self-referencing foreign key holds statement by statement.
    for part in chunks(rows, CHUNK // 8):
        session.execute(insert(Area).values(list(part)))
    words = [{"area_code": row["code"], "word": word} for row in rows for word in name_words(row["name"])]
    for part in chunks(words, CHUNK // 2):
        session.execute(insert(AreaWord).values(list(part)))
    return rows, []


def children_of(session: Session, code: str) -> list[Area]:
    return list(session.scalars(select(Area).where(Area.parent_code == code).order_by(Area.code)))


def area_or_404(session: Session, code: str) -> Area:
    area = session.get(Area, code)
    if area is None:
        raise not_found("Wilayah / area", code)
    return area


def area_detail(session: Session, code: str) -> tuple[Area, list[Area], list[Area]]:
    """The area, its ancestors from the root down, and its children."""
    area = area_or_404(session, code)
    ancestors = areas_by_code(session, path_codes(area.path)[:-1])
    return area, sorted(ancestors.values(), key=lambda a: a.depth), children_of(session, code)


def _narrowed(session: Session, query, parent_code: str | None, level: str | None, within: str | None):
    if parent_code is not None:
        query = query.where(Area.parent_code == parent_code)
    if level is not None:
        query = query.where(Area.level == level)
    if within is not None:
        ancestor = area_or_404(session, within)
        query = query.where(descendant_filter(dialect_name(session), Area.path, ancestor.path),
                            Area.code != ancestor.code)
    return query


def list_areas(session: Session, parent_code: str | None, level: str | None, limit: int,
               cursor: str | None, within: str | None = None) -> Page:
    """Areas in code order, optionally the children of one area, those beneath one area
    (`within`), or one level only."""
    query = _narrowed(session, select(Area).order_by(Area.code), parent_code, level, within)
    if cursor:
        (after,) = decode_cursor(cursor, (str,))
        query = query.where(Area.code > after)
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit, key=lambda row: [row.code])


def search_areas(session: Session, q: str, level: str | None, within: str | None, limit: int,
                 cursor: str | None, parent_code: str | None = None) -> Page:
    """Areas whose name has, for every word of `q`, a word starting with it (case and accents
    ignored; a query with a digit also matches codes starting with it). The whole name first,
    then names starting with the query, then the rest; shallower levels before deeper ones.

    Each word asked is one range on `ix_area_words_word`, so the cost follows the matches, not
    the number of areas."""
    dialect = dialect_name(session)
    words = query_words(q)
    code_asked = q.strip()
    matches = []
    if words:
        matches.append(and_(*(Area.code.in_(select(AreaWord.area_code).where(starts_with(dialect, AreaWord.word, w)))
                              for w in words)))
    if any(ch.isdigit() for ch in code_asked):
        matches.append(starts_with(dialect, Area.code, code_asked))
    if not matches:
        return Page(items=[], next_cursor=None)
    asked = " ".join(words)
    search_name = func.coalesce(Area.search_name, "")
    rank = case((search_name == asked, 0), (starts_with(dialect, search_name, asked), 1), else_=2) if words \
        else literal(2)
    order = (rank, Area.depth, search_name, Area.code)
    query = _narrowed(session, select(Area, rank.label("rank")).where(or_(*matches)).order_by(*order),
                      parent_code, level, within)
    if cursor:
        after = decode_cursor(cursor, (int, int, str, str))
        query = query.where(tuple_(*order) > tuple_(*after))
    rows = session.execute(query.limit(limit + 1)).all()
    page = keyset_page(rows, limit, key=lambda row: [row.rank, row.Area.depth, row.Area.search_name or "",
                                                     row.Area.code])
    return Page(items=[row.Area for row in page.items], next_cursor=page.next_cursor)


def places(session: Session, areas: list[Area]) -> dict[str, str]:
    """Each area's readable place, its ancestors' names and its own from the root down ("Kepulauan
    Riau › Kota Batam › Batam Kota"), from one lookup of all their ancestors."""
    ancestors = areas_by_code(session, {code for area in areas for code in path_codes(area.path)[:-1]})
    return {area.code: place([*(ancestors[code].name for code in path_codes(area.path)[:-1] if code in ancestors),
                              area.name]) for area in areas}
