"""Decisions on a match through matching's internal API: both sides accepting, declining (the
pair is never proposed again), ending; and self-serve: suggestions, a mentee's choice, and the
next best offered when a proposal lapses."""

from datetime import datetime, timedelta

import pytest
from contracts.problems import Code
from matching.adapters.matches import Matches
from matching.domain import lifecycle
from matching.domain.lifecycle import ADMIN, Actor
from matching.service_layer.expiry import expire_due
from messaging.outbox import utcnow
from runtime.refusals import Refused

from services.matching.tests.integration.matching_api import (
    Service,
    cohort,
    decide,
    matches_of,
    tenant,
    types,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_match_is_accepted_once_both_sides_accept(service: Service) -> None:
    c = await cohort(service, mentors=1, mentees=1)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    [match] = await matches_of(service, c)
    outsider = await decide(service, c, match["id"], "accept", personId="boss")
    assert outsider.status_code == 422
    assert outsider.json()["errors"][0]["field"] == "personId"

    half = await decide(service, c, match["id"], "accept", personId="me0")
    assert half.json()["status"] == "PROPOSED" and half.json()["acceptedBy"] == ["me0"]
    both = await decide(service, c, match["id"], "accept", personId="mr0")
    assert both.json()["status"] == "ACCEPTED"
    assert types(await service.events(c.tenant_id))[-1] == "match.accepted"

    cannot = await decide(service, c, match["id"], "decline", personId="mr0")
    assert cannot.status_code == 409 and cannot.json()["code"] == "NOT_ALLOWED_IN_STATE"
    no_reason = await decide(service, c, match["id"], "end")
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    ended = await decide(service, c, match["id"], "end", reason="moved on")
    assert (ended.json()["status"], ended.json()["reason"]) == ("ENDED", "moved on")
    assert types(await service.events(c.tenant_id))[-1] == "match.ended"
    # Another tenant does not see it.
    other = await service.call(tenant(), "GET", f"/internal/matching/matches/{match['id']}")
    assert other.status_code == 404


async def test_a_declined_pair_is_never_proposed_again(service: Service) -> None:
    c = await cohort(service, mentors=2, mentees=1)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    [first] = await matches_of(service, c)
    declined = await decide(service, c, first["id"], "decline", personId="me0", reason="no fit")
    assert declined.json()["status"] == "DECLINED"
    assert types(await service.events(c.tenant_id))[-1] == "match.declined"

    await service.run(c.tenant_id, c.program_id, dry_run=False)
    [second] = await matches_of(service, c, "PROPOSED")
    assert second["mentorId"] != first["mentorId"]
    chosen = await service.call(
        c.tenant_id,
        "POST",
        f"/internal/matching/programs/{c.program_id}/choices",
        json={"menteeId": "me0", "mentorId": first["mentorId"]},
    )
    assert chosen.status_code in (409, 422), chosen.text
    assert chosen.json()["errors"][0]["field"] in ("mentorId", "menteeId")


async def test_a_change_decided_on_a_stale_read_is_refused(service: Service) -> None:
    c = await cohort(service, mentors=1, mentees=1)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    [match] = await matches_of(service, c)
    async with service.matching.process.uow() as uow:
        matches = Matches(uow.session, c.tenant_id)
        stale = await matches.get(match["id"])
        assert stale is not None
        # Another change lands between the read and the write (here: the mentee accepts).
        await matches.save(lifecycle.accept(stale, Actor.named("me0"), utcnow()))
        with pytest.raises(Refused) as refused:
            await matches.save(lifecycle.end(stale, ADMIN, "moved on", utcnow()))
        assert refused.value.code is Code.CONFLICT
    # Nothing was committed: the match is as the run proposed it.
    [after] = await matches_of(service, c)
    assert (after["status"], after["acceptedBy"], after["revision"]) == ("PROPOSED", [], 1)


# --- self-serve and expiry -------------------------------------------------------------------


async def test_suggestions_and_an_expired_choice_offer_the_next_best(service: Service) -> None:
    c = await cohort(service, mentors=3, mentees=1)
    answer = await service.call(
        c.tenant_id,
        "GET",
        f"/internal/matching/programs/{c.program_id}/suggestions",
        params={"menteeId": "me0", "first": 3},
    )
    suggestions = answer.json()["items"]
    assert {s["mentorId"] for s in suggestions} == set(c.mentors)
    assert all(s["reasons"] for s in suggestions)
    chosen = await service.call(
        c.tenant_id,
        "POST",
        f"/internal/matching/programs/{c.program_id}/choices",
        json={"menteeId": "me0", "mentorId": suggestions[0]["mentorId"]},
    )
    assert chosen.status_code == 201 and chosen.json()["origin"] == "SELF_SERVE"

    later = datetime.fromisoformat(chosen.json()["expiresAt"]) + timedelta(seconds=1)
    lapsed = await expire_due(
        service.matching.process.uow, later, service.matching.run_settings.proposal_ttl
    )
    assert lapsed >= 1
    expired = (
        await service.call(c.tenant_id, "GET", f"/internal/matching/matches/{chosen.json()['id']}")
    ).json()
    assert expired["status"] == "DECLINED" and "expired" in expired["reason"]
    [offer] = await matches_of(service, c, "PROPOSED")
    assert offer["origin"] == "REOFFER" and offer["menteeIds"] == ["me0"]
    assert offer["mentorId"] != chosen.json()["mentorId"]
    assert types(await service.events(c.tenant_id))[-2:] == ["match.declined", "match.proposed"]
