"""A match's progress after it is accepted: sessions held (from the sessions service) make it
ACTIVE, the plan's last one COMPLETED; a program that closes completes its active matches and
ends the ones that never began."""

import logging

from contracts.programs import ProgramClosed
from contracts.sessions import SessionCompleted
from messaging.consumer import Received
from messaging.outbox import UnitOfWork, utcnow

from matching.adapters.repository import OPEN, PROGRAM_CLOSED, HeldSessions, Matches
from matching.service_layer.matches import complete, end_match, held_session
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
        row = await matches.get(match_id, lock=True)
        if row is None:
            # Sessions only knows matches from our own events: a stranger is a producer bug.
            log.warning("session %s names unknown match %s", session.id, match_id)
            continue
        if await held.counted(match_id, session.id, session.ends_at):
            await held_session(uow, tenant_id, row, session.ends_at, final=session.final)


async def on_program_closed(uow: UnitOfWork, received: Received) -> None:
    await on_program(uow, received)
    event = received.event
    assert isinstance(event, ProgramClosed)
    tenant_id = received.tenant_id
    now = utcnow()
    for row in await Matches(uow.session, tenant_id).of_program(event.program.id):
        if row.status == "ACTIVE":
            await complete(uow, tenant_id, row, PROGRAM_CLOSED, now)
        elif row.status in OPEN:
            await end_match(uow, tenant_id, row, PROGRAM_CLOSED, now)
