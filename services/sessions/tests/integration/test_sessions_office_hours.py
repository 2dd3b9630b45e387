"""Office hours through the internal API: published with seats (session.scheduled in the
outbox); 50 mentees RSVP at once for 10 seats and exactly 10 get one, the other 40 wait in
the order they arrived; a cancel hands the seat to the first in line. The database guards
the seats (CHECK) and one RSVP per person (unique), on SQLite and PostgreSQL alike."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from contracts.matches import MatchSnapshot
from contracts.people import PersonCreated
from sessions.adapters.calendar_tables import calendar_push
from sessions.adapters.calendars.model import ProviderName
from sessions.adapters.office_hours_tables import office_hours_rsvp, office_hours_seats
from sessions.adapters.replicas import Replicas
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from services.sessions.tests.calendar_world import connect
from services.sessions.tests.integration.sessions_api import (
    Service,
    match,
    person,
    publish_program,
    tenant,
)

STARTS = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)


async def _program(service: Service, t: str, mentees: int) -> tuple[str, list[str]]:
    """A program led by "lead" with `mentees` mentees in accepted matches."""
    await service.deliver(
        t, PersonCreated.model_validate({"person": person("lead", "Europe/London")})
    )
    program_id = await publish_program(service, t)
    names = [f"mentee-{i:02d}" for i in range(mentees)]
    async with service.sessions.process.uow() as uow:
        for name in names:
            snapshot = match(f"mt_{uuid.uuid4().hex}", program_id, "lead", name)
            await Replicas(uow.session, t).keep_match(MatchSnapshot.model_validate(snapshot))
        await uow.commit()
    return program_id, names


async def _publish(service: Service, t: str, program_id: str, capacity: int, **kw: Any) -> Any:
    body = {
        "programId": program_id,
        "hostId": "lead",
        "startsAt": STARTS.isoformat(),
        "durationMinutes": 60,
        "capacity": capacity,
        "title": "Ask me anything",
    } | kw
    return await service.call(t, "POST", "/office-hours", json=body)


async def _rsvp(service: Service, t: str, session_id: str, person_id: str) -> Any:
    return await service.call(
        t, "POST", f"/sessions/{session_id}/rsvp", json={"personId": person_id}
    )


async def _line(service: Service, t: str, session_id: str) -> list[dict[str, Any]]:
    answer = await service.call(t, "GET", f"/sessions/{session_id}/rsvps")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


async def _seats_left(service: Service, t: str, session_id: str) -> int:
    async with service.sessions.process.uow() as uow:
        left = await uow.session.execute(
            select(office_hours_seats.c.seats_left).where(
                office_hours_seats.c.tenant_id == t, office_hours_seats.c.session_id == session_id
            )
        )
        return int(left.scalar_one())


async def test_fifty_mentees_rsvp_at_once_for_ten_seats(service: Service) -> None:
    t = tenant()
    program_id, mentees = await _program(service, t, 50)
    published = await _publish(service, t, program_id, 10)
    assert published.status_code == 201, published.text
    view = published.json()
    assert (view["kind"], view["capacity"], view["status"]) == ("OFFICE_HOURS", 10, "SCHEDULED")
    assert (view["hostId"], view["attendeeIds"], view["module"]) == ("lead", ["lead"], None)
    session_id = view["id"]
    assert [e for e, _, d in await service.events(t) if d["session"]["id"] == session_id] == [
        "session.scheduled"
    ]

    answers = await asyncio.gather(*(_rsvp(service, t, session_id, m) for m in mentees))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    told = {a.json()["personId"]: a.json() for a in answers}
    confirmed = [p for p, a in told.items() if a["status"] == "CONFIRMED"]
    waiting = sorted((a["position"], p) for p, a in told.items() if a["status"] == "WAITLISTED")
    assert len(confirmed) == 10 and len(waiting) == 40
    assert [position for position, _ in waiting] == list(range(1, 41))  # each place once
    assert await _seats_left(service, t, session_id) == 0

    line = await _line(service, t, session_id)
    assert [r["status"] for r in line] == ["CONFIRMED"] * 10 + ["WAITLISTED"] * 40
    assert {r["personId"] for r in line[:10]} == set(confirmed)
    # The line is in arrival order: each mentee stands where they were told on arrival.
    assert [(r["position"], r["personId"]) for r in line[10:]] == waiting

    leaving = confirmed[3]
    gone = await service.call(t, "DELETE", f"/sessions/{session_id}/rsvp/{leaving}")
    assert gone.status_code == 204
    line = await _line(service, t, session_id)
    first_in_line = waiting[0][1]
    seated = {r["personId"] for r in line if r["status"] == "CONFIRMED"}
    assert seated == set(confirmed) - {leaving} | {first_in_line}
    assert [(r["position"], r["personId"]) for r in line[10:]] == [
        (position - 1, p) for position, p in waiting[1:]
    ]
    assert await _seats_left(service, t, session_id) == 0  # the seat passed on, never free
    rsvp_events = [d for e, _, d in await service.events(t) if e == "session.rsvp_changed"]
    assert len(rsvp_events) == 52  # 50 arrivals, one leaving, one moving up
    assert {(d["personId"], d["status"], d["movedUp"]) for d in rsvp_events[-2:]} == {
        (leaving, None, False),
        (first_in_line, "CONFIRMED", True),
    }

    # Leaving the line moves those behind up; no seat changes hands.
    behind = waiting[5][1]
    assert (
        await service.call(t, "DELETE", f"/sessions/{session_id}/rsvp/{behind}")
    ).status_code == 204
    line = await _line(service, t, session_id)
    assert [r["personId"] for r in line[10:]] == [p for _, p in waiting[1:] if p != behind]
    assert [r["position"] for r in line[10:]] == list(range(1, 39))
    again = await _rsvp(service, t, session_id, behind)
    assert again.json() == {"personId": behind, "status": "WAITLISTED", "position": 39}


async def test_a_seat_given_back_with_nobody_waiting_is_free_again(service: Service) -> None:
    t = tenant()
    program_id, (ada, bo) = await _program(service, t, 2)
    session_id = (await _publish(service, t, program_id, 1)).json()["id"]
    assert (await _rsvp(service, t, session_id, ada)).json()["status"] == "CONFIRMED"
    first = await _rsvp(service, t, session_id, ada)  # asking again answers the same
    assert first.json() == {"personId": ada, "status": "CONFIRMED", "position": None}
    assert (await _rsvp(service, t, session_id, bo)).json()["position"] == 1
    await service.call(t, "DELETE", f"/sessions/{session_id}/rsvp/{bo}")
    await service.call(t, "DELETE", f"/sessions/{session_id}/rsvp/{ada}")
    assert await _seats_left(service, t, session_id) == 1
    assert await _line(service, t, session_id) == []
    assert (await _rsvp(service, t, session_id, bo)).json()["status"] == "CONFIRMED"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"durationMinutes": 5}, "durationMinutes"),
        ({"startsAt": "2020-01-01T10:00:00Z"}, "startsAt"),
        ({"startsAt": "2030-01-01T10:00:00"}, "startsAt"),
        ({"programId": "pg_nowhere"}, "programId"),
        ({"hostId": "nobody"}, "hostId"),
        ({"title": "x" * 201}, "title"),
    ],
)
async def test_bad_office_hours_are_refused_naming_the_field(
    service: Service, change: dict[str, Any], field: str
) -> None:
    t = tenant()
    program_id, _ = await _program(service, t, 1)
    answer = await _publish(service, t, program_id, **({"capacity": 5} | change))
    assert answer.status_code in (404, 422), answer.text
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert await service.events(t) == []  # nothing half written


async def test_who_may_rsvp_and_to_what(service: Service) -> None:
    t = tenant()
    program_id, (ada,) = await _program(service, t, 1)
    session_id = (await _publish(service, t, program_id, 3)).json()["id"]
    stranger = await _rsvp(service, t, session_id, "stranger")
    assert stranger.status_code == 422
    assert stranger.json()["code"] == "INELIGIBLE"
    assert stranger.json()["errors"][0]["field"] == "personId"
    host = await _rsvp(service, t, session_id, "lead")
    assert host.status_code == 422 and host.json()["errors"][0]["field"] == "personId"
    assert (await _rsvp(service, t, "se_nowhere", ada)).status_code == 404
    assert (await _rsvp(service, tenant(), session_id, ada)).status_code == 404  # other tenant
    nobody = await service.call(t, "DELETE", f"/sessions/{session_id}/rsvp/{ada}")
    assert nobody.status_code == 404
    assert await _line(service, t, session_id) == []


async def test_the_database_itself_refuses_negative_seats_and_a_second_rsvp(
    service: Service,
) -> None:
    t = tenant()
    program_id, (ada,) = await _program(service, t, 1)
    session_id = (await _publish(service, t, program_id, 1)).json()["id"]
    await _rsvp(service, t, session_id, ada)
    uow = service.sessions.process.uow
    with pytest.raises(IntegrityError):
        async with uow() as work:
            await work.session.execute(
                update(office_hours_seats)
                .where(office_hours_seats.c.session_id == session_id)
                .values(seats_left=office_hours_seats.c.seats_left - 1)
            )
    with pytest.raises(IntegrityError):
        async with uow() as work:
            await work.session.execute(
                insert(office_hours_rsvp).values(
                    tenant_id=t,
                    session_id=session_id,
                    person_id=ada,
                    status="WAITLISTED",
                    rsvped_at=STARTS,
                )
            )
    assert await _seats_left(service, t, session_id) == 0


async def test_seated_mentees_calendars_are_asked_to_show_the_office_hours(
    service: Service,
) -> None:
    t = tenant()
    program_id, (ada, bo) = await _program(service, t, 2)
    await service.deliver(t, PersonCreated.model_validate({"person": person(ada, "Europe/London")}))
    access = service.sessions.calendars
    for who in ("lead", ada, bo):
        url = f"https://dav.example.com/{who}/sessions/"
        await connect(service.sessions.process.uow, access, t, who, ProviderName.CALDAV, url, {})
    session_id = (await _publish(service, t, program_id, 1)).json()["id"]
    await _rsvp(service, t, session_id, ada)
    await _rsvp(service, t, session_id, bo)  # in line: nothing in their calendar yet

    async def pushes() -> dict[str, tuple[list[str], bool]]:
        async with service.sessions.process.uow() as uow:
            rows = await uow.session.execute(
                select(calendar_push).where(
                    calendar_push.c.tenant_id == t, calendar_push.c.session_id == session_id
                )
            )
            return {r.person_id: (r.session["attendee_ids"], r.cancel) for r in rows}

    assert await pushes() == {"lead": (["lead"], False), ada: (["lead", ada], False)}
    await service.call(t, "DELETE", f"/sessions/{session_id}/rsvp/{ada}")
    assert await pushes() == {
        "lead": (["lead"], False),
        ada: (["lead", ada], True),  # taken back from Ada's calendar
        bo: (["lead", bo], False),  # Bo moved up: in Bo's calendar now
    }
