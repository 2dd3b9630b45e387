"""POST /internal/imports: a snapshot of the whole org (CSV or JSON), reconciled with what
profiles holds. Validation is all or nothing: one bad row and nothing is applied."""

import asyncio
from typing import Annotated

from contracts.base import ContractModel
from contracts.problems import FieldError
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from runtime.bodies import read_within
from runtime.problems import describe, problem
from service_auth.dependencies import CallerDep

from profiles.domain.org_snapshot import InvalidSnapshot, OrgSnapshot, parse_csv, parse_json
from profiles.service_layer.imports import ImportReport, import_snapshot

router = APIRouter(prefix="/internal/imports", tags=["imports"])

# The gateway takes uploads up to 50 MiB; this only bounds what one call may make us hold.
MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
# A file with a wrong column can be wrong on every row: the first errors say enough.
MAX_ERRORS_LISTED = 100
_PARSERS = {"text/csv": parse_csv, "application/json": parse_json}


class ImportReportPublic(ContractModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    terminated: int
    missing: list[str]
    unknown_managers: list[str]
    dry_run: bool
    terminate_missing: bool

    @classmethod
    def of(cls, report: ImportReport) -> "ImportReportPublic":
        return cls.model_validate(report, from_attributes=True)


@router.post(
    "",
    response_model=ImportReportPublic,
    response_model_by_alias=True,
    responses={413: {}, 415: {}, 422: {}},
)
async def import_people(
    caller: CallerDep,
    request: Request,
    terminate_missing: Annotated[bool, Query(alias="terminateMissing")] = False,
    dry_run: Annotated[bool, Query(alias="dryRun")] = False,
) -> ImportReportPublic | JSONResponse:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    parse = _PARSERS.get(media_type)
    if parse is None:
        return problem(
            415,
            "Unsupported Media Type",
            f"content-type {media_type or '(none)'!r}: send text/csv or application/json",
        )
    body = await read_within(request, MAX_SNAPSHOT_BYTES)
    if body is None:
        return problem(
            413, "Payload too large", f"a snapshot may be at most {MAX_SNAPSHOT_BYTES} bytes"
        )
    try:
        text = body.decode("utf-8-sig")  # spreadsheet exports often start with a BOM
    except UnicodeDecodeError as exc:
        return _invalid((FieldError(field="body", message=f"not UTF-8 text ({exc})"),))
    try:
        snapshot: OrgSnapshot = await asyncio.to_thread(parse, text)
        report = await import_snapshot(
            request.app.state.process.uow,
            caller.tenant_id,
            snapshot,
            terminate_missing=terminate_missing,
            dry_run=dry_run,
        )
    except InvalidSnapshot as exc:
        return _invalid(exc.errors)
    return ImportReportPublic.of(report)


def _invalid(errors: tuple[FieldError, ...]) -> JSONResponse:
    listed = [e.model_dump() for e in errors[:MAX_ERRORS_LISTED]]
    detail = describe(listed)
    if len(errors) > len(listed):
        detail += f" (and {len(errors) - len(listed)} more; the first {len(listed)} are listed)"
    return problem(422, "Invalid snapshot", f"nothing was imported: {detail}", listed)
