"""The one error format of every HTTP surface: RFC 9457 problem details, naming the bad field."""

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_errors(exc: ValidationError | RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as [{"field": "changes.0.employee.email", "message": ...}]."""
    out = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        out.append({"field": ".".join(location) or None, "message": error.get("msg", "invalid")})
    return out


def describe(errors: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors[:10]
    )


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            _title(exc.status_code),
            str(exc.detail),
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc)
        return problem(422, "Invalid request", describe(errors), errors)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
