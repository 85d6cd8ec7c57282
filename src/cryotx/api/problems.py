"""Errors as RFC 9457 problem details (``application/problem+json``) naming the field."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cryotx.errors import InputError
from cryotx.services._common import Conflict, NotFound, PermissionDenied
from cryotx.services.auth import AuthRequired
from cryotx.services.clinical import ClinicalUnavailable

__all__ = ["install_problem_handlers", "problem"]

_TITLES = {
    400: "Bad request",
    401: "Login required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many requests",
    503: "Unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem-details response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation(errors: list[Any]) -> JSONResponse:
    listed = [
        {"field": _field(e.get("loc", ())), "message": str(e.get("msg", "invalid"))} for e in errors
    ]
    first = listed[0] if listed else {"field": "body", "message": "invalid input"}
    return problem(
        422, f"{first['field']}: {first['message']}", field=first["field"], errors=listed
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into problem details."""

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        return _validation(list(error.errors()))

    @app.exception_handler(ValidationError)
    async def _model_invalid(_: Request, error: ValidationError) -> JSONResponse:
        return _validation(list(error.errors()))

    @app.exception_handler(InputError)
    async def _input(_: Request, error: InputError) -> JSONResponse:
        return problem(422, error.message, field=error.field)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, error: NotFound) -> JSONResponse:
        return problem(404, str(error))

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, error: Conflict) -> JSONResponse:
        return problem(409, error.message, field=error.field)

    @app.exception_handler(AuthRequired)
    async def _auth(_: Request, error: AuthRequired) -> JSONResponse:
        return problem(401, str(error), headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(PermissionDenied)
    async def _denied(_: Request, error: PermissionDenied) -> JSONResponse:
        return problem(403, str(error))

    @app.exception_handler(ClinicalUnavailable)
    async def _unavailable(_: Request, error: ClinicalUnavailable) -> JSONResponse:
        return problem(503, str(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = dict(error.headers) if error.headers else None
        return problem(error.status_code, str(error.detail), headers=headers)
