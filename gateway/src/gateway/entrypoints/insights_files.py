"""A program's insights as files, behind the API key like the GraphQL door (the links
`Program.insights` answers point here):

- `GET /programs/{id}/charts/{name}.svg|.png|.json` — adoption, satisfaction or outcomes,
  rendered by feedback (`?grain=WEEK|MONTH` for the charts over time); `.json` is the
  chart-ready series (values, denominators, intervals, suppression flags);
- `GET /programs/{id}/insights.csv|.json` — the insights as an export.

`{id}` is the program's public (GraphQL) id. For the tenant's admins; anyone else, a foreign
or malformed id and an unknown chart are all the same 404. The file is proxied as feedback
rendered it, under the content type its extension names; a problem (a bad `grain`) as
problem+json; feedback unreachable or failing is 503."""

import logging
from enum import StrEnum
from typing import Annotated, TypeVar

from contracts.internal.feedback import ChartName, InsightsGrain
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from runtime.problems import PROBLEM_JSON, problem

from gateway.adapters.upstream import ServiceClient, UpstreamUnavailable
from gateway.entrypoints.authentication import api_key_caller
from gateway.graphql.ids import decode_id

log = logging.getLogger(__name__)
router = APIRouter(tags=["insights"])

E = TypeVar("E", bound=StrEnum)


class ChartFormat(StrEnum):
    SVG = "svg"
    PNG = "png"
    JSON = "json"


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


CONTENT_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}
# Figures about an organization's people: never kept by a shared cache; an SVG never runs
# anything (it is served from the API's own origin).
_PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
_SVG_POLICY = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


@router.get(
    "/programs/{program_id}/charts/{file_name}",
    responses={200: {"content": {t: {} for t in CONTENT_TYPES.values()}}, 401: {}, 404: {}},
)
async def chart(
    request: Request,
    program_id: str,
    file_name: str,
    grain: Annotated[str | None, Query(description="WEEK or MONTH (default)")] = None,
) -> Response:
    """`file_name`: `<adoption|satisfaction|outcomes>.<svg|png|json>`."""
    name, _, extension = file_name.rpartition(".")
    chart_name = _member(ChartName, name)
    chart_format = _member(ChartFormat, extension)
    if chart_name is None or chart_format is None:
        return _not_found()
    if grain is not None and _member(InsightsGrain, grain) is None:
        return problem(
            422,
            "Invalid request",
            "grain must be WEEK or MONTH",
            errors=[{"field": "grain", "message": "must be WEEK or MONTH"}],
        )
    return await _proxy(
        request,
        program_id,
        f"/internal/feedback/programs/{{}}/charts/{chart_name.value}.{chart_format.value}",
        chart_format.value,
        {"grain": grain},
    )


@router.get("/programs/{program_id}/insights.csv", responses={401: {}, 404: {}})
async def insights_csv(request: Request, program_id: str) -> Response:
    """One row per figure: section, figure, subgroup, period, value, n, low, high, suppressed."""
    return await _export(request, program_id, ExportFormat.CSV)


@router.get("/programs/{program_id}/insights.json", responses={401: {}, 404: {}})
async def insights_json(request: Request, program_id: str) -> Response:
    """The insights and their monthly series, as `Program.insights` answers them."""
    return await _export(request, program_id, ExportFormat.JSON)


async def _export(request: Request, program_id: str, export_format: ExportFormat) -> Response:
    return await _proxy(
        request,
        program_id,
        f"/internal/feedback/programs/{{}}/insights.{export_format.value}",
        export_format.value,
        {},
        attachment=f"insights.{export_format.value}",
    )


async def _proxy(
    request: Request,
    program_id: str,
    template: str,
    extension: str,
    params: dict[str, str | None],
    *,
    attachment: str | None = None,
) -> Response:
    """`template`: feedback's path, `{}` the program's key (the rest is ours: a known name
    and extension); `attachment`: the file name to download it as."""
    caller = await api_key_caller(request)
    if caller is None:
        return problem(
            401,
            "Unauthorized",
            "send Authorization: Bearer <API key> with a valid key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    key = decode_id("Program", program_id)
    if key is None or not caller.is_tenant_admin:
        return _not_found()
    feedback: ServiceClient = request.app.state.upstreams.feedback
    try:
        answer = await feedback.fetch("GET", template, caller, keys=(key,), params=params)
    except UpstreamUnavailable as exc:
        log.error("insights file for tenant %s: %r", caller.tenant_id, exc)
        return _unavailable()
    if answer.status_code == 404:
        return _not_found()
    if answer.status_code >= 500 or answer.status_code in (401, 403):
        # Our own service token refused, or feedback failing: nothing the caller can fix.
        log.error("feedback answered %s: %s", answer.status_code, answer.text[:2000])
        return _unavailable()
    if answer.status_code >= 400:
        return Response(answer.content, status_code=answer.status_code, media_type=PROBLEM_JSON)
    headers = dict(_PRIVATE)
    if extension == ChartFormat.SVG:
        headers |= _SVG_POLICY
    if attachment:
        headers["Content-Disposition"] = _disposition(program_id, attachment)
    return Response(answer.content, media_type=CONTENT_TYPES[extension], headers=headers)


def _member(enum: type[E], value: str) -> E | None:
    try:
        return enum(value)
    except ValueError:
        return None


def _disposition(program_id: str, file_name: str) -> str:
    # Only characters of our own making: the id decoded (so base64url), the name ours.
    return f'attachment; filename="program-{program_id}-{file_name}"'


def _not_found() -> JSONResponse:
    return problem(404, "Not Found", "no such program or chart")


def _unavailable() -> JSONResponse:
    return problem(
        503,
        "Service Unavailable",
        "feedback is unavailable; retry shortly",
        headers={"Retry-After": "5"},
    )
