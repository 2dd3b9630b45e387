"""POST /imports/people: a snapshot of the whole org (CSV or JSON) uploaded with an API key,
reconciled by profiles; the answer is its report, or a problem naming what is wrong.

The gateway authenticates, bounds the upload (size, time to arrive, JSON nesting) and forwards
it as it came (profiles parses and validates: one bad row and nothing is applied)."""

import logging
from typing import Annotated

import httpx
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from runtime.bodies import BodyTooSlow, JsonTooDeep, check_json_depth, read_within
from runtime.problems import PROBLEM_JSON, problem
from service_auth.tokens import Caller

from gateway.adapters.upstream import ServiceClient, UpstreamUnavailable
from gateway.entrypoints.authentication import api_key_caller

log = logging.getLogger(__name__)
router = APIRouter(tags=["imports"])

MAX_IMPORT_BYTES = 50 * 1024 * 1024
# Fifty megabytes at well under a megabit a second; a client trickling its upload slower holds
# the request no longer than this (408).
IMPORT_READ_TIMEOUT_S = 120.0
# A 50,000-person org is parsed, diffed and written in well under a minute; the usual upstream
# timeout (a few seconds, for GraphQL) would cut that short.
IMPORT_TIMEOUT_S = 300.0
_MEDIA_TYPES = ("text/csv", "application/json")


@router.post(
    "/imports/people",
    responses={400: {}, 401: {}, 408: {}, 413: {}, 415: {}, 422: {}, 503: {}},
)
async def import_people(
    request: Request,
    terminate_missing: Annotated[bool, Query(alias="terminateMissing")] = False,
    dry_run: Annotated[bool, Query(alias="dryRun")] = False,
) -> Response:
    """Query: terminateMissing (terminate people the snapshot does not list; default false:
    they are only reported), dryRun (report what would change, change nothing)."""
    caller = await api_key_caller(request)
    if caller is None:
        return problem(
            401,
            "Unauthorized",
            "send Authorization: Bearer <API key> with a valid key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in _MEDIA_TYPES:
        return problem(
            415,
            "Unsupported Media Type",
            f"content-type {media_type or '(none)'!r}: send text/csv or application/json",
        )
    try:
        body = await read_within(request, MAX_IMPORT_BYTES, timeout_s=IMPORT_READ_TIMEOUT_S)
    except BodyTooSlow as exc:
        return problem(408, "Request Timeout", str(exc))
    if body is None:
        return problem(
            413, "Payload too large", f"an import may be at most {MAX_IMPORT_BYTES} bytes"
        )
    if media_type == "application/json":
        # Profiles parses it; nothing nested past the limit reaches a parser.
        try:
            check_json_depth(body)
        except JsonTooDeep as exc:
            return problem(400, "Malformed JSON", f"body: {exc}")
    try:
        answer = await _forward(
            request,
            caller,
            body,
            media_type,
            {"terminateMissing": _flag(terminate_missing), "dryRun": _flag(dry_run)},
        )
    except UpstreamUnavailable as exc:
        log.error("import for tenant %s: profiles unreachable: %r", caller.tenant_id, exc)
        return _unavailable()
    if answer.status_code >= 500 or answer.status_code in (401, 403):
        # Our own service token refused, or profiles failing: nothing the caller can fix.
        log.error("import: profiles answered %s: %s", answer.status_code, answer.text[:2000])
        return _unavailable()
    return Response(
        answer.content,
        status_code=answer.status_code,
        media_type=PROBLEM_JSON if answer.status_code >= 400 else "application/json",
    )


async def _forward(
    request: Request, caller: Caller, body: bytes, media_type: str, params: dict[str, str]
) -> httpx.Response:
    """The upload, as it came, to profiles with a service token for this caller."""
    profiles: ServiceClient = request.app.state.upstreams.profiles
    return await profiles.send(
        "POST",
        "/internal/imports",
        caller,
        content=body,
        content_type=media_type,
        params=params,
        timeout_s=IMPORT_TIMEOUT_S,
    )


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _unavailable() -> JSONResponse:
    return problem(
        503,
        "Service Unavailable",
        "profiles is unavailable; retry later (importing the same snapshot again applies"
        " only what is not there yet)",
        headers={"Retry-After": "30"},
    )
