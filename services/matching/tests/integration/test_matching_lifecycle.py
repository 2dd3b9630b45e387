"""Matching's use cases through its internal REST API, on a real database (SQLite, or
PostgreSQL with TEST_DATABASE_URL) and a real solver process pool: the read model fed by the
same handlers the consumer runs, runs and dry runs, decisions, expiry, org reactions, and every
change's event in the outbox of the same transaction."""

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from contracts.base import Event
from contracts.enrollments import EnrollmentCreated
from contracts.feedback import FeedbackSubmitted, MatchFlagged
from contracts.people import PersonCreated, PersonTerminated, PersonUpdated
from contracts.programs import ProgramClosed, ProgramPublished
from contracts.sessions import SessionCompleted
from devstack.pytest_plugin import DatabaseFactory
from matching.adapters import tables
from matching.adapters.repository import Matches, Runs
from matching.bootstrap import MIGRATIONS, Matching
from matching.config import MatchingSettings
from matching.domain.model import CohortProblem, CohortSolution
from matching.entrypoints.api import create_app
from matching.service_layer.expiry import expire_due
from matching.service_layer.runs import Solver, execute_run, fail_abandoned_runs
from messaging.consumer import Received
from messaging.envelope import Envelope, envelope_for
from messaging.outbox import utcnow
from persistence.migrations import upgrade_async
from service_auth.tokens import Caller, TokenMinter, generate_keypair
from sqlalchemy import select

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass
class Service:
    http: httpx.AsyncClient
    matching: Matching
    minter: TokenMinter

    async def call(self, tenant_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = self.minter.mint(Caller(tenant_id=tenant_id, principal="system"), "matching")
        return await self.http.request(
            method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )

    async def deliver(
        self, tenant_id: str, event: Event, data: dict[str, Any] | None = None
    ) -> None:
        """An event as the consumer hands it over: the registered handler, in one transaction."""
        envelope = envelope_for(event, tenant_id=tenant_id, source="/cairn/test")
        if data is not None:
            envelope = Envelope(
                id=envelope.id,
                type=envelope.type,
                source=envelope.source,
                tenant_id=tenant_id,
                key=envelope.key,
                data=data,
            )
        handler = self.matching.process.handlers[event.event_type]
        async with self.matching.process.uow() as uow:
            await handler(uow, Received(envelope=envelope, event=event))
            await uow.commit()

    async def events(self, tenant_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        outbox = tables.messaging.outbox
        async with self.matching.process.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.event_type, outbox.c.key, outbox.c.data)
                .where(outbox.c.tenant_id == tenant_id)
                .order_by(outbox.c.id)
            )
            return [(r.event_type, r.key, r.data) for r in rows]

    async def ask_run(self, tenant_id: str, program_id: str, **body: Any) -> httpx.Response:
        return await self.call(
            tenant_id, "POST", f"/internal/matching/programs/{program_id}/runs", json=body
        )

    async def finish(
        self, tenant_id: str, run_id: str, solve: Solver | None = None
    ) -> dict[str, Any]:
        """Does what the run worker does with the run, and answers the finished run."""
        m = self.matching
        await execute_run(m.process.uow, tenant_id, run_id, solve or m.solve, m.run_settings)
        done = await self.call(tenant_id, "GET", f"/internal/matching/runs/{run_id}")
        body: dict[str, Any] = done.json()
        return body

    async def run(self, tenant_id: str, program_id: str, *, dry_run: bool) -> dict[str, Any]:
        asked = await self.ask_run(tenant_id, program_id, dryRun=dry_run)
        assert asked.status_code == 202, asked.text
        assert asked.json()["status"] == "RUNNING"
        return await self.finish(tenant_id, asked.json()["id"])


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(database_factory: DatabaseFactory) -> AsyncIterator[Service]:
    url = await database_factory("matching")
    await upgrade_async(MIGRATIONS, url)
    private, public = generate_keypair()
    app = create_app(
        MatchingSettings(database_url=url, run_workers=False, service_token_public_key=public)
    )
    matching: Matching = app.state.matching
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://matching"
    ) as http:
        yield Service(http, matching, TokenMinter(private))
    matching.pool.shutdown(wait=True)
    await matching.process.engine.dispose()


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def person(
    person_id: str,
    *,
    level: int,
    manager_id: str | None = None,
    department: str = "Platform",
    status: str = "ACTIVE",
    revision: int = 1,
    skills: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "id": person_id,
        "email": f"{person_id}@example-corp.com",
        "displayName": f"Person {person_id}",
        "department": department,
        "timeZone": "Europe/Berlin",
        "level": level,
        "managerId": manager_id,
        "languages": ["en"],
        "status": status,
        "sourceVersion": revision,
        "revision": revision,
        "updatedAt": "2026-11-01T09:00:00Z",
        "skills": skills or [],
    }


