"""Internal REST API of matching: runs, matches, suggestions and decisions, each scoped to
the caller's tenant. Refusals are problem+json naming the field, with a `code`."""

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

from contracts.matches import MatchSnapshot
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from messaging.outbox import UnitOfWork, utcnow
from service_auth.dependencies import CallerDep

from matching.adapters.repository import Matches, Runs
from matching.adapters.tables import MatchRow
from matching.bootstrap import Matching
from matching.entrypoints.schemas import (
    ChoiceRequest,
    CohortOut,
    DecisionRequest,
    MatchEdge,
    MatchList,
    MatchPage,
    PairOut,
    PairPage,
    RunOut,
    RunRequest,
    SuggestionList,
    SuggestionOut,
)
from matching.service_layer import matches as lifecycle
from matching.service_layer.matches import snapshot
from matching.service_layer.pools import known_program, load_cohort
from matching.service_layer.refusals import Code, Refused, not_found
from matching.service_layer.runs import start_run
from matching.service_layer.self_serve import choose, suggest

router = APIRouter(prefix="/internal/matching", tags=["matching"])

T = TypeVar("T")
MAX_PAGE = 100
STATUSES = ("PROPOSED", "ACCEPTED", "DECLINED", "ACTIVE", "COMPLETED", "ENDED")


def _matching(request: Request) -> Matching:
    found: Matching = request.app.state.matching
    return found


async def _transact(
    request: Request, use_case: Callable[[UnitOfWork], Awaitable[T]], *, write: bool
) -> T:
    """One use case in one transaction: committed whole, or (refused) not at all."""
    async with _matching(request).process.uow() as uow:
        result = await use_case(uow)
        if write:
            await uow.commit()
    return result


def _statuses(status: list[str] | None) -> list[str]:
    unknown = [s for s in status or [] if s not in STATUSES]
    if unknown:
        raise Refused(Code.INVALID, "status", f"unknown status {unknown[0]}; one of {STATUSES}")
    return list(status or [])


def _page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise Refused(Code.INVALID, "first", f"between 1 and {MAX_PAGE}")
    return first


def _cursor(proposed_at: datetime, match_id: str) -> str:
    return base64.urlsafe_b64encode(f"{proposed_at.isoformat()}|{match_id}".encode()).decode()


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        at, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(at), key
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Refused(Code.INVALID, "after", "not a cursor this list gave") from exc


@router.post("/programs/{program_id}/runs", status_code=202, response_model=RunOut)
async def run_matching(
    program_id: str, body: RunRequest, caller: CallerDep, request: Request
) -> RunOut | JSONResponse:
    run = await _transact(
        request,
        lambda uow: start_run(
            uow,
            caller.tenant_id,
            program_id,
            dry_run=body.dry_run,
            now=utcnow(),
            policy=body.policy.model_dump(mode="json", by_alias=True) if body.policy else None,
        ),
        write=True,
    )
    _matching(request).runs_waiting.set()
    return RunOut.of(run)


@router.get("/runs/{run_id}", response_model=RunOut)
async def match_run(run_id: str, caller: CallerDep, request: Request) -> RunOut | JSONResponse:
    async def get(uow: UnitOfWork) -> RunOut:
        run = await Runs(uow.session, caller.tenant_id).get(run_id)
        if run is None:
            raise not_found("match run")
        return RunOut.of(run)

    return await _transact(request, get, write=False)


@router.get("/runs/{run_id}/pairs", response_model=PairPage)
async def run_pairs(
    run_id: str,
    caller: CallerDep,
    request: Request,
    first: int = 20,
    after: str | None = None,
) -> PairPage | JSONResponse:
    async def get(uow: UnitOfWork) -> PairPage:
        runs = Runs(uow.session, caller.tenant_id)
        if await runs.get(run_id) is None:
            raise not_found("match run")
        if after is not None and not after.isdigit():
            raise Refused(Code.INVALID, "after", "not a cursor this list gave")
        pairs, more = await runs.pairs(run_id, _page_size(first), int(after or 0))
        return PairPage(items=[PairOut.of(p) for p in pairs], has_next_page=more)

    return await _transact(request, get, write=False)


@router.get("/programs/{program_id}/cohort", response_model=CohortOut)
async def cohort(program_id: str, caller: CallerDep, request: Request) -> CohortOut | JSONResponse:
    async def get(uow: UnitOfWork) -> CohortOut:
        program = await known_program(uow, caller.tenant_id, program_id)
        pool = await load_cohort(uow, caller.tenant_id, program)
        return CohortOut(
            program_id=program_id,
            status=program.status,
            mentors=len(pool.mentors),
            mentees=len(pool.mentees),
            unknown_people=len(pool.unknown_people),
        )

    return await _transact(request, get, write=False)


