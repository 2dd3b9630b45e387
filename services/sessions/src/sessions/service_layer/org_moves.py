"""Reacting to the rest of Cairn: replicas of programs, matches and people kept; an accepted
match planned; a leaver's, an ended or a declined match's sessions ahead cancelled (with their
calendars told, through the usual events); a person whose time zone changed, or who sessions
hears of for the first time, has their sessions ahead re-checked."""

from contracts.matches import (
    MatchAccepted,
    MatchActivated,
    MatchCompleted,
    MatchDeclined,
    MatchEnded,
    MatchProposed,
    MatchReviewFlagged,
)
from contracts.people import PersonCreated, PersonTerminated, PersonUpdated
from contracts.programs import ProgramClosed, ProgramPublished, ProgramUpdated
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow

from sessions.adapters.replicas import Replicas
from sessions.adapters.sessions import Sessions
from sessions.adapters.tables import roster
from sessions.domain import lifecycle
from sessions.service_layer.erasure import erasure_handlers
from sessions.service_layer.planning import plan_match
from sessions.service_layer.record import record
from sessions.service_layer.replanning import recheck_person
from sessions.service_layer.rules import PlanSettings

LEFT = "{name} left the organization"
MATCH_OVER = "the match ended"


def org_handlers(rules: PlanSettings) -> dict[str, Handler]:
    async def on_program(uow: UnitOfWork, received: Received) -> None:
        """Keeps the program; an acceptance that overtook it (another topic) is planned now."""
        event = received.event
        assert isinstance(event, ProgramPublished | ProgramUpdated | ProgramClosed)
        replicas = Replicas(uow.session, received.tenant_id)
        await replicas.keep_program(event.program)
        if isinstance(event, ProgramClosed):
            return
        await uow.session.flush()
        for waiting in await replicas.unplanned_accepted(event.program.id):
            await plan_match(uow, received.tenant_id, waiting, utcnow(), rules)

    async def on_person(uow: UnitOfWork, received: Received) -> None:
        await roster.apply(uow, received)
        event = received.event
        tenant_id = received.tenant_id
        now = utcnow()
        if isinstance(event, PersonTerminated):
            reason = LEFT.format(name=event.person.display_name)
            for session in await Sessions(uow.session, tenant_id).ahead(
                now, person_id=event.person.id
            ):
                await record(uow, tenant_id, lifecycle.cancel_if_ahead(session, reason, now))
        elif isinstance(event, PersonCreated) or (
            isinstance(event, PersonUpdated) and "timeZone" in event.changed_fields
        ):
            await uow.session.flush()  # the roster row just written must be seen
            await recheck_person(uow, tenant_id, event.person.id, now, rules)

    async def on_match(uow: UnitOfWork, received: Received) -> None:
        event = received.event
        assert isinstance(
            event,
            MatchProposed
            | MatchAccepted
            | MatchActivated
            | MatchCompleted
            | MatchDeclined
            | MatchEnded
            | MatchReviewFlagged,
        )
        tenant_id = received.tenant_id
        await Replicas(uow.session, tenant_id).keep_match(event.match)
        now = utcnow()
        if isinstance(event, MatchAccepted):
            await plan_match(uow, tenant_id, event.match, now, rules)
        elif isinstance(event, MatchDeclined | MatchEnded):
            reason = MATCH_OVER + (f": {event.match.reason}" if event.match.reason else "")
            for session in await Sessions(uow.session, tenant_id).ahead(
                now, match_id=event.match.id
            ):
                await record(uow, tenant_id, lifecycle.cancel_if_ahead(session, reason, now))

    return {
        PersonCreated.event_type: on_person,
        PersonUpdated.event_type: on_person,
        PersonTerminated.event_type: on_person,
        ProgramPublished.event_type: on_program,
        ProgramUpdated.event_type: on_program,
        ProgramClosed.event_type: on_program,
        **erasure_handlers(),
        **{
            e.event_type: on_match
            for e in (
                MatchProposed,
                MatchAccepted,
                MatchActivated,
                MatchCompleted,
                MatchDeclined,
                MatchEnded,
                MatchReviewFlagged,
            )
        },
    }
