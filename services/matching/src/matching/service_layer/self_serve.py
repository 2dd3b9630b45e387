"""Self-serve: a mentee's ranked shortlist (popular mentors damped by the requests already
waiting for them), choosing one of them, and offering the next best when a proposal lapses."""

from datetime import datetime, timedelta

from contracts.matches import MatchOrigin
from contracts.problems import Code
from contracts.programs import ProgramKind
from messaging.outbox import UnitOfWork
from runtime.refusals import Refused, invalid

from matching.domain.lifecycle import Match
from matching.domain.model import Suggestion
from matching.domain.rules import why_not
from matching.domain.suggestions import suggest_mentors
from matching.service_layer.cohorts import Cohort
from matching.service_layer.matches import propose
from matching.service_layer.pools import known_program, load_cohort, require_matchable

MAX_SUGGESTIONS = 20


async def _cohort(uow: UnitOfWork, tenant_id: str, program_id: str) -> tuple[Cohort, ProgramKind]:
    program = await known_program(uow, tenant_id, program_id)
    require_matchable(program)
    cohort = await load_cohort(uow, tenant_id, program)
    if cohort.rules.policy.kind is ProgramKind.PEER:
        raise invalid("programId", "a PEER program pairs peers; it has no mentors")
    return cohort, program.kind


def _suggestions(cohort: Cohort, mentee_id: str, limit: int) -> tuple[Suggestion, ...]:
    mentee = cohort.mentee(mentee_id)
    if mentee is None:
        return ()
    return suggest_mentors(
        mentee,
        cohort.mentors,
        cohort.rules.policy,
        blocked_pairs=cohort.blocked_pairs,
        limit=limit,
        reference_day=cohort.rules.reference_day,
    )


async def suggest(
    uow: UnitOfWork, tenant_id: str, program_id: str, mentee_id: str, limit: int
) -> tuple[Suggestion, ...]:
    """Up to `limit` mentors for the mentee, best first; empty when the mentee is not
    enrolled, already holds every match they want, or nobody fits the rules. The API
    bounds `limit` by MAX_SUGGESTIONS."""
    cohort, _ = await _cohort(uow, tenant_id, program_id)
    return _suggestions(cohort, mentee_id, limit)


async def choose(
    uow: UnitOfWork,
    tenant_id: str,
    program_id: str,
    mentee_id: str,
    mentor_id: str,
    *,
    now: datetime,
    expires_after: timedelta,
) -> Match:
    """The mentee asks this mentor: a PROPOSED match, if the hard rules allow the pair."""
    cohort, kind = await _cohort(uow, tenant_id, program_id)
    mentee = cohort.mentee(mentee_id)
    if mentee is None:
        raise Refused(
            Code.INELIGIBLE,
            "menteeId",
            "not an enrolled mentee of this program waiting for a match",
        )
    mentor = cohort.mentor(mentor_id)
    if mentor is None:
        raise Refused(Code.INELIGIBLE, "mentorId", "not an enrolled mentor of this program")
    if mentor.capacity <= 0:
        raise Refused(Code.CAPACITY_REACHED, "mentorId", "this mentor has no open place")
    broken = why_not(mentee, mentor, cohort.rules.policy, cohort.blocked_pairs)
    if broken:
        raise Refused(Code.INELIGIBLE, "mentorId", "; ".join(broken))
    ranked = _suggestions(cohort, mentee_id, len(cohort.mentors) or 1)
    found = next((s for s in ranked if s.mentor_id == mentor_id), None)
    return await propose(
        uow,
        tenant_id,
        program_id=program_id,
        kind=kind,
        mentor_id=mentor_id,
        mentee_id=mentee_id,
        score=found.score if found else 0.0,
        reasons=found.reasons if found else (),
        origin=MatchOrigin.SELF_SERVE,
        now=now,
        expires_after=expires_after,
    )


async def offer_next_best(
    uow: UnitOfWork,
    tenant_id: str,
    program_id: str,
    mentee_id: str,
    *,
    now: datetime,
    expires_after: timedelta,
) -> Match | None:
    """The best mentor still allowed for the mentee, proposed (REOFFER); None when there is
    none, the mentee needs no more, or the program is not matched any more."""
    try:
        cohort, kind = await _cohort(uow, tenant_id, program_id)
    except Refused:
        return None
    best = _suggestions(cohort, mentee_id, 1)
    if not best:
        return None
    return await propose(
        uow,
        tenant_id,
        program_id=program_id,
        kind=kind,
        mentor_id=best[0].mentor_id,
        mentee_id=mentee_id,
        score=best[0].score,
        reasons=best[0].reasons,
        origin=MatchOrigin.REOFFER,
        now=now,
        expires_after=expires_after,
    )
