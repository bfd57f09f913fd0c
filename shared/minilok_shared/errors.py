"""The 4xx answers every service gives, in FastAPI's `{"detail": ...}` shape."""

from fastapi import HTTPException
from fastapi.responses import JSONResponse


def unprocessable(field: str, message: str, where: str = "body") -> HTTPException:
    """422 naming the field, shaped like FastAPI's own validation errors."""
    return HTTPException(422, [{"loc": [where, field], "msg": message, "type": "value_error"}])


def forbidden(message: str = "Tidak diizinkan / not allowed") -> HTTPException:
    return HTTPException(403, message)


def not_found(what: str, ident: object) -> HTTPException:
    return HTTPException(404, f"{what} {ident} tidak ditemukan / not found")


def conflict(message: str) -> HTTPException:
    return HTTPException(409, message)


def database_unavailable() -> JSONResponse:
    """503 while the database cannot be reached: nothing is wrong with the request, retry it."""
    return JSONResponse({"detail": "Basis data sedang tidak tersedia, coba lagi sebentar / database unavailable, "
                                   "retry shortly"}, 503, headers={"Retry-After": "5"})
