"""What feedback keeps of matches and sessions, and what follows: requests after a held
session and at a match's close, the figures, and early warning after a missed session."""

from datetime import datetime

from contracts.matches import (
    MatchAccepted,
    MatchActivated,
    MatchCompleted,
    MatchDeclined,
    MatchEnded,
    MatchProposed,
    MatchReviewFlagged,
    MatchSnapshot,
    MatchStatus,
)
from contracts.sessions import (
    SessionCancelled,
    SessionCompleted,
    SessionNoShow,
    SessionRescheduled,
    SessionScheduled,
    SessionSnapshot,
    SessionStatus,
)
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow

from feedback.adapters import figures_store
from feedback.adapters.facts_store import match_of, session_of
from feedback.adapters.figures_store import dialect_insert
from feedback.adapters.tables import KnownMatch, KnownSession, SessionMatch
from feedback.domain.facts import match_fact, session_fact
from feedback.domain.periods import utc
from feedback.domain.request_schedule import (
    CLOSED_MATCH,
    HeldSession,
    MatchTimeline,
    RequestRules,
    after_session,
    close_out,
)
from feedback.service_layer.requests import issue, people_statuses
from feedback.service_layer.warnings import evaluate


def timeline(row: KnownMatch) -> MatchTimeline:
    return MatchTimeline(
        match_id=row.match_id,
        program_id=row.program_id,
        participant_ids=[row.mentor_id, *row.mentee_ids],
        status=MatchStatus(row.status),
        started_at=row.accepted_at,
        closed_at=row.closed_at,
    )


async def upsert_match(
    uow: UnitOfWork, tenant_id: str, snapshot: MatchSnapshot, rules: RequestRules
) -> None:
    row = await uow.session.get(KnownMatch, (tenant_id, snapshot.id))
    previous = None if row is None else match_of(row)
    activated_at = None if row is None else row.activated_at
    if activated_at is None and snapshot.status is MatchStatus.ACTIVE:
        # The first held session made it ACTIVE (match.activated).
        activated_at = snapshot.last_session_at or snapshot.updated_at
    new = match_fact(snapshot, activated_at=activated_at)
    if not await figures_store.record(uow.session, tenant_id, new, previous):
        return
    was_closed = previous is not None and previous.status in CLOSED_MATCH
    if row is None:
        row = KnownMatch(
            tenant_id=tenant_id,
            match_id=snapshot.id,
            program_id=snapshot.program_id,
            status=snapshot.status.value,
            mentor_id=snapshot.mentor_id,
            revision=snapshot.revision,
        )
        uow.session.add(row)
    row.status, row.revision = snapshot.status.value, snapshot.revision
    row.mentor_id, row.mentee_ids = snapshot.mentor_id, list(snapshot.mentee_ids)
    row.accepted_at, row.activated_at, row.closed_at = (
        new.accepted_at,
        new.activated_at,
        new.closed_at,
    )
    if snapshot.last_session_at is not None and (
        row.last_held_at is None or utc(snapshot.last_session_at) > utc(row.last_held_at)
    ):
        row.last_held_at = snapshot.last_session_at
    if snapshot.status in CLOSED_MATCH and not was_closed:
        match = timeline(row)
        people = await people_statuses(uow, tenant_id, match.participant_ids)
        await issue(uow, tenant_id, close_out(match, people, rules), utcnow())


def match_handler(rules: RequestRules) -> Handler:
    async def on_match(uow: UnitOfWork, received: Received) -> None:
        event = received.event
        assert isinstance(
            event,
            MatchProposed
            | MatchAccepted
            | MatchDeclined
            | MatchActivated
            | MatchCompleted
            | MatchEnded
            | MatchReviewFlagged,
        )
        await upsert_match(uow, received.tenant_id, event.match, rules)

    return on_match


async def upsert_session(
    uow: UnitOfWork, tenant_id: str, snapshot: SessionSnapshot, rules: RequestRules
) -> bool:
    """True if this was news (a newer revision than kept)."""
    row = await uow.session.get(KnownSession, (tenant_id, snapshot.id))
    previous = None if row is None else session_of(row)
    if not await figures_store.record(uow.session, tenant_id, session_fact(snapshot), previous):
        return False
    if row is None:
        row = KnownSession(
            tenant_id=tenant_id,
            session_id=snapshot.id,
            program_id=snapshot.program_id,
            status=snapshot.status.value,
            starts_at=snapshot.starts_at,
            ends_at=snapshot.ends_at,
            revision=snapshot.revision,
        )
        uow.session.add(row)
        insert = await dialect_insert(uow.session)
        for match_id in dict.fromkeys(snapshot.match_ids):
            stmt = insert(SessionMatch.__table__).values(  # type: ignore[attr-defined]
                tenant_id=tenant_id, session_id=snapshot.id, match_id=match_id
            )
            await uow.session.execute(stmt.on_conflict_do_nothing())
    row.status, row.revision = snapshot.status.value, snapshot.revision
    row.starts_at, row.ends_at = snapshot.starts_at, snapshot.ends_at
    return True


async def _held(uow: UnitOfWork, tenant_id: str, snapshot: SessionSnapshot, at: datetime) -> None:
    for match_id in dict.fromkeys(snapshot.match_ids):
        match = await uow.session.get(KnownMatch, (tenant_id, match_id))
        if match is not None and (match.last_held_at is None or utc(match.last_held_at) < at):
            match.last_held_at, match.last_held_session_id = at, snapshot.id


def session_handler(rules: RequestRules) -> Handler:
    async def on_session(uow: UnitOfWork, received: Received) -> None:
        event = received.event
        assert isinstance(
            event,
            SessionScheduled
            | SessionRescheduled
            | SessionCancelled
            | SessionNoShow
            | SessionCompleted,
        )
        tenant_id, snapshot = received.tenant_id, event.session
        if not await upsert_session(uow, tenant_id, snapshot, rules):
            return
        now = utcnow()
        if snapshot.status is SessionStatus.COMPLETED:
            held = HeldSession(
                session_id=snapshot.id,
                program_id=snapshot.program_id,
                match_ids=snapshot.match_ids,
                attendee_ids=snapshot.attendee_ids,
                ended_at=snapshot.ends_at,
            )
            people = await people_statuses(uow, tenant_id, snapshot.attendee_ids)
            await issue(uow, tenant_id, after_session(held, people, rules), now)
            await _held(uow, tenant_id, snapshot, utc(snapshot.ends_at))
        if snapshot.status in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW):
            for match_id in dict.fromkeys(snapshot.match_ids):
                await evaluate(uow, tenant_id, match_id, now)

    return on_session


def relationship_handlers(rules: RequestRules) -> dict[str, Handler]:
    on_match, on_session = match_handler(rules), session_handler(rules)
    return {
        **{
            e.event_type: on_match
            for e in (
                MatchProposed,
                MatchAccepted,
                MatchDeclined,
                MatchActivated,
                MatchCompleted,
                MatchEnded,
                MatchReviewFlagged,
            )
        },
        **{
            e.event_type: on_session
            for e in (
                SessionScheduled,
                SessionRescheduled,
                SessionCancelled,
                SessionNoShow,
                SessionCompleted,
            )
        },
    }
