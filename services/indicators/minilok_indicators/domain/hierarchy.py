"""The administrative hierarchy: which level may sit under which, and materialised paths."""

from __future__ import annotations

# The whole country in rollups and rankings (ISO 3166 "ID"): every root area adds up there. Reserved:
# no area may take this code.
NATIONAL = "ID"

LEVELS = ("provinsi", "kota", "kecamatan", "kelurahan", "desa", "rw", "rt", "posyandu")

# Allowed parent levels per level. Any level may also be a root (a dinas kesehatan loads only its
# own kota), except that a provinsi never has a parent.
PARENT_LEVELS: dict[str, tuple[str, ...]] = {
    "provinsi": (),
    "kota": ("provinsi",),
    "kecamatan": ("kota",),
    "kelurahan": ("kecamatan",),
    "desa": ("kecamatan",),
    "rw": ("kelurahan", "desa"),
    "rt": ("rw",),
    "posyandu": ("kelurahan", "desa", "rw"),
}


def parent_level_error(level: str, parent_level: str) -> str | None:
    """Why an area of `level` cannot sit under one of `parent_level`, or None when it can."""
    allowed = PARENT_LEVELS[level]
    if parent_level in allowed:
        return None
    if not allowed:
        return f"{level} tidak boleh punya induk / a {level} has no parent"
    return (f"induk {level} harus {' atau '.join(allowed)}, bukan {parent_level} / "
            f"the parent of a {level} must be a {' or '.join(allowed)}, not a {parent_level}")


def child_path(parent_path: str | None, code: str) -> str:
    """'/21/' + '21.71' → '/21/21.71/'. Codes never contain '/', so a prefix is a subtree."""
    return f"{parent_path or '/'}{code}/"


def path_codes(path: str) -> list[str]:
    """The codes from the root down to the area itself."""
    return [part for part in path.split("/") if part]


def subtree_upper_bound(path: str) -> str:
    """The smallest string above every path that starts with `path` ('/' + 1 is '0')."""
    return path[:-1] + chr(ord(path[-1]) + 1)


def order_parents_first(items: list[tuple[str, str | None]]) -> tuple[list[int], set[int]]:
    """Order (code, parent_code) pairs so that a parent in the list comes before its children.

    Returns the order (indexes) and the indexes caught in a cycle, which cannot be placed.
    """
    index_of = {code: i for i, (code, _) in enumerate(items)}
    children: dict[int, list[int]] = {}
    roots = []
    for i, (_code, parent) in enumerate(items):
        if parent is not None and parent in index_of and index_of[parent] != i:
            children.setdefault(index_of[parent], []).append(i)
        else:
            roots.append(i)
    order: list[int] = []
    stack = list(reversed(roots))
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(reversed(children.get(i, [])))
    placed = set(order)
    return order, {i for i in range(len(items)) if i not in placed}
