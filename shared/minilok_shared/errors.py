"""The 4xx answers every service gives, in FastAPI's `{"detail": ...}` shape."""

from fastapi import HTTPException


def unprocessable(field: str, message: str, where: str = "body") -> HTTPException:
    """422 naming the field, shaped like FastAPI's own validation errors."""
    return HTTPException(422, [{"loc": [where, field], "msg": message, "type": "value_error"}])


def not_found(what: str, ident: object) -> HTTPException:
    return HTTPException(404, f"{what} {ident} tidak ditemukan / not found")


def conflict(message: str) -> HTTPException:
    return HTTPException(409, message)
