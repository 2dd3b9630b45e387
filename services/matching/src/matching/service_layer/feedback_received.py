"""What matching learns from feedback: a mentee's rating of their mentor joins the mentor's
record (the FEEDBACK criterion), and a participant's flag ends the match and offers the
mentee the next best mentor."""

import logging
from datetime import timedelta

from contracts.feedback import FeedbackSubmitted, MatchFlagged
from contracts.programs import ProgramKind
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow

from matching.adapters.repository import OPEN, Matches, Ratings
from matching.service_layer.matches import end_match, participants
from matching.service_layer.self_serve import offer_next_best

log = logging.getLogger(__name__)


async def on_feedback_submitted(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, FeedbackSubmitted)
    response = event.response
    if response.rating is None or response.match_id is None:
        return
    row = await Matches(uow.session, received.tenant_id).get(response.match_id)
    # Only a mentee's word rates a mentor; peers rate each other, which scores nobody.
    if row is None or row.kind == ProgramKind.PEER.value or response.respondent_id != row.mentee_id:
        return
    await Ratings(uow.session, received.tenant_id).record(
        response.id, row.mentor_id, response.rating, response.revision
    )


def flag_handler(expires_after: timedelta) -> Handler:
    async def on_match_flagged(uow: UnitOfWork, received: Received) -> None:
        event = received.event
        assert isinstance(event, MatchFlagged)
        tenant_id = received.tenant_id
        row = await Matches(uow.session, tenant_id).get(event.match_id, lock=True)
        if row is None or row.status not in OPEN:
            return  # over already: nothing to end, and its pair is blocked if it went wrong
        if event.flagged_by not in participants(row):
            log.warning("match %s flagged by a non-participant; ignored", row.id)
            return
        now = utcnow()
        reason = f"flagged by {event.flagged_by}: {event.reason.strip()[:400]}"
        await end_match(uow, tenant_id, row, reason, now)
        await uow.session.flush()  # the ended pair now counts as blocked
        await offer_next_best(
            uow, tenant_id, row.program_id, row.mentee_id, now=now, expires_after=expires_after
        )

    return on_match_flagged
