"""What matching learns from feedback: a mentee's rating of their mentor joins the mentor's
record (the FEEDBACK criterion), and a participant's flag ends the match and offers the
mentee the next best mentor."""

import logging
from datetime import timedelta

from contracts.feedback import FeedbackSubmitted, MatchFlagged
from contracts.programs import ProgramKind
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow

from matching.adapters.matches import Matches, Ratings
from matching.domain import lifecycle
from matching.service_layer.matches import record
from matching.service_layer.self_serve import offer_next_best

log = logging.getLogger(__name__)


async def on_feedback_submitted(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, FeedbackSubmitted)
    response = event.response
    if response.rating is None or response.match_id is None:
        return
    match = await Matches(uow.session, received.tenant_id).get(response.match_id)
    # Only a mentee's word rates a mentor; peers rate each other, which scores nobody.
    if match is None or match.kind is ProgramKind.PEER or response.respondent_id != match.mentee_id:
        return
    await Ratings(uow.session, received.tenant_id).record(
        response.id, match.mentor_id, response.rating, response.revision
    )


def flag_handler(expires_after: timedelta) -> Handler:
    async def on_match_flagged(uow: UnitOfWork, received: Received) -> None:
        event = received.event
        assert isinstance(event, MatchFlagged)
        tenant_id = received.tenant_id
        match = await Matches(uow.session, tenant_id).get(event.match_id, lock=True)
        if match is None or not match.is_open:
            return  # over already: nothing to end, and its pair is blocked if it went wrong
        if event.flagged_by not in match.participants:
            log.warning("match %s flagged by a non-participant; ignored", match.id)
            return
        now = utcnow()
        reason = f"flagged by {event.flagged_by}: {event.reason.strip()[:400]}"
        # Written at once: the ended pair now counts as blocked.
        await record(uow, tenant_id, lifecycle.end_if_open(match, reason, now))
        await offer_next_best(
            uow, tenant_id, match.program_id, match.mentee_id, now=now, expires_after=expires_after
        )

    return on_match_flagged


def feedback_handlers(expires_after: timedelta) -> dict[str, Handler]:
    return {
        FeedbackSubmitted.event_type: on_feedback_submitted,
        MatchFlagged.event_type: flag_handler(expires_after),
    }
