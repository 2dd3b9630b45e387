"""SCIM answers and errors.

SCIM defines its own error shape (RFC 7644 §3.12: `urn:ietf:params:scim:api:messages:2.0:Error`
with `status`, `scimType`, `detail`), which every SCIM client parses; so /scim/v2 is the one
surface that answers errors in it instead of the problem+json used everywhere else.
"""

from typing import Any

from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from scim2_models import Error, SCIMException

SCIM_JSON = "application/scim+json"


class ScimResponse(JSONResponse):
    media_type = SCIM_JSON


def scim_json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return ScimResponse(body, status_code=status, headers=headers)


def error_response(
    status: int, detail: str, scim_type: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    return scim_json(error.model_dump(), status, headers)


def from_exception(exc: SCIMException) -> Response:
    error = exc.to_error()
    return scim_json(error.model_dump(), error.status or 400)


def from_validation_error(exc: ValidationError) -> Response:
    """The first problem of a payload, named by its SCIM attribute path; SCIM errors carry
    one detail, so the others are joined into it."""
    errors = Error.from_validation_errors(exc)
    first = errors[0]
    detail = "; ".join(e.detail or "" for e in errors[:10])
    return error_response(first.status or 400, detail, first.scim_type)
