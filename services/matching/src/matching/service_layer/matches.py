"""A match's use cases: propose one, and the decisions people make about it through the API.
Each asks the domain's lifecycle (`domain.lifecycle`) what changes, then `record`s it: the
match and its events, written in the caller's transaction."""

import uuid
from datetime import datetime, timedelta

from contracts.matches import MatchOrigin
from contracts.programs import ProgramKind
from messaging.outbox import UnitOfWork
from runtime.refusals import not_found

from matching.adapters.matches import Matches
from matching.domain import lifecycle
from matching.domain.lifecycle import Actor, Match, Outcome
from matching.domain.model import Reason


async def record(uow: UnitOfWork, tenant_id: str, outcome: Outcome) -> Match:
    """Persists what a transition did and writes each change's event to the outbox."""
    await Matches(uow.session, tenant_id).save(outcome)
    for event in outcome.events():
        await uow.emit(event, tenant_id=tenant_id)
    return outcome.match


async def propose(
    uow: UnitOfWork,
    tenant_id: str,
    *,
    program_id: str,
    kind: ProgramKind,
    mentor_id: str,
    mentee_id: str,
    score: float,
    reasons: tuple[Reason, ...],
    origin: MatchOrigin,
    now: datetime,
    expires_after: timedelta,
    run_id: str | None = None,
    consent_needed: bool = True,
) -> Match:
    """A new PROPOSED match (ACCEPTED at once when the program needs no consent for what a
    match run proposes), with its events."""
    outcome = lifecycle.propose(
        match_id=f"mt_{uuid.uuid4().hex}",
        program_id=program_id,
        kind=kind,
        mentor_id=mentor_id,
        mentee_id=mentee_id,
        score=score,
        reasons=reasons,
        origin=origin,
        now=now,
        expires_after=expires_after,
        run_id=run_id,
        consent_needed=consent_needed,
    )
    return await record(uow, tenant_id, outcome)


async def _locked(uow: UnitOfWork, tenant_id: str, match_id: str) -> Match:
    match = await Matches(uow.session, tenant_id).get(match_id, lock=True)
    if match is None:
        raise not_found("match")
    return match


async def accept(
    uow: UnitOfWork, tenant_id: str, match_id: str, person_id: str | None, now: datetime
) -> Match:
    """One participant accepts; ACCEPTED (and `match.accepted`) once both have. Accepting
    twice changes nothing."""
    match = await _locked(uow, tenant_id, match_id)
    return await record(uow, tenant_id, lifecycle.accept(match, Actor.named(person_id), now))


async def decline(
    uow: UnitOfWork,
    tenant_id: str,
    match_id: str,
    person_id: str | None,
    reason: str | None,
    now: datetime,
) -> Match:
    """A participant says no to a proposal: DECLINED, and the pair is never proposed again."""
    match = await _locked(uow, tenant_id, match_id)
    outcome = lifecycle.decline(match, Actor.named(person_id), reason, now)
    return await record(uow, tenant_id, outcome)


async def end(
    uow: UnitOfWork,
    tenant_id: str,
    match_id: str,
    person_id: str | None,
    reason: str | None,
    now: datetime,
) -> Match:
    """An open match ends early, with a reason (a participant, or an admin: no personId)."""
    match = await _locked(uow, tenant_id, match_id)
    return await record(uow, tenant_id, lifecycle.end(match, Actor.named(person_id), reason, now))
