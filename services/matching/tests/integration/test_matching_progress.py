"""What happens to matches after they are made, through matching's consumers: leavers and
manager changes, held sessions, a closing program, mentees' ratings and participants' flags;
each change with its event in the outbox of the same transaction."""

from typing import Any

import pytest
from contracts.base import Event
from contracts.enrollments import EnrollmentWithdrawn
from contracts.feedback import FeedbackSubmitted, MatchFlagged
from contracts.people import PersonTerminated, PersonUpdated
from contracts.programs import ProgramClosed
from contracts.sessions import SessionCompleted
from matching.adapters.matches import Matches
from messaging.outbox import utcnow

from services.matching.tests.integration.matching_api import (
    Cohort,
    Service,
    cohort,
    decide,
    matches_of,
    person,
    program,
    types,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


# --- the org ---------------------------------------------------------------------------------


async def test_a_terminated_participant_ends_their_matches(service: Service) -> None:
    c = await cohort(service, mentors=2, mentees=2)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    leaving = (await matches_of(service, c))[0]["mentorId"]
    await service.deliver(
        c.tenant_id,
        PersonTerminated.model_validate(
            {
                "person": person(leaving, level=6, status="TERMINATED", revision=2),
                "terminatedAt": utcnow().isoformat(),
            }
        ),
    )
    statuses = {m["mentorId"]: (m["status"], m["reason"]) for m in await matches_of(service, c)}
    assert statuses[leaving] == ("ENDED", "left the organization")
    assert [s for mentor, (s, _) in statuses.items() if mentor != leaving] == ["PROPOSED"]
    assert types(await service.events(c.tenant_id))[-1] == "match.ended"


async def test_a_manager_change_into_one_line_flags_the_match(service: Service) -> None:
    c = await cohort(service, mentors=1, mentees=1)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    await service.deliver(
        c.tenant_id,
        PersonUpdated.model_validate(
            {
                "person": person("me0", level=3, manager_id="mr0", revision=2),
                "changedFields": ["managerId"],
            }
        ),
    )
    [match] = await matches_of(service, c)
    assert match["flaggedForReview"] is True and "reporting line" in match["reason"]
    assert types(await service.events(c.tenant_id))[-1] == "match.review_flagged"


async def test_a_withdrawal_ends_the_persons_matches_in_that_program(service: Service) -> None:
    c = await cohort(service, mentors=2, mentees=2)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    withdrawn = {**c.enrollments["me0"], "status": "WITHDRAWN", "revision": 2}
    event = EnrollmentWithdrawn.model_validate(
        {"enrollment": withdrawn, "withdrawnAt": utcnow().isoformat()}
    )
    await service.deliver(c.tenant_id, event)
    statuses = {m["menteeIds"][0]: (m["status"], m["reason"]) for m in await matches_of(service, c)}
    assert statuses == {"me0": ("ENDED", "left the program"), "me1": ("PROPOSED", None)}
    assert types(await service.events(c.tenant_id))[-1] == "match.ended"
    # The replica knows it too: me0 is not in the pool any more (still enrolled, me0 would be
    # left unmatched, its mentor's pair blocked and the other mentor taken).
    again = await service.run(c.tenant_id, c.program_id, dry_run=True)
    assert (again["matchedMentees"], again["unmatchedMentees"], again["unmatched"]) == (0, 0, [])


# --- sessions held ---------------------------------------------------------------------------


def held(c: Cohort, match_ids: list[str], session_id: str, *, final: bool = False) -> Event:
    return SessionCompleted.model_validate(
        {
            "session": {
                "id": session_id,
                "programId": c.program_id,
                "matchIds": match_ids,
                "hostId": c.mentors[0],
                "attendeeIds": [c.mentors[0], *c.mentees],
                "startsAt": "2027-01-05T09:00:00Z",
                "endsAt": "2027-01-05T09:45:00Z",
                "status": "COMPLETED",
                "final": final,
                "revision": 2,
                "updatedAt": "2027-01-05T09:50:00Z",
            },
            "completedAt": "2027-01-05T09:50:00Z",
        }
    )


async def accepted_match(service: Service, c: Cohort) -> dict[str, Any]:
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    [match] = await matches_of(service, c)
    for who in (match["mentorId"], *match["menteeIds"]):
        answer = await decide(service, c, match["id"], "accept", personId=who)
    assert answer.json()["status"] == "ACCEPTED"
    return match


async def test_held_sessions_make_a_match_active_then_completed(service: Service) -> None:
    c = await cohort(service, mentors=1, mentees=1)
    match = await accepted_match(service, c)
    await service.deliver(c.tenant_id, held(c, [match["id"]], "se_1"))
    # The same session told twice (a new event id) counts once.
    await service.deliver(c.tenant_id, held(c, [match["id"]], "se_1"))
    active = (await matches_of(service, c))[0]
    assert (active["status"], active["sessionsCompleted"]) == ("ACTIVE", 1)
    assert active["lastSessionAt"].startswith("2027-01-05T09:45")
    assert types(await service.events(c.tenant_id))[-1] == "match.activated"

    await service.deliver(c.tenant_id, held(c, [match["id"]], "se_2", final=True))
    done = (await matches_of(service, c))[0]
    assert (done["status"], done["sessionsCompleted"]) == ("COMPLETED", 2)
    events = await service.events(c.tenant_id)
    assert types(events)[-1] == "match.completed"
    assert events[-1][2]["match"]["sessionsCompleted"] == 2
    # A completed match is over: it can no longer be ended.
    assert (await decide(service, c, match["id"], "end", reason="late")).status_code == 409


async def test_a_closing_program_completes_active_matches_and_ends_the_rest(
    service: Service,
) -> None:
    c = await cohort(service, mentors=2, mentees=2)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    first, second = await matches_of(service, c)
    for who in (first["mentorId"], *first["menteeIds"]):
        await decide(service, c, first["id"], "accept", personId=who)
    await service.deliver(c.tenant_id, held(c, [first["id"]], "se_9"))

    closed = {**program(c.program_id), "status": "CLOSED", "revision": 2}
    event = ProgramClosed.model_validate({"program": closed, "closedAt": utcnow().isoformat()})
    await service.deliver(c.tenant_id, event, data={"program": closed})
    after = {m["id"]: m for m in await matches_of(service, c)}
    assert after[first["id"]]["status"] == "COMPLETED"
    assert (after[second["id"]]["status"], after[second["id"]]["reason"]) == (
        "ENDED",
        "the program closed",
    )
    assert sorted(types(await service.events(c.tenant_id))[-2:]) == [
        "match.completed",
        "match.ended",
    ]
    # Nothing went wrong with a pair the program's end parted: a later program may match it.
    async with service.matching.process.uow() as uow:
        blocked = await Matches(uow.session, c.tenant_id).blocked_pairs()
    assert (second["mentorId"], second["menteeIds"][0]) not in blocked


# --- feedback --------------------------------------------------------------------------------


def rating(
    c: Cohort, match_id: str, respondent: str, stars: int, *, response: str, revision: int = 1
) -> Event:
    return FeedbackSubmitted.model_validate(
        {
            "response": {
                "id": response,
                "programId": c.program_id,
                "matchId": match_id,
                "respondentId": respondent,
                "rating": stars,
                "revision": revision,
                "submittedAt": "2027-01-05T10:00:00Z",
            }
        }
    )


async def feedback_reason(service: Service, c: Cohort, mentee_id: str) -> dict[str, str]:
    answer = await service.call(
        c.tenant_id,
        "GET",
        f"/internal/matching/programs/{c.program_id}/suggestions",
        params={"menteeId": mentee_id, "first": 5},
    )
    return {
        s["mentorId"]: next(r["explanation"] for r in s["reasons"] if r["criterion"] == "FEEDBACK")
        for s in answer.json()["items"]
    }


async def test_mentee_ratings_become_the_mentors_record(service: Service) -> None:
    c = await cohort(service, mentors=2, mentees=2)
    match = await accepted_match_of(service, c, "me0")
    mentor = match["mentorId"]
    others = await feedback_reason(service, c, "me1")
    assert mentor not in others  # full
    assert all("no mentee ratings yet" in text for text in others.values())

    await service.deliver(c.tenant_id, rating(c, match["id"], "me0", 2, response="fr_1"))
    # The mentor's own answer about the pair rates nobody; a corrected answer replaces the
    # first, and an older revision arriving late changes nothing.
    await service.deliver(c.tenant_id, rating(c, match["id"], mentor, 5, response="fr_2"))
    await service.deliver(
        c.tenant_id, rating(c, match["id"], "me0", 4, response="fr_1", revision=2)
    )
    await service.deliver(c.tenant_id, rating(c, match["id"], "me0", 1, response="fr_1"))
    # The record outlives the match; ending it frees the mentor's place for me1 to see.
    await decide(service, c, match["id"], "end", reason="goals reached")
    reason = (await feedback_reason(service, c, "me1"))[mentor]
    assert reason == f"Mentees rated Person {mentor} 4.0 out of 5 (1 rating).", reason


async def accepted_match_of(service: Service, c: Cohort, mentee_id: str) -> dict[str, Any]:
    """The mentee chooses a mentor; both accept."""
    [best] = (
        await service.call(
            c.tenant_id,
            "GET",
            f"/internal/matching/programs/{c.program_id}/suggestions",
            params={"menteeId": mentee_id, "first": 1},
        )
    ).json()["items"]
    chosen = await service.call(
        c.tenant_id,
        "POST",
        f"/internal/matching/programs/{c.program_id}/choices",
        json={"menteeId": mentee_id, "mentorId": best["mentorId"]},
    )
    match: dict[str, Any] = chosen.json()
    for who in (match["mentorId"], mentee_id):
        await decide(service, c, match["id"], "accept", personId=who)
    return match


def flagged(c: Cohort, match_id: str, by: str) -> Event:
    return MatchFlagged.model_validate(
        {
            "matchId": match_id,
            "programId": c.program_id,
            "flaggedBy": by,
            "reason": "we do not click",
            "flaggedAt": utcnow().isoformat(),
        }
    )


async def test_a_flag_from_feedback_ends_the_match_and_offers_the_next_best(
    service: Service,
) -> None:
    c = await cohort(service, mentors=2, mentees=1)
    match = await accepted_match_of(service, c, "me0")
    await service.deliver(c.tenant_id, flagged(c, match["id"], "boss"))  # not a participant
    assert (await matches_of(service, c))[0]["status"] == "ACCEPTED"

    await service.deliver(c.tenant_id, flagged(c, match["id"], "me0"))
    after = {m["id"]: m for m in await matches_of(service, c)}
    ended = after.pop(match["id"])
    assert ended["status"] == "ENDED" and ended["reason"] == "flagged by me0: we do not click"
    [offer] = after.values()
    assert (offer["status"], offer["origin"]) == ("PROPOSED", "REOFFER")
    assert offer["mentorId"] != match["mentorId"] and offer["menteeIds"] == ["me0"]
    assert types(await service.events(c.tenant_id))[-2:] == ["match.ended", "match.proposed"]
    # Told again, the flag changes nothing more.
    await service.deliver(c.tenant_id, flagged(c, match["id"], "me0"))
    assert len(await matches_of(service, c)) == 2
