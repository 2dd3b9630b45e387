"""The error answers every service route really gives, written into its OpenAPI document in one
place (`ServiceProcess.create_app`), so a route added anywhere is documented truthfully:

- 401 wherever a service token is required (no token, or one that does not verify);
- 422 wherever the route takes parameters or a body (FastAPI's validation, or a refusal);
- 404 wherever a path parameter could name nothing (an id containing `/` matches no route);
- 400 wherever a body is read (bytes that are not UTF-8 cannot even be parsed as JSON);
- what a route declares itself with `responses=refused_with(404, 409)`;

every one of them `application/problem+json` with the `Problem` schema of `contracts.problems`
(the body `runtime.problems` writes), instead of FastAPI's `HTTPValidationError` JSON."""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from contracts.problems import Problem
from fastapi import FastAPI

from runtime.problems import PROBLEM_JSON

_COMPONENTS = "#/components/schemas/"
_PROBLEM = {"schema": {"$ref": f"{_COMPONENTS}Problem"}}
# What each refusal status means on a service route.
_MEANING = {
    400: "The body could not be read (not UTF-8 text)",
    401: "No service token, or one that does not verify",
    404: "Not found: the addressed resource does not exist (or is another tenant's)",
    409: "Conflict: the resource's state does not allow it",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request: the fields at fault are named in `errors`",
}
# FastAPI's own validation-error schemas, which no service answers with.
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def refused_with(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route whose use case refuses with these statuses (404: the addressed
    resource is not found; 409: CONFLICT, NOT_ALLOWED_IN_STATE or CAPACITY_REACHED)."""
    return {status: {"description": _meaning(status)} for status in statuses}


def document_error_answers(app: FastAPI) -> None:
    """Makes `app.openapi()` tell the error answers the app really gives."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_error_answers(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def with_error_answers(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in problem_schemas().items():
        if schemas.setdefault(name, schema) != schema:
            raise ValueError(f"the OpenAPI component {name!r} is not the problem's {name}")
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            _document_operation(path, operation)
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    return document


def problem_schemas() -> dict[str, dict[str, Any]]:
    """`Problem` and the schemas it refers to, as OpenAPI components."""
    schema = Problem.model_json_schema(
        by_alias=True, ref_template=_COMPONENTS + "{model}", mode="serialization"
    )
    definitions: dict[str, dict[str, Any]] = schema.pop("$defs", {})
    return {**definitions, "Problem": schema}


def _document_operation(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if operation.get("security"):
        responses.setdefault("401", {"description": _meaning(401)})["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}}
        }
    if "requestBody" in operation:
        responses.setdefault("400", {"description": _meaning(400)})
    if "{" in path:
        responses.setdefault("404", {"description": _meaning(404)})
    for status, response in responses.items():
        if status.startswith("4"):
            response["content"] = {PROBLEM_JSON: _PROBLEM}
            if status == "422":
                response["description"] = _meaning(422)


def _meaning(status: int) -> str:
    return _MEANING.get(status) or HTTPStatus(status).phrase
