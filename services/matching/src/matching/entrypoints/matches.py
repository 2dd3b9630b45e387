"""Internal REST API of matching's matches: lists, one match, a mentee's suggestions and
choice, and the decisions on a match. Scoped to the caller's tenant; a refusal is answered as
problem+json naming the field, with a `code` (the runtime's handler)."""

from datetime import datetime
from typing import Annotated

from contracts.internal.matching import MentorSuggestion, PersonMatches
from contracts.matches import MatchSnapshot, MatchStatus
from contracts.pages import DEFAULT_PAGE, Connection, Edge, Items
from fastapi import APIRouter, Query
from messaging.outbox import utcnow
from runtime.error_answers import refused_with
from runtime.pages import After, First, decode_cursor, encode_cursor
from runtime.refusals import invalid, not_found
from runtime.units import UowDep
from service_auth.dependencies import CallerDep

from matching.adapters.matches import Matches
from matching.domain.lifecycle import reason_snapshot
from matching.entrypoints.dependencies import MatchingDep
from matching.entrypoints.schemas import (
    ChoiceRequest,
    DecisionRequest,
    MatchesRequest,
    PeopleMatchesRequest,
)
from matching.service_layer import matches as decisions
from matching.service_layer.pools import known_program
from matching.service_layer.self_serve import MAX_SUGGESTIONS, choose, suggest

router = APIRouter(prefix="/internal/matching", tags=["matching"])

Statuses = Annotated[list[str] | None, Query()]


def _statuses(status: list[str] | None) -> list[MatchStatus]:
    known = {s.value: s for s in MatchStatus}
    unknown = [s for s in status or [] if s not in known]
    if unknown:
        raise invalid("status", f"unknown status {unknown[0]}; one of {', '.join(known)}")
    return [known[s] for s in status or []]


@router.get("/programs/{program_id}/matches", response_model=Connection[Edge[MatchSnapshot]])
async def program_matches(
    program_id: str,
    caller: CallerDep,
    uow: UowDep,
    status: Statuses = None,
    first: First = DEFAULT_PAGE,
    after: After = None,
) -> Connection[Edge[MatchSnapshot]]:
    await known_program(uow, caller.tenant_id, program_id)
    key = decode_cursor(after, datetime, str) if after else None
    page = await Matches(uow.session, caller.tenant_id).page_of_program(
        program_id, _statuses(status), first, (key[0], key[1]) if key else None
    )
    return Connection[Edge[MatchSnapshot]](
        edges=[
            Edge[MatchSnapshot](node=m.snapshot(), cursor=encode_cursor(m.proposed_at, m.id))
            for m in page.items
        ],
        has_next_page=page.has_more,
        total_count=page.total_count,
    )


@router.get("/people/{person_id}/matches", response_model=Items[MatchSnapshot])
async def person_matches(
    person_id: str, caller: CallerDep, uow: UowDep, status: Statuses = None
) -> Items[MatchSnapshot]:
    found = await Matches(uow.session, caller.tenant_id).of_person(person_id, _statuses(status))
    return Items[MatchSnapshot](items=[m.snapshot() for m in found])


@router.post("/people/matches/batch", response_model=Items[PersonMatches])
async def people_matches(
    body: PeopleMatchesRequest, caller: CallerDep, uow: UowDep
) -> Items[PersonMatches]:
    """Each person's matches (as `/people/{id}/matches`), for many people in one call."""
    found = await Matches(uow.session, caller.tenant_id).of_people(
        body.person_ids, _statuses(body.status)
    )
    return Items[PersonMatches](
        items=[
            PersonMatches(person_id=person_id, items=[m.snapshot() for m in matches])
            for person_id, matches in found.items()
        ]
    )


@router.post("/matches/batch", response_model=Items[MatchSnapshot])
async def matches(body: MatchesRequest, caller: CallerDep, uow: UowDep) -> Items[MatchSnapshot]:
    """The matches of `ids` (as `/matches/{id}`, unknown ones left out), in one call."""
    found = await Matches(uow.session, caller.tenant_id).many(body.ids)
    return Items[MatchSnapshot](items=[m.snapshot() for m in found])


@router.get("/matches/{match_id}", response_model=MatchSnapshot)
async def match(match_id: str, caller: CallerDep, uow: UowDep) -> MatchSnapshot:
    found = await Matches(uow.session, caller.tenant_id).get(match_id)
    if found is None:
        raise not_found("match")
    return found.snapshot()


@router.get(
    "/programs/{program_id}/suggestions",
    response_model=Items[MentorSuggestion],
    responses=refused_with(409),
)
async def suggestions(
    program_id: str,
    caller: CallerDep,
    uow: UowDep,
    mentee_id: Annotated[str, Query(alias="menteeId", min_length=1)],
    first: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = 5,
) -> Items[MentorSuggestion]:
    found = await suggest(uow, caller.tenant_id, program_id, mentee_id, first)
    return Items[MentorSuggestion](
        items=[
            MentorSuggestion(
                mentor_id=s.mentor_id,
                score=round(s.score, 4),
                rank_score=s.rank_score,
                reasons=[reason_snapshot(r) for r in s.reasons],
            )
            for s in found
        ]
    )


@router.post(
    "/programs/{program_id}/choices",
    status_code=201,
    response_model=MatchSnapshot,
    responses=refused_with(409),
)
async def choose_mentor(
    program_id: str, body: ChoiceRequest, caller: CallerDep, uow: UowDep, matching: MatchingDep
) -> MatchSnapshot:
    chosen = await choose(
        uow,
        caller.tenant_id,
        program_id,
        body.mentee_id,
        body.mentor_id,
        now=utcnow(),
        expires_after=matching.run_settings.proposal_ttl,
    )
    return chosen.snapshot()


@router.post(
    "/matches/{match_id}/accept", response_model=MatchSnapshot, responses=refused_with(409)
)
async def accept(
    match_id: str, body: DecisionRequest, caller: CallerDep, uow: UowDep
) -> MatchSnapshot:
    decided = await decisions.accept(uow, caller.tenant_id, match_id, body.person_id, utcnow())
    return decided.snapshot()


@router.post(
    "/matches/{match_id}/decline", response_model=MatchSnapshot, responses=refused_with(409)
)
async def decline(
    match_id: str, body: DecisionRequest, caller: CallerDep, uow: UowDep
) -> MatchSnapshot:
    decided = await decisions.decline(
        uow, caller.tenant_id, match_id, body.person_id, body.reason, utcnow()
    )
    return decided.snapshot()


@router.post("/matches/{match_id}/end", response_model=MatchSnapshot, responses=refused_with(409))
async def end(
    match_id: str, body: DecisionRequest, caller: CallerDep, uow: UowDep
) -> MatchSnapshot:
    ended = await decisions.end(
        uow, caller.tenant_id, match_id, body.person_id, body.reason, utcnow()
    )
    return ended.snapshot()
