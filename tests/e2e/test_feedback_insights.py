"""Feedback insights end to end, on the real broker: a seeded org (through the signed HRIS
webhook) and program (through GraphQL), matches and sessions as their services publish them,
answers through feedback's API, promotions pushed after the program started — and every number
in the program's insights equal to one computed here, independently, from the raw data."""

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from contracts.matches import (
    MatchAccepted,
    MatchActivated,
    MatchCompleted,
    MatchEnded,
    MatchOrigin,
    MatchSnapshot,
    MatchStatus,
)
from contracts.programs import ProgramKind
from contracts.sessions import SessionCompleted, SessionSnapshot, SessionStatus
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.graphql.ids import decode_id
from service_auth.tokens import Caller, TokenMinter

from tests.e2e.test_programs_graphql import CREATE, ENROLL, OPEN, ok

pytestmark = pytest.mark.asyncio(loop_scope="session")

Z = 1.959963984540054


@dataclass
class FeedbackApi:
    """feedback's internal API as the gateway calls it: a service token for a principal."""

    system: RunningSystem
    tenant_id: str

    async def call(
        self, method: str, path: str, *, principal: str = "system", body: Any = None
    ) -> httpx.Response:
        token = TokenMinter(self.system.stack.private_key).mint(
            Caller(tenant_id=self.tenant_id, principal=principal, scopes=("*",)), "feedback"
        )
        return await self.system.http.request(
            method,
            f"{self.system.url('feedback')}/internal/feedback{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def requests_of(self, person_id: str, status: str = "PENDING") -> list[dict[str, Any]]:
        answer = await self.call("GET", f"/people/{person_id}/requests?status={status}")
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    async def submit(self, body: dict[str, Any], principal: str = "system") -> httpx.Response:
        return await self.call("POST", "/responses", principal=principal, body=body)

    async def insights(self, program_id: str) -> dict[str, Any]:
        answer = await self.call("GET", f"/programs/{program_id}/insights")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


def employee(external_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.hired",
        "effectiveAt": "2025-06-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {
            "externalId": external_id,
            "email": f"{external_id.lower()}@acme-corp.com",
            "displayName": f"Person {external_id}",
            "timeZone": "Europe/Berlin",
            "languages": ["en"],
            "hireDate": "2025-06-01",
            **fields,
        },
    }


def update(external_id: str, version: int, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.updated",
        "effectiveAt": at.isoformat().replace("+00:00", "Z"),
        "sourceVersion": version,
        "employee": {"externalId": external_id, **fields},
    }


def match_snapshot(
    program_id: str, mentor: str, mentee: str, status: MatchStatus, at: datetime, revision: int
) -> MatchSnapshot:
    closed = status in (MatchStatus.COMPLETED, MatchStatus.ENDED)
    return MatchSnapshot(
        id=f"mt_{uuid.uuid4().hex[:16]}",
        program_id=program_id,
        kind=ProgramKind.ONE_ON_ONE,
        mentor_id=mentor,
        mentee_ids=[mentee],
        score=0.8,
        reasons=[],
        status=status,
        origin=MatchOrigin.RUN,
        run_id=None,
        accepted_by=[mentor, mentee],
        proposed_at=at - timedelta(hours=1),
        expires_at=None,
        decided_at=at - timedelta(minutes=30),
        ended_at=at if closed else None,
        reason="the mentee moved abroad" if status is MatchStatus.ENDED else None,
        flagged_for_review=False,
        revision=revision,
        updated_at=at,
    )


def session(
    program_id: str, match_id: str, people: list[str], at: datetime, n: int
) -> SessionSnapshot:
    return SessionSnapshot(
        id=f"ss_{uuid.uuid4().hex[:16]}",
        program_id=program_id,
        match_ids=[match_id],
        host_id=people[0],
        attendee_ids=people,
        starts_at=at - timedelta(hours=2),
        ends_at=at - timedelta(hours=1),
        status=SessionStatus.COMPLETED,
        sequence=n,
        revision=2,
        updated_at=at,
    )


def wilson(events: int, n: int) -> tuple[float, float]:
    p = events / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


