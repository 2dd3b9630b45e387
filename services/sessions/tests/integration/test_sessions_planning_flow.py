"""An accepted match's whole series, planned through sessions' consumer handlers: inside
everyone's working hours in their own zones, clear of what they already have booked, right
across both March DST changes (the US on 14 March 2027, the EU on 28 March), with its modules;
and planned once however often the acceptance arrives."""

from datetime import datetime, time
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from contracts.matches import MatchAccepted
from contracts.programs import ProgramPublished

from services.sessions.tests.integration.sessions_api import (
    Service,
    accept,
    hire,
    match,
    program,
    publish_program,
    tenant,
    types,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

ZONES = {"lon": "Europe/London", "nyc": "America/New_York", "sin": "Asia/Singapore"}
SINGAPORE_HOURS = [{"weekday": d, "start": "10:00", "end": "20:00"} for d in range(5)]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _inside(session: dict[str, Any], zone: str, start: time, end: time) -> bool:
    tz = ZoneInfo(zone)
    s, e = _at(session["startsAt"]).astimezone(tz), _at(session["endsAt"]).astimezone(tz)
    return s.date() == e.date() and s.weekday() < 5 and start <= s.time() and e.time() <= end


async def _cast(service: Service) -> tuple[str, str]:
    t = tenant()
    for person_id, zone in ZONES.items():
        await hire(service, t, person_id, zone)
    await hire(service, t, "sin2", "Asia/Singapore")
    for who in ("sin", "sin2"):
        hours = await service.call(
            t, "PUT", f"/people/{who}/working-hours", json={"days": SINGAPORE_HOURS}
        )
        assert hours.status_code == 200, hours.text
    return t, await publish_program(service, t)


async def test_a_series_across_three_zones_fits_everyone_across_both_dst_changes(
    service: Service,
) -> None:
    t, program_id = await _cast(service)
    with_new_york = await accept(service, t, program_id, "lon", "nyc")
    with_singapore = await accept(service, t, program_id, "lon", "sin")
    # The second Singapore mentee wants the same London mornings the first one has.
    crowded = await accept(service, t, program_id, "lon", "sin2")

    ny = await service.series(t, with_new_york)
    sg = await service.series(t, with_singapore)
    sg2 = await service.series(t, crowded)
    for series in (ny, sg, sg2):
        assert [s["status"] for s in series] == ["SCHEDULED"] * 6
        assert [s["sequence"] for s in series] == list(range(6))
        assert [s["final"] for s in series] == [False] * 5 + [True]
    # Starts span both transitions: before 14 March, between, after 28 March.
    starts = [_at(s["startsAt"]) for s in ny]
    assert starts[0] < _at("2027-03-14T07:00:00Z") < starts[2]
    assert starts[3] < _at("2027-03-28T01:00:00Z") < starts[5]

    nine, five = time(9), time(17)
    for s in ny:
        assert _inside(s, "Europe/London", nine, five), s["startsAt"]
        assert _inside(s, "America/New_York", nine, five), s["startsAt"]
    for s in sg + sg2:
        assert _inside(s, "Europe/London", nine, five), s["startsAt"]
        assert _inside(s, "Asia/Singapore", time(10), time(20)), s["startsAt"]
    # The rhythm is the host's clock: the same London wall time every week, DST or not.
    for series in (ny, sg):
        walls = {_at(s["startsAt"]).astimezone(ZoneInfo("Europe/London")).time() for s in series}
        assert len(walls) == 1, walls
    # The mentor is never booked twice: each series avoided the ones before it.
    mine = [(_at(s["startsAt"]), _at(s["endsAt"])) for s in ny + sg + sg2]
    for (a0, a1), (b0, b1) in combinations(mine, 2):
        assert a1 <= b0 or b1 <= a0, (a0, b0)

    first = sg[0]
    assert first["module"] == {
        "index": 0,
        "title": "Module 0",
        "discussionGuide": "Talk about topic 0",
        "preWork": ["Read chapter 0"],
    }
    assert sg[3]["module"] is None  # the curriculum has three modules
    assert [a["personId"] for a in first["attendance"]] == ["lon", "sin"]
    events = await service.events(t)
    scheduled = [e for e in events if e[0] == "session.scheduled"]
    assert len(scheduled) == 18
    assert {e[1] for e in scheduled} == {with_new_york, with_singapore, crowded}


async def test_an_acceptance_that_arrives_again_plans_nothing_twice(service: Service) -> None:
    t, program_id = await _cast(service)
    match_id = await accept(service, t, program_id, "lon", "nyc")
    again = match(match_id, program_id, "lon", "nyc")
    again["revision"] = 3
    await service.deliver(t, MatchAccepted.model_validate({"match": again}))
    assert len(await service.series(t, match_id)) == 6
    assert types(await service.events(t)).count("session.scheduled") == 6


async def test_no_shared_hours_keeps_every_occurrence_unscheduled_with_the_reason(
    service: Service,
) -> None:
    t = tenant()
    await hire(service, t, "lon", "Europe/London")
    await hire(service, t, "sin", "Asia/Singapore")  # default hours: none shared with London
    program_id = await publish_program(service, t, cadence="FREQ=WEEKLY;COUNT=3")
    match_id = await accept(service, t, program_id, "lon", "sin")
    series = await service.series(t, match_id)
    assert [s["status"] for s in series] == ["UNSCHEDULED"] * 3
    assert all("share no" in s["unscheduledReason"] for s in series)
    assert all(e == "session.scheduled" for e in types(await service.events(t)))


async def test_an_acceptance_that_overtakes_its_program_is_planned_when_it_arrives(
    service: Service,
) -> None:
    t = tenant()
    await hire(service, t, "ber", "Europe/Berlin")
    await hire(service, t, "par", "Europe/Paris")
    snapshot = program("pg_late", cadence="FREQ=WEEKLY;COUNT=2")
    match_id = "mt_" + "1" * 32
    await service.deliver(
        t, MatchAccepted.model_validate({"match": match(match_id, "pg_late", "ber", "par")})
    )
    assert await service.series(t, match_id) == []
    await service.deliver(t, ProgramPublished.model_validate({"program": snapshot}))
    assert [s["status"] for s in await service.series(t, match_id)] == ["SCHEDULED"] * 2


async def test_a_person_heard_of_after_the_acceptance_gets_the_series_placed(
    service: Service,
) -> None:
    t = tenant()
    await hire(service, t, "ber", "Europe/Berlin")
    program_id = await publish_program(service, t, cadence="FREQ=WEEKLY;COUNT=2")
    match_id = await accept(service, t, program_id, "ber", "par")
    waiting = await service.series(t, match_id)
    assert [s["status"] for s in waiting] == ["UNSCHEDULED"] * 2
    assert "does not know par" in waiting[0]["unscheduledReason"]
    await hire(service, t, "par", "Europe/Paris")
    assert [s["status"] for s in await service.series(t, match_id)] == ["SCHEDULED"] * 2
