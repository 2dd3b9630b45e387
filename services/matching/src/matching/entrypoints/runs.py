"""Internal REST API of matching's runs: asking for one (or a dry run), its state, the pairs
it proposed, and what matching knows of a program's pool. Scoped to the caller's tenant."""

from contracts.internal.matching import CohortView, MatchRunView, ProposedPair
from contracts.pages import DEFAULT_PAGE
from fastapi import APIRouter, BackgroundTasks
from messaging.outbox import utcnow
from runtime.error_answers import refused_with
from runtime.pages import After, First, decode_cursor, encode_cursor
from runtime.refusals import not_found
from runtime.units import UowDep
from service_auth.dependencies import CallerDep

from matching.adapters.runs import Runs
from matching.entrypoints.dependencies import MatchingDep
from matching.entrypoints.schemas import ProposedPairs, RunRequest
from matching.service_layer.pools import known_program, load_cohort
from matching.service_layer.runs import run_view, start_run

router = APIRouter(prefix="/internal/matching", tags=["matching"])


@router.post(
    "/programs/{program_id}/runs",
    status_code=202,
    response_model=MatchRunView,
    responses=refused_with(409),
)
async def run_matching(
    program_id: str,
    body: RunRequest,
    caller: CallerDep,
    uow: UowDep,
    matching: MatchingDep,
    after_commit: BackgroundTasks,
) -> MatchRunView:
    run = await start_run(
        uow, caller.tenant_id, program_id, dry_run=body.dry_run, now=utcnow(), policy=body.policy
    )
    # Wakes the run worker once the run is committed (tasks run after the answer is sent).
    after_commit.add_task(matching.runs_waiting.set)
    return run_view(run)


@router.get("/runs/{run_id}", response_model=MatchRunView)
async def match_run(run_id: str, caller: CallerDep, uow: UowDep) -> MatchRunView:
    run = await Runs(uow.session, caller.tenant_id).get(run_id)
    if run is None:
        raise not_found("match run")
    return run_view(run)


@router.get("/runs/{run_id}/pairs", response_model=ProposedPairs)
async def run_pairs(
    run_id: str, caller: CallerDep, uow: UowDep, first: First = DEFAULT_PAGE, after: After = None
) -> ProposedPairs:
    runs = Runs(uow.session, caller.tenant_id)
    if await runs.get(run_id) is None:
        raise not_found("match run")
    (position,) = decode_cursor(after, int) if after else (0,)
    pairs, more = await runs.pairs(run_id, first, position)
    return ProposedPairs(
        items=[
            ProposedPair(
                mentor_id=p.mentor_id,
                mentee_ids=list(p.mentee_ids),
                score=p.score,
                reasons=list(p.reasons),
                cursor=encode_cursor(p.position),
            )
            for p in pairs
        ],
        has_next_page=more,
    )


@router.get("/programs/{program_id}/cohort", response_model=CohortView)
async def cohort(program_id: str, caller: CallerDep, uow: UowDep) -> CohortView:
    program = await known_program(uow, caller.tenant_id, program_id)
    pool = await load_cohort(uow, caller.tenant_id, program)
    return CohortView(
        program_id=program_id,
        status=program.status.value,
        mentors=len(pool.mentors),
        mentees=len(pool.mentees),
        unknown_people=len(pool.unknown_people),
    )
