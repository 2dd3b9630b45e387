"""The one error format of every HTTP surface: RFC 9457 problem details, naming the bad field,
with the extension member `code` for refusals (the gateway's userError code)."""

from http import HTTPStatus
from typing import Any

from contracts.problems import Code, Problem
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from runtime.refusals import Refused

PROBLEM_JSON = "application/problem+json"

_STATUS = {
    Code.INVALID: 422,
    Code.INELIGIBLE: 422,
    Code.NOT_FOUND: 404,
    Code.CONFLICT: 409,
    Code.NOT_ALLOWED_IN_STATE: 409,
    Code.CAPACITY_REACHED: 409,
}
_TITLE = {
    Code.INVALID: "Invalid request",
    Code.INELIGIBLE: "Not eligible",
    Code.NOT_FOUND: "Not Found",
    Code.CONFLICT: "Conflict",
    Code.NOT_ALLOWED_IN_STATE: "Not allowed in this state",
    Code.CAPACITY_REACHED: "Capacity reached",
}


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


def refusal_status(refused: Refused) -> int:
    """NOT_FOUND of the addressed resource (no field) is a 404; of an id the body names, 422."""
    if refused.code is Code.NOT_FOUND and any(e.field is not None for e in refused.errors):
        return 422
    return _STATUS[refused.code]


def refusal_problem(refused: Refused) -> Problem:
    status = refusal_status(refused)
    return Problem(
        title=_TITLE[refused.code],
        status=status,
        detail=refused.describe(),
        errors=refused.errors,
        code=refused.code,
    )


def refusal_response(refused: Refused) -> JSONResponse:
    body = refusal_problem(refused).model_dump(mode="json", by_alias=True)
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON)


def field_errors(exc: ValidationError | RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as [{"field": "changes.0.employee.email", "message": ...}]."""
    out = []
    for error in exc.errors():
        # A bad dict key is named by the key itself (`weights.vibes`, not `weights.vibes.[key]`).
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "[key]")]
        out.append({"field": ".".join(location) or None, "message": error.get("msg", "invalid")})
    return out


def describe(errors: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors[:10]
    )


def install_problem_handlers(app: FastAPI) -> None:
    # Starlette's HTTPException (FastAPI's is a subclass): what routing itself raises (no such
    # route 404, 405, an undecodable body 400) is answered as problem+json too.
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

    @app.exception_handler(Refused)
    async def _refused(_: Request, exc: Refused) -> JSONResponse:
        return refusal_response(exc)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