@router.get("/programs/{program_id}/matches", response_model=MatchPage)
async def program_matches(
    program_id: str,
    caller: CallerDep,
    request: Request,
    status: Annotated[list[str] | None, Query()] = None,
    first: int = 20,
    after: str | None = None,
) -> MatchPage | JSONResponse:
    async def get(uow: UnitOfWork) -> MatchPage:
        await known_program(uow, caller.tenant_id, program_id)
        rows, total, more = await Matches(uow.session, caller.tenant_id).page_of_program(
            program_id, _statuses(status), _page_size(first), _after(after)
        )
        return MatchPage(
            edges=[MatchEdge(node=snapshot(r), cursor=_cursor(r.proposed_at, r.id)) for r in rows],
            has_next_page=more,
            total_count=total,
        )

    return await _transact(request, get, write=False)


@router.get("/people/{person_id}/matches", response_model=MatchList)
async def person_matches(
    person_id: str,
    caller: CallerDep,
    request: Request,
    status: Annotated[list[str] | None, Query()] = None,
) -> MatchList | JSONResponse:
    async def get(uow: UnitOfWork) -> MatchList:
        rows = await Matches(uow.session, caller.tenant_id).of_person(person_id, _statuses(status))
        return MatchList(items=[snapshot(r) for r in rows])

    return await _transact(request, get, write=False)


@router.get("/matches/{match_id}", response_model=MatchSnapshot)
async def match(match_id: str, caller: CallerDep, request: Request) -> MatchSnapshot | JSONResponse:
    async def get(uow: UnitOfWork) -> MatchSnapshot:
        row = await Matches(uow.session, caller.tenant_id).get(match_id)
        if row is None:
            raise not_found("match")
        return snapshot(row)

    return await _transact(request, get, write=False)


@router.get("/programs/{program_id}/suggestions", response_model=SuggestionList)
async def suggestions(
    program_id: str,
    caller: CallerDep,
    request: Request,
    mentee_id: Annotated[str, Query(alias="menteeId", min_length=1)],
    first: int = 5,
) -> SuggestionList | JSONResponse:
    found = await _transact(
        request,
        lambda uow: suggest(uow, caller.tenant_id, program_id, mentee_id, first),
        write=False,
    )
    return SuggestionList(items=[SuggestionOut.of(s) for s in found])


@router.post("/programs/{program_id}/choices", status_code=201, response_model=MatchSnapshot)
async def choose_mentor(
    program_id: str, body: ChoiceRequest, caller: CallerDep, request: Request
) -> MatchSnapshot | JSONResponse:
    ttl = _matching(request).run_settings.proposal_ttl
    row = await _transact(
        request,
        lambda uow: choose(
            uow,
            caller.tenant_id,
            program_id,
            body.mentee_id,
            body.mentor_id,
            now=utcnow(),
            expires_after=ttl,
        ),
        write=True,
    )
    return snapshot(row)


@router.post("/matches/{match_id}/accept", response_model=MatchSnapshot)
async def accept(
    match_id: str, body: DecisionRequest, caller: CallerDep, request: Request
) -> MatchSnapshot | JSONResponse:
    return await _decide(
        request,
        lambda uow: lifecycle.accept(uow, caller.tenant_id, match_id, body.person_id, utcnow()),
    )


@router.post("/matches/{match_id}/decline", response_model=MatchSnapshot)
async def decline(
    match_id: str, body: DecisionRequest, caller: CallerDep, request: Request
) -> MatchSnapshot | JSONResponse:
    return await _decide(
        request,
        lambda uow: lifecycle.decline(
            uow, caller.tenant_id, match_id, body.person_id, body.reason, utcnow()
        ),
    )


@router.post("/matches/{match_id}/end", response_model=MatchSnapshot)
async def end(
    match_id: str, body: DecisionRequest, caller: CallerDep, request: Request
) -> MatchSnapshot | JSONResponse:
    return await _decide(
        request,
        lambda uow: lifecycle.end(
            uow, caller.tenant_id, match_id, body.person_id, body.reason, utcnow()
        ),
    )


async def _decide(
    request: Request, use_case: Callable[[UnitOfWork], Awaitable[MatchRow]]
) -> MatchSnapshot | JSONResponse:
    return snapshot(await _transact(request, use_case, write=True))