async def seed_program(
    system: RunningSystem,
    key: str,
    name: str,
    ids: dict[str, str],
    mentors: list[str],
    mentees: list[str],
    starts_on: str,
) -> str:
    """A published program with these enrollments; answers its raw id."""
    created = await ok(
        system,
        key,
        CREATE,
        {
            "input": {
                "name": name,
                "kind": "ONE_ON_ONE",
                "startsOn": starts_on,
                "objectives": [{"metric": "PROMOTION_RATE", "target": 0.3, "dueOn": "2027-12-31"}],
                "curriculum": {
                    "cadence": "FREQ=WEEKLY;INTERVAL=2;COUNT=6",
                    "sessionMinutes": 45,
                    "modules": [{"title": "Leading change", "discussionGuide": "What changed?"}],
                },
                "matchingPolicy": {"minLevelGap": 1, "maxLevelGap": 6},
                "eligibility": {"levels": [], "departments": [], "roles": []},
            }
        },
    )
    program_id = created["createProgram"]["program"]["id"]
    assert (await ok(system, key, OPEN, {"id": program_id}))["openEnrollment"]["userErrors"] == []
    for people, role in ((mentors, "MENTOR"), (mentees, "MENTEE")):
        for x in people:
            extra = {"capacity": 2} if role == "MENTOR" else {"goals": ["strategy"]}
            enrolled = await ok(
                system,
                key,
                ENROLL,
                {"input": {"programId": program_id, "personId": ids[x], "role": role, **extra}},
            )
            assert enrolled["enroll"]["userErrors"] == [], enrolled
    raw = decode_id("Program", program_id)
    assert raw is not None
    return raw


async def raw_people(system: RunningSystem, key: str, external: list[str]) -> dict[str, str]:
    """Opaque ids by external id, and raw ids under "raw:<external id>", once profiles has
    everyone (patient: a loaded machine takes its time)."""
    query = "query($e: String) { person(externalId: $e) { id } }"
    found: dict[str, str] = {}
    for x in external:

        async def known(x: str = x) -> Any:
            return (await ok(system, key, query, {"e": x}))["person"]

        opaque = (await eventually(known, timeout_s=180))["id"]
        raw = decode_id("Person", opaque)
        assert raw is not None
        found[x], found[f"raw:{x}"] = opaque, raw
    return found


