"""Match runs through matching's internal API: dry runs and real runs, trial policies, what a
run reports, and runs that go wrong (a crashed solver, a vanished worker)."""

import os
from datetime import timedelta

import pytest
from contracts.people import PersonUpdated
from matching.adapters.runs import claim_run
from matching.domain.model import CohortProblem, CohortSolution
from matching.service_layer.runs import fail_abandoned_runs
from messaging.outbox import utcnow

from services.matching.tests.integration.matching_api import (
    Service,
    cohort,
    matches_of,
    person,
    tenant,
    types,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


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
        # The contract names the bad key, as profiles does (`matchingPolicy.weights.vibes`).
        ({"dryRun": True, "policy": {"weights": {"charisma": 1}}}, "policy.weights.charisma"),
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
        "Sales": {
            "mentees": 6,
            "matchable": 6,
            "matchRate": 1.0,
            "matchableRate": 1.0,
            "meanScore": run["meanScore"],
        }
    }
    # Nobody said they are under-represented here: nothing to say about that group.
    assert groups["fairness"] == {"prioritized": False, "reachable": None}
    assert (run["optimality"], run["optimalityGap"]) == ("PROVEN", 0.0)
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
        # A worker took it, then its process stopped.
        assert await claim_run(uow.session, run_id, taken_at) == c.tenant_id
        await uow.commit()
    lease = timedelta(minutes=30)
    assert await fail_abandoned_runs(service.matching.process.uow, taken_at, lease) == 0
    assert await fail_abandoned_runs(service.matching.process.uow, utcnow(), lease) >= 1
    answer = (await service.call(c.tenant_id, "GET", f"/internal/matching/runs/{run_id}")).json()
    assert answer["status"] == "FAILED" and "interrupted" in answer["error"]
    # The program is free to run again.
    again = await service.run(c.tenant_id, c.program_id, dry_run=True)
    assert again["status"] == "COMPLETED"
