"""The org moves under a series: a leaver's, an ended or declined match's sessions ahead are
cancelled (session.cancelled each, so calendars drop them); a new time zone or new working
hours re-check the sessions ahead and move only the ones that no longer fit
(session.rescheduled), or leave them UNSCHEDULED with the reason when nothing fits."""

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from contracts.matches import MatchDeclined, MatchEnded
from contracts.people import PersonTerminated, PersonUpdated

from services.sessions.tests.integration.sessions_api import (
    Service,
    accept,
    hire,
    match,
    person,
    publish_program,
    tenant,
    types,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _local(session: dict[str, Any], zone: str) -> datetime:
    at = datetime.fromisoformat(session["startsAt"].replace("Z", "+00:00"))
    return at.astimezone(ZoneInfo(zone))


async def _two_series(service: Service) -> tuple[str, str, str, str]:
    t = tenant()
    for who, zone in (("ber", "Europe/Berlin"), ("par", "Europe/Paris"), ("mad", "Europe/Madrid")):
        await hire(service, t, who, zone)
    program_id = await publish_program(service, t, cadence="FREQ=WEEKLY;COUNT=3")
    first = await accept(service, t, program_id, "ber", "par")
    second = await accept(service, t, program_id, "ber", "mad")
    return t, program_id, first, second


async def test_a_leavers_sessions_ahead_are_cancelled(service: Service) -> None:
    t, _, with_par, with_mad = await _two_series(service)
    held = (await service.series(t, with_par))[0]
    await service.call(t, "POST", f"/sessions/{held['id']}/complete", json={})
    gone = {**person("par", "Europe/Paris", status="TERMINATED", revision=2)}
    await service.deliver(
        t,
        PersonTerminated.model_validate(
            {"person": gone, "terminatedAt": datetime.now(UTC).isoformat()}
        ),
    )
    series = await service.series(t, with_par)
    assert [s["status"] for s in series] == ["COMPLETED", "CANCELLED", "CANCELLED"]
    assert series[1]["cancelledReason"] == "Person par left the organization"
    assert {s["status"] for s in await service.series(t, with_mad)} == {"SCHEDULED"}
    cancelled = [e for e in await service.events(t) if e[0] == "session.cancelled"]
    assert len(cancelled) == 2 and all(e[2]["cancelledBy"] is None for e in cancelled)


@pytest.mark.parametrize("event", [MatchEnded, MatchDeclined])
async def test_an_ended_or_declined_match_cancels_its_sessions_ahead(
    service: Service, event: type[MatchEnded] | type[MatchDeclined]
) -> None:
    t, program_id, with_par, with_mad = await _two_series(service)
    status = "ENDED" if event is MatchEnded else "DECLINED"
    ended = match(with_mad, program_id, "ber", "mad", status=status)
    ended.update(revision=3, reason="the mentee asked")
    await service.deliver(t, event.model_validate({"match": ended}))
    series = await service.series(t, with_mad)
    assert {s["status"] for s in series} == {"CANCELLED"}
    assert series[0]["cancelledReason"] == "the match ended: the mentee asked"
    assert {s["status"] for s in await service.series(t, with_par)} == {"SCHEDULED"}


async def test_a_new_time_zone_moves_only_the_sessions_that_no_longer_fit(
    service: Service,
) -> None:
    t, _, with_par, _ = await _two_series(service)
    before = await service.series(t, with_par)
    count = len(await service.events(t))
    # Paris → Singapore: Berlin's 09:00-17:00 and Singapore's share 09:00-10:00 Berlin.
    moved = {**person("par", "Asia/Singapore", revision=2)}
    await service.deliver(
        t, PersonUpdated.model_validate({"person": moved, "changedFields": ["timeZone"]})
    )
    after = await service.series(t, with_par)
    for s in after:
        assert s["status"] == "SCHEDULED"
        assert time(9) <= _local(s, "Asia/Singapore").time() <= time(16)
        assert time(9) <= _local(s, "Europe/Berlin").time() < time(10)
    changed = [e for e in (await service.events(t))[count:] if e[0] == "session.rescheduled"]
    assert len(changed) == len([b for b, a in zip(before, after, strict=True) if b != a]) > 0


async def test_working_hours_with_no_overlap_leave_sessions_unscheduled_with_why(
    service: Service,
) -> None:
    t, _, with_par, _ = await _two_series(service)
    evenings = [{"weekday": d, "start": "19:00", "end": "22:00"} for d in range(5)]
    answer = await service.call(t, "PUT", "/people/par/working-hours", json={"days": evenings})
    assert answer.status_code == 200, answer.text
    assert answer.json()["customized"] is True
    assert answer.json()["days"][0] == {"weekday": 0, "start": "19:00", "end": "22:00"}
    series = await service.series(t, with_par)
    assert {s["status"] for s in series} == {"UNSCHEDULED"}
    assert all("share no" in s["unscheduledReason"] for s in series)
    assert types(await service.events(t))[-3:] == ["session.rescheduled"] * 3


async def test_bad_working_hours_are_refused_and_change_nothing(service: Service) -> None:
    t, _, with_par, _ = await _two_series(service)
    before = await service.series(t, with_par)
    cases = [
        ({"timeZone": "Mars/Olympus", "days": []}, "timeZone"),
        ({"days": [{"weekday": 0, "start": "17:00", "end": "09:00"}]}, "days.0"),
        ({"days": [{"weekday": 7, "start": "09:00", "end": "17:00"}]}, "days.0.weekday"),
        ({"days": []}, "days"),
    ]
    for body, field in cases:
        answer = await service.call(t, "PUT", "/people/par/working-hours", json=body)
        assert answer.status_code == 422, body
        fields = [e["field"] for e in answer.json()["errors"]]
        assert any(f.endswith(field) for f in fields), (body, fields)
    assert await service.series(t, with_par) == before
    hours = (await service.call(t, "GET", "/people/par/working-hours")).json()
    assert hours == {
        "personId": "par",
        "timeZone": "Europe/Paris",
        "days": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
        "customized": False,
    }
    unknown = await service.call(t, "GET", "/people/nobody/working-hours")
    assert unknown.status_code == 404