async def test_every_insight_equals_its_independent_computation(system: RunningSystem) -> None:
    tenant = system.create_tenant("Insights Co")
    key, tenant_id = tenant["apiKey"], tenant["tenantId"]
    api = FeedbackApi(system, tenant_id)
    run = uuid.uuid4().hex[:6]
    # 6 mentors (4 of them under-represented: a group of 4 that must never show), 20 mentees
    # (10 and 10), 22 comparable non-participants (11 and 11); all hired before the program.
    mentors = [f"M{i}-{run}" for i in range(6)]
    mentees = [f"P{i}-{run}" for i in range(20)]
    others = [f"C{i}-{run}" for i in range(22)]
    changes = [
        employee(m, level=7, department="Sales", underrepresented=i < 4)
        for i, m in enumerate(mentors)
    ]
    changes += [
        employee(m, level=3, department="Platform", underrepresented=i < 10)
        for i, m in enumerate(mentees)
    ]
    changes += [
        employee(c, level=3, department="Platform", underrepresented=i < 11)
        for i, c in enumerate(others)
    ]
    assert (await system.push_changes(tenant, changes)).status_code == 202
    ids = await raw_people(system, key, mentors + mentees + others)
    today = datetime.now(UTC).date()
    program = await seed_program(
        system, key, "Measured Leaders", ids, mentors, mentees, today.isoformat()
    )

    async def people_known() -> Any:
        found = await api.insights(program)
        wanted = (found["eligible"], found["enrolledMentors"], found["enrolledMentees"])
        return found if wanted == (48, 6, 20) else None

    await eventually(people_known, timeout_s=180)

    # Seven relationships: five held sessions (ACTIVE), one of those completed, one ended.
    now = datetime.now(UTC)
    pairs = [(ids[f"raw:{mentors[i % 6]}"], ids[f"raw:{mentees[i]}"]) for i in range(7)]
    matches = []
    for mentor, mentee in pairs:
        accepted = match_snapshot(program, mentor, mentee, MatchStatus.ACCEPTED, now, 1)
        await system.publish(tenant_id, MatchAccepted(match=accepted))
        matches.append(accepted)
    sessions: list[SessionSnapshot] = []
    held_per_match = [3, 2, 2, 2, 1]
    for index, count in enumerate(held_per_match):
        m = matches[index]
        active = m.model_copy(update={"status": MatchStatus.ACTIVE, "revision": 2})
        await system.publish(tenant_id, MatchActivated(match=active))
        for n in range(count):
            held = session(program, m.id, [m.mentor_id, m.mentee_ids[0]], now, n)
            await system.publish(tenant_id, SessionCompleted(session=held, completed_at=now))
            sessions.append(held)
    done = matches[0].model_copy(
        update={"status": MatchStatus.COMPLETED, "revision": 3, "ended_at": now}
    )
    await system.publish(tenant_id, MatchCompleted(match=done))
    ended = matches[1].model_copy(
        update={"status": MatchStatus.ENDED, "revision": 3, "ended_at": now, "reason": "moved"}
    )
    await system.publish(tenant_id, MatchEnded(match=ended))

    # Every attendee of a held session is asked; so is each side of a closed match.
    asked = len(sessions) * 2 + 2 * 2
    mentee_of_first = matches[0].mentee_ids[0]

    async def requests_issued() -> Any:
        mine = await api.requests_of(mentee_of_first)
        return mine if len(mine) == held_per_match[0] + 1 else None

    await eventually(requests_issued, timeout_s=180)

    # Answers: ratings and recommend scores across the NPS boundaries (6 a detractor, 7 a
    # passive, 9 a promoter), from mentees of the held sessions.
    answers = [(5, 10), (4, 9), (4, 7), (3, 6), (2, 0), (5, 9), (4, 8), (1, 6)]
    given: list[tuple[int, int]] = []
    session_requests = []
    for s in sessions:
        for r in await api.requests_of(s.attendee_ids[1]):  # the mentee
            if r["sessionId"] == s.id:
                session_requests.append(r)
    for request, (rating, recommend) in zip(session_requests, answers, strict=False):
        answer = await api.submit(
            {
                "requestId": request["id"],
                "respondentId": request["respondentId"],
                "rating": rating,
                "recommendScore": recommend,
                "comment": "We talk about my next role",
                "tags": ["career"],
            }
        )
        assert answer.status_code == 201, answer.text
        given.append((rating, recommend))
    assert len(given) == len(answers)

    # Promotions after the program started: 10 of the 20 mentees (5 under-represented), 11 of
    # the 22 others (5 under-represented).
    later = now + timedelta(seconds=1)
    moves = [update(x, 2, later, level=4) for x in mentees[5:15] + others[6:17]]
    assert (await system.push_changes(tenant, moves)).status_code == 202

    async def settled() -> Any:
        found = await api.insights(program)
        promoted = next(
            (o for o in found["outcomes"] if (o["metric"], o["subgroup"]) == ("PROMOTION", "all")),
            None,
        )
        ready = (
            found["ratingResponses"] == len(answers)
            and found["requests"] == asked
            and promoted is not None
            and promoted["participants"] is not None
            and promoted["participants"]["events"] == 10
            and promoted["comparison"]["events"] == 11
        )
        return found if ready else None

    insights = await eventually(settled, timeout_s=180)

    # Participation and engagement, from the raw data.
    assert insights["enrolledMentors"] == len(mentors)
    assert insights["enrolledMentees"] == len(mentees)
    assert insights["eligible"] == len(mentors) + len(mentees) + len(others)
    assert insights["participationRate"] == pytest.approx(26 / 48)
    assert insights["openMatches"] == 7 - 2
    assert insights["activeMatches"] == 5 - 2
    assert insights["sessionsCompleted"] == sum(held_per_match) == len(sessions)
    assert insights["sessionsPerActiveMatch"] == pytest.approx(len(sessions) / 5)
    assert insights["completionRate"] == pytest.approx(1 / 2)
    # Satisfaction: mean rating and NPS with their counts and the response rate.
    ratings = [r for r, _ in given]
    recommends = [s for _, s in given]
    assert insights["averageRating"] == pytest.approx(sum(ratings) / len(ratings))
    assert insights["ratingResponses"] == len(ratings)
    promoters = sum(1 for s in recommends if s >= 9)
    detractors = sum(1 for s in recommends if s <= 6)
    nps = 100 * (promoters - detractors) / len(recommends)
    assert (promoters, detractors) == (3, 3)  # 6 counted as a detractor, 7 and 8 as passives
    assert insights["nps"] == pytest.approx(nps)
    assert insights["npsResponses"] == len(recommends)
    assert insights["requests"] == asked
    assert insights["responseRate"] == pytest.approx(len(given) / asked)
    # Outcomes: one stratum (level 3, Platform, hired 2025), so the comparison is plain.
    row = next(
        o for o in insights["outcomes"] if (o["metric"], o["subgroup"]) == ("PROMOTION", "all")
    )
    assert not row["suppressed"]
    assert (row["participants"]["n"], row["participants"]["events"]) == (20, 10)
    assert (row["comparison"]["n"], row["comparison"]["events"]) == (22, 11)
    assert row["participants"]["rate"] == pytest.approx(10 / 20)
    assert row["comparison"]["rate"] == pytest.approx(11 / 22)
    assert (row["participants"]["low"], row["participants"]["high"]) == pytest.approx(
        wilson(10, 20)
    )
    assert (row["comparison"]["low"], row["comparison"]["high"]) == pytest.approx(wilson(11, 22))
    assert row["difference"] == pytest.approx(0.0, abs=1e-12)
    assert insights["promotionRate"] == pytest.approx(10 / 20)
    # Under-represented participants compared with under-represented others: 5 of 10, 5 of 11.
    mine = next(
        o
        for o in insights["outcomes"]
        if (o["metric"], o["subgroup"]) == ("PROMOTION", "underrepresented=yes")
    )
    if not mine["suppressed"]:
        assert (mine["participants"]["n"], mine["participants"]["events"]) == (10, 5)
        assert (mine["comparison"]["n"], mine["comparison"]["events"]) == (11, 5)
    assert "coarsened exact matching" in insights["method"]
    objective = insights["objectives"][0]
    assert (objective["metric"], objective["current"]) == ("PROMOTION_RATE", pytest.approx(0.5))

    # The group of 4 (under-represented mentors) never shows: not alone, and not as the
    # difference of anything shown — the mentors' total less either part, or another group.
    mentors_share = insights["representation"]["mentors"]
    assert mentors_share == {"count": None, "of": None, "share": None, "suppressed": True}
    shown = [
        v
        for share in insights["representation"].values()
        for v in (share["count"], share["of"])
        if v is not None
    ]
    shown += [insights["enrolledMentors"], insights["enrolledMentees"]]
    for o in insights["outcomes"]:
        for side in ("participants", "comparison"):
            if o[side] is not None:
                shown += [o[side]["n"], o[side]["events"], o[side]["n"] - o[side]["events"]]
    mentor_totals = [insights["enrolledMentors"]]
    assert 4 not in [a - b for a in mentor_totals for b in shown]
    assert 4 not in [b for b in shown if b in (insights["representation"]["mentors"]["count"],)]
    mentees_share = insights["representation"]["mentees"]
    assert mentees_share == {"count": 10, "of": 20, "share": 0.5, "suppressed": False}
    # Among those promoted: 5 of 10 if shown; complementary suppression may hide it whole.
    promoted_share = insights["representation"]["promoted"]
    assert promoted_share in (
        {"count": 5, "of": 10, "share": 0.5, "suppressed": False},
        {"count": None, "of": None, "share": None, "suppressed": True},
    )
    # Another period: the series never breaks people down by self-identification.
    series = await api.call("GET", f"/programs/{program}/insights/series?grain=WEEK")
    assert series.status_code == 200
    assert "underrepresented" not in series.text.lower()
    periods = series.json()["periods"]
    assert sum(p["sessionsCompleted"] for p in periods) == len(sessions)
    assert sum(p["ratingResponses"] for p in periods) == len(ratings)

    # Exports and charts.
    csv = await api.call("GET", f"/programs/{program}/insights.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "section,figure,subgroup,period,value,n,low,high,suppressed"
    assert "participation,enrolled_mentees,all,,20,,,,false" in lines
    assert "representation,underrepresented_share,mentors,,,,,,true" in lines
    exported = await api.call("GET", f"/programs/{program}/insights.json")
    assert exported.json()["insights"]["nps"] == pytest.approx(nps)
    for name in ("adoption", "satisfaction", "outcomes"):
        svg = await api.call("GET", f"/programs/{program}/charts/{name}.svg")
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
        assert b"<svg" in svg.content
        png = await api.call("GET", f"/programs/{program}/charts/{name}.png")
        assert png.content.startswith(b"\x89PNG")
    drawn = (await api.call("GET", f"/programs/{program}/charts/outcomes.json")).json()
    assert [s["name"] for s in drawn["series"]] == ["Participants", "Comparison group"]
    promotion = drawn["series"][0]["points"][0]
    assert (promotion["label"], promotion["denominator"]) == ("Promotion", 20)
    assert promotion["value"] == pytest.approx(0.5)
    assert (
        b"Promotion" in (await api.call("GET", f"/programs/{program}/charts/outcomes.svg")).content
    )
    assert [c["svg"] for c in insights["charts"]] == [
        f"/programs/{program}/charts/{n}.svg" for n in ("adoption", "satisfaction", "outcomes")
    ]
    # A person's token sees no program insights.
    person = await api.call(
        "GET", f"/programs/{program}/insights", principal=f"person:{mentee_of_first}"
    )
    assert person.status_code == 404
