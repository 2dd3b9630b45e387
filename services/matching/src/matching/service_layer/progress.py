"""A match's progress after it is accepted: sessions held (from the sessions service) make it
ACTIVE, the plan's last one COMPLETED; a program that closes completes its active matches and
ends the ones that never began."""

import logging

from contracts.programs import ProgramClosed
from contracts.sessions import SessionCompleted
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow

from matching.adapters.matches import HeldSessions, Matches
from matching.domain import lifecycle
from matching.domain.lifecycle import SYSTEM
from matching.service_layer.matches import record
from matching.service_layer.replicas import on_program

log = logging.getLogger(__name__)


async def on_session_completed(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, SessionCompleted)
    session = event.session
    tenant_id = received.tenant_id
    matches = Matches(uow.session, tenant_id)
    held = HeldSessions(uow.session, tenant_id)
    for match_id in dict.fromkeys(session.match_ids):
        match = await matches.get(match_id, lock=True)
        if match is None:
            # Sessions only knows matches from our own events: a stranger is a producer bug.
            log.warning("session %s names unknown match %s", session.id, match_id)
            continue
        if await held.counted(match_id, session.id, session.ends_at):
            outcome = lifecycle.hold_session(match, SYSTEM, session.ends_at, final=session.final)
            await record(uow, tenant_id, outcome)


async def on_program_closed(uow: UnitOfWork, received: Received) -> None:
    """The replica keeps the program as closed, and its matches close with it: one use case,
    one handler."""
    await on_program(uow, received)
    event = received.event
    assert isinstance(event, ProgramClosed)
    tenant_id = received.tenant_id
    now = utcnow()
    for match in await Matches(uow.session, tenant_id).of_program(event.program.id):
        await record(uow, tenant_id, lifecycle.close_with_program(match, now))


def progress_handlers() -> dict[str, Handler]:
    return {
        SessionCompleted.event_type: on_session_completed,
        ProgramClosed.event_type: on_program_closed,
    }