def program(program_id: str, **policy: Any) -> dict[str, Any]:
    return {
        "id": program_id,
        "name": "Future Leaders",
        "kind": "ONE_ON_ONE",
        "status": "ENROLLING",
        "description": None,
        "startsOn": "2027-01-04",
        "endsOn": None,
        "objectives": [],
        "curriculum": {"cadence": "FREQ=WEEKLY", "sessionMinutes": 45, "modules": []},
        "matchingPolicy": {
            "mentorsPerMentee": 1,
            "groupSize": None,
            "minLevelGap": 1,
            "maxLevelGap": 4,
            "crossDepartment": True,
            "prioritizeUnderrepresented": False,
            "weights": {"goals": 0.5},
            **policy,
        },
        "enrollmentWindow": {"opensAt": None, "closesAt": None},
        "eligibility": {"levels": [], "departments": [], "roles": []},
        "revision": 1,
        "updatedAt": "2026-11-01T09:00:00Z",
    }


async def hire(service: Service, t: str, snapshot: dict[str, Any]) -> None:
    await service.deliver(t, PersonCreated.model_validate({"person": snapshot}))


async def enroll(
    service: Service, t: str, program_id: str, person_id: str, role: str, capacity: int | None
) -> None:
    now = "2026-11-02T09:00:00Z"
    event = EnrollmentCreated.model_validate(
        {
            "enrollment": {
                "id": f"en_{uuid.uuid4().hex[:10]}",
                "programId": program_id,
                "personId": person_id,
                "role": role,
                "goals": ["strategy", "public speaking"],
                "capacity": capacity,
                "status": "ACTIVE",
                "reason": None,
                "revision": 1,
                "createdAt": now,
                "updatedAt": now,
            }
        }
    )
    await service.deliver(t, event)


@dataclass
class Cohort:
    tenant_id: str
    program_id: str
    mentors: list[str]
    mentees: list[str]


async def cohort(service: Service, *, mentors: int = 3, mentees: int = 3, **policy: Any) -> Cohort:
    """A published program; mentors at level 6 (capacity 1) and mentees at level 3, each
    mentee reporting to a manager outside the program."""
    t, program_id = tenant(), f"pg_{uuid.uuid4().hex[:8]}"
    snapshot = program(program_id, **policy)
    event = ProgramPublished.model_validate({"program": snapshot})
    await service.deliver(t, event, data={"program": snapshot})
    await hire(service, t, person("boss", level=9))
    mentor_ids = [f"mr{i}" for i in range(mentors)]
    mentee_ids = [f"me{i}" for i in range(mentees)]
    for m in mentor_ids:
        await hire(service, t, person(m, level=6, manager_id="boss", skills=["strategy"]))
        await enroll(service, t, program_id, m, "MENTOR", 1)
    for m in mentee_ids:
        await hire(service, t, person(m, level=3, manager_id="boss", department="Sales"))
        await enroll(service, t, program_id, m, "MENTEE", None)
    return Cohort(t, program_id, mentor_ids, mentee_ids)


async def matches_of(service: Service, c: Cohort, *status: str) -> list[dict[str, Any]]:
    answer = await service.call(
        c.tenant_id,
        "GET",
        f"/internal/matching/programs/{c.program_id}/matches",
        params={"status": list(status), "first": 100},
    )
    assert answer.status_code == 200, answer.text
    return [e["node"] for e in answer.json()["edges"]]


def types(events: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [e[0] for e in events]


# --- runs ------------------------------------------------------------------------------------


async def test_a_dry_run_shows_the_pairs_and_proposes_nothing(service: Service) -> None:
    c = await cohort(service)
    run = await service.run(c.tenant_id, c.program_id, dry_run=True)
    assert run["status"] == "COMPLETED" and run["dryRun"] is True
    assert (run["matchedMentees"], run["unmatchedMentees"]) == (3, 0)
    assert 0 < run["meanScore"] <= 1
    pairs = (
        await service.call(c.tenant_id, "GET", f"/internal/matching/runs/{run['id']}/pairs")
    ).json()
    assert sorted(p["menteeIds"][0] for p in pairs["items"]) == c.mentees
    assert {p["mentorId"] for p in pairs["items"]} == set(c.mentors)
    assert all(p["reasons"] for p in pairs["items"])
    assert await matches_of(service, c) == []
    assert types(await service.events(c.tenant_id)) == ["matchrun.completed"]


async def test_a_run_proposes_each_pair_with_its_event(service: Service) -> None:
    c = await cohort(service)
    run = await service.run(c.tenant_id, c.program_id, dry_run=False)
    assert run["status"] == "COMPLETED" and run["dryRun"] is False
    proposed = await matches_of(service, c, "PROPOSED")
    assert sorted(m["menteeIds"][0] for m in proposed) == c.mentees
    assert all(m["runId"] == run["id"] and m["origin"] == "RUN" for m in proposed)
    events = await service.events(c.tenant_id)
    assert sorted(types(events)) == ["match.proposed"] * 3 + ["matchrun.completed"]
    assert {key for kind, key, _ in events if kind == "match.proposed"} == {
        m["id"] for m in proposed
    }
    # Nobody is proposed twice: a second run finds everyone already matched.
    again = await service.run(c.tenant_id, c.program_id, dry_run=False)
    assert (again["matchedMentees"], again["unmatchedMentees"]) == (0, 0)
    assert len(await matches_of(service, c)) == 3


async def test_a_dry_run_tries_another_policy_without_changing_the_program(
    service: Service,
) -> None:
    c = await cohort(service)  # mentors are 3 levels above the mentees
    trial = {"maxLevelGap": 1, "objective": "MAX_MATCHED", "weights": {"goals": 1}}
    asked = await service.ask_run(c.tenant_id, c.program_id, dryRun=True, policy=trial)
    assert asked.status_code == 202, asked.text
    tried = await service.finish(c.tenant_id, asked.json()["id"])
    assert (tried["matchedMentees"], tried["unmatchedMentees"]) == (0, 3)
    assert all("level" in u["reason"] for u in tried["unmatched"])
    assert tried["policy"]["maxLevelGap"] == 1 and tried["policy"]["objective"] == "MAX_MATCHED"
    # The program's own policy is untouched: the next dry run under it matches everyone.
    own = await service.run(c.tenant_id, c.program_id, dry_run=True)
    assert own["matchedMentees"] == 3 and own["policy"]["maxLevelGap"] == 4

    for body, field in (
        ({"dryRun": False, "policy": trial}, "policy"),  # a real run uses the program's
        ({"dryRun": True, "policy": {"minLevelGap": 3, "maxLevelGap": 1}}, "policy"),
        ({"dryRun": True, "policy": {"weights": {"charisma": 1}}}, "policy.weights"),
        ({"dryRun": True, "policy": {"mentorsPerMentee": 0}}, "policy.mentorsPerMentee"),
    ):
        refused = await service.ask_run(c.tenant_id, c.program_id, **body)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["errors"][0]["field"] == field, refused.json()
    assert len(await matches_of(service, c)) == 0


async def test_the_reporting_line_is_never_matched(service: Service) -> None:
    c = await cohort(service, mentors=1, mentees=2)
    # me0 now reports to the only mentor: that pair is ruled out; me1 gets the mentor.
    await service.deliver(
        c.tenant_id,
        PersonUpdated.model_validate(
            {
                "person": person("me0", level=3, manager_id="mr0", revision=2),
                "changedFields": ["managerId"],
            }
        ),
    )
    run = await service.run(c.tenant_id, c.program_id, dry_run=True)
    unmatched = {u["personId"]: u["reason"] for u in run["unmatched"]}
    assert "me0" in unmatched and "reporting line" in unmatched["me0"]
    pairs = (
        await service.call(c.tenant_id, "GET", f"/internal/matching/runs/{run['id']}/pairs")
    ).json()["items"]
    assert [(p["mentorId"], p["menteeIds"]) for p in pairs] == [("mr0", ["me1"])]


async def test_small_groups_are_suppressed_in_the_aggregates(service: Service) -> None:
    c = await cohort(service, mentors=6, mentees=6)
    run = await service.run(c.tenant_id, c.program_id, dry_run=True)
    groups = run["byGroup"]
    assert groups["minimumGroupSize"] == 5
    assert groups["department"] == {
        "Sales": {"mentees": 6, "matchRate": 1.0, "meanScore": run["meanScore"]}
    }
    c2 = await cohort(service, mentors=3, mentees=3)
    small = await service.run(c2.tenant_id, c2.program_id, dry_run=True)
    assert small["byGroup"]["department"] == {} and small["byGroup"]["suppressedGroups"] >= 1


async def test_a_run_of_an_unknown_program_is_not_found(service: Service) -> None:
    answer = await service.call(
        tenant(), "POST", "/internal/matching/programs/pg_nope/runs", json={"dryRun": True}
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_a_program_needing_no_consent_starts_accepted(service: Service) -> None:
    c = await cohort(service, mentors=1, mentees=1, adminMatchesNeedConsent=False)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    [match] = await matches_of(service, c)
    assert match["status"] == "ACCEPTED"
    assert types(await service.events(c.tenant_id)) == [
        "match.proposed",
        "match.accepted",
        "matchrun.completed",
    ]


# --- decisions -------------------------------------------------------------------------------


async def decide(
    service: Service, c: Cohort, match_id: str, action: str, **body: Any
) -> httpx.Response:
    return await service.call(
        c.tenant_id, "POST", f"/internal/matching/matches/{match_id}/{action}", json=body
    )


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


# --- runs that go wrong ----------------------------------------------------------------------


async def test_a_crashed_solver_fails_the_run_and_the_next_run_works(service: Service) -> None:
    c = await cohort(service, mentors=1, mentees=1)
    asked = await service.ask_run(c.tenant_id, c.program_id, dryRun=False)
    pool = service.matching.pool

    async def crash(problem: CohortProblem) -> CohortSolution:
        return await pool.run(os.abort)  # the solving process dies, as if killed

    run = await service.finish(c.tenant_id, asked.json()["id"], crash)
    assert run["status"] == "FAILED" and "solver process" in run["error"]
    events = await service.events(c.tenant_id)
    assert events[-1][0] == "matchrun.completed"
    assert events[-1][2]["run"]["status"] == "FAILED"
    assert await matches_of(service, c) == []  # nothing half written
    # The broken pool was replaced: the program runs again at once.
    again = await service.run(c.tenant_id, c.program_id, dry_run=False)
    assert again["status"] == "COMPLETED" and again["matchedMentees"] == 1


async def test_a_run_whose_worker_vanished_is_failed(service: Service) -> None:
    c = await cohort(service, mentors=1, mentees=1)
    run_id = (await service.ask_run(c.tenant_id, c.program_id, dryRun=False)).json()["id"]
    taken_at = utcnow() - timedelta(hours=1)
    async with service.matching.process.uow() as uow:
        run = await Runs(uow.session, c.tenant_id).get(run_id)
        assert run is not None
        run.claimed_at = taken_at  # a worker took it, then its process stopped
        await uow.commit()
    lease = timedelta(minutes=30)
    assert await fail_abandoned_runs(service.matching.process.uow, taken_at, lease) == 0
    assert await fail_abandoned_runs(service.matching.process.uow, utcnow(), lease) >= 1
    answer = (await service.call(c.tenant_id, "GET", f"/internal/matching/runs/{run_id}")).json()
    assert answer["status"] == "FAILED" and "interrupted" in answer["error"]
    # The program is free to run again.
    again = await service.run(c.tenant_id, c.program_id, dry_run=True)
    assert again["status"] == "COMPLETED"
