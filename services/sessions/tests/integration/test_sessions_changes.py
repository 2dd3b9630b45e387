"""A session's changes through the API: booked at a time (checked) or at the next slot that
fits, moved alone or with the rest of its series, cancelled, held (early too) or missed;
action items that carry onto the next session's agenda. Bad input is a 4xx naming the field
and leaves nothing written."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.sessions.tests.integration.sessions_api import (
    Service,
    accept,
    hire,
    publish_program,
    tenant,
    types,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _pair(service: Service) -> tuple[str, str, list[dict[str, Any]]]:
    t = tenant()
    await hire(service, t, "ber", "Europe/Berlin")
    await hire(service, t, "par", "Europe/Paris")
    program_id = await publish_program(service, t, cadence="FREQ=WEEKLY;COUNT=4")
    match_id = await accept(service, t, program_id, "ber", "par")
    return t, match_id, await service.series(t, match_id)


async def _unchanged(service: Service, t: str, match_id: str, before: list[Any]) -> None:
    assert await service.series(t, match_id) == before


async def test_booking_at_a_time_is_checked_and_the_next_slot_is_found(service: Service) -> None:
    t, match_id, series = await _pair(service)
    events = len(await service.events(t))
    # 2027-03-01 is a Monday; 03:00 Berlin is outside everyone's hours.
    night = await service.call(
        t, "POST", "/sessions", json={"matchId": match_id, "startsAt": "2027-03-02T02:00:00Z"}
    )
    assert night.status_code == 422
    assert night.json()["errors"][0]["field"] == "startsAt"
    assert "outside the working hours" in night.json()["errors"][0]["message"]
    clash = await service.call(
        t, "POST", "/sessions", json={"matchId": match_id, "startsAt": series[0]["startsAt"]}
    )
    assert clash.status_code == 422 and "busy" in clash.json()["errors"][0]["message"]
    past = await service.call(
        t, "POST", "/sessions", json={"matchId": match_id, "startsAt": "2020-03-02T10:00:00Z"}
    )
    assert past.status_code == 422 and "has passed" in past.json()["errors"][0]["message"]
    naive = await service.call(
        t, "POST", "/sessions", json={"matchId": match_id, "startsAt": "2027-03-02T10:00:00"}
    )
    assert naive.status_code == 422
    stranger = await service.call(t, "POST", "/sessions", json={"matchId": "mt_nobody"})
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "matchId"
    await _unchanged(service, t, match_id, series)
    assert len(await service.events(t)) == events

    fits = await service.call(
        t, "POST", "/sessions", json={"matchId": match_id, "startsAt": "2027-03-02T10:00:00Z"}
    )
    assert fits.status_code == 201, fits.text
    assert fits.json()["sequence"] == 4 and fits.json()["status"] == "SCHEDULED"
    nxt = await service.call(t, "POST", "/sessions", json={"matchId": match_id})
    assert nxt.status_code == 201, nxt.text
    start = _at(nxt.json()["startsAt"])
    assert start >= datetime.now(UTC) + timedelta(hours=12)
    assert types(await service.events(t))[-2:] == ["session.scheduled"] * 2


async def test_moving_one_or_the_rest_of_the_series(service: Service) -> None:
    t, match_id, series = await _pair(service)
    second = series[1]
    later = _at(second["startsAt"]) + timedelta(hours=1)
    moved = await service.call(
        t, "POST", f"/sessions/{second['id']}/reschedule", json={"startsAt": _iso(later)}
    )
    assert moved.status_code == 200, moved.text
    assert _at(moved.json()["startsAt"]) == later
    assert moved.json()["revision"] == second["revision"] + 1
    after = await service.series(t, match_id)
    assert [s["startsAt"] for s in after[2:]] == [s["startsAt"] for s in series[2:]]

    # The whole rest a day later; a move that does not fit one of them moves none.
    shift = timedelta(days=1)
    rest = await service.call(
        t,
        "POST",
        f"/sessions/{series[1]['id']}/reschedule",
        json={"startsAt": _iso(later + shift), "scope": "FOLLOWING"},
    )
    assert rest.status_code == 200, rest.text
    after = await service.series(t, match_id)
    assert [_at(s["startsAt"]) for s in after[2:]] == [
        _at(s["startsAt"]) + shift for s in series[2:]
    ]
    saturday = await service.call(
        t,
        "POST",
        f"/sessions/{series[1]['id']}/reschedule",
        json={"startsAt": _iso(later + shift + timedelta(days=4)), "scope": "FOLLOWING"},
    )
    assert saturday.status_code == 422, saturday.text
    assert await service.series(t, match_id) == after
    assert types(await service.events(t)).count("session.rescheduled") == 4


async def test_cancel_complete_and_no_show(service: Service) -> None:
    t, match_id, series = await _pair(service)
    first, second, third = series[0], series[1], series[2]
    outsider = await service.call(
        t, "POST", f"/sessions/{first['id']}/cancel", json={"actorId": "someone-else"}
    )
    assert outsider.status_code == 422 and outsider.json()["errors"][0]["field"] == "actorId"
    early = await service.call(t, "POST", f"/sessions/{first['id']}/no-show", json={})
    assert early.status_code == 409  # nobody can have missed it yet

    # People meet early: a session is completed any time once booked.
    held = await service.call(
        t,
        "POST",
        f"/sessions/{first['id']}/complete",
        json={"actorId": "par", "attendance": {"ber": "ATTENDED", "par": "ATTENDED"}},
    )
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "COMPLETED" and held.json()["heldAt"] is not None
    assert {a["personId"]: a["status"] for a in held.json()["attendance"]} == {
        "ber": "ATTENDED",
        "par": "ATTENDED",
    }
    again = await service.call(t, "POST", f"/sessions/{first['id']}/complete", json={})
    assert again.status_code == 409
    future = _iso(datetime.now(UTC) + timedelta(days=1))
    ahead = await service.call(
        t, "POST", f"/sessions/{second['id']}/complete", json={"heldAt": future}
    )
    assert ahead.status_code == 422 and ahead.json()["errors"][0]["field"] == "heldAt"

    cancelled = await service.call(
        t, "POST", f"/sessions/{third['id']}/cancel", json={"actorId": "ber", "reason": "travel"}
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancelledReason"]) == (
        "CANCELLED",
        "travel",
    )
    events = await service.events(t)
    assert types(events)[-2:] == ["session.completed", "session.cancelled"]
    completed = events[-2][2]
    assert completed["session"]["matchIds"] == [match_id]
    assert completed["session"]["final"] is False
    missing = await service.call(t, "GET", "/sessions/se_nothing")
    assert missing.status_code == 404


async def test_action_items_carry_onto_the_next_sessions_agenda(service: Service) -> None:
    t, match_id, series = await _pair(service)
    first, second = series[0], series[1]
    added = await service.call(
        t,
        "POST",
        f"/sessions/{first['id']}/action-items",
        json={"ownerId": "par", "text": "Draft the team charter", "dueOn": "2027-03-05"},
    )
    assert added.status_code == 201, added.text
    item = added.json()
    assert (item["ownerId"], item["done"], item["matchIds"]) == ("par", False, [match_id])
    bad_owner = await service.call(
        t, "POST", f"/sessions/{first['id']}/action-items", json={"ownerId": "x", "text": "t"}
    )
    assert bad_owner.status_code == 422 and bad_owner.json()["errors"][0]["field"] == "ownerId"

    nxt = (await service.call(t, "GET", f"/sessions/{second['id']}")).json()
    assert [a["id"] for a in nxt["agenda"]] == [item["id"]]
    here = (await service.call(t, "GET", f"/sessions/{first['id']}")).json()
    assert [a["id"] for a in here["actionItems"]] == [item["id"]] and here["agenda"] == []

    done = await service.call(t, "POST", f"/action-items/{item['id']}/complete")
    assert done.status_code == 200 and done.json()["done"] is True
    nxt = (await service.call(t, "GET", f"/sessions/{second['id']}")).json()
    assert nxt["agenda"] == []
    assert types(await service.events(t))[-2:] == ["actionitem.created", "actionitem.completed"]


async def test_lists_and_batches(service: Service) -> None:
    t, _, series = await _pair(service)
    page = await service.call(t, "GET", "/sessions", params={"personId": "par", "first": 3})
    assert page.status_code == 200
    body = page.json()
    assert body["totalCount"] == 4 and body["hasNextPage"] is True
    assert [e["node"]["id"] for e in body["edges"]] == [s["id"] for s in series[:3]]
    rest = await service.call(
        t,
        "GET",
        "/sessions",
        params={"personId": "par", "first": 3, "after": body["edges"][-1]["cursor"]},
    )
    assert [e["node"]["id"] for e in rest.json()["edges"]] == [series[3]["id"]]
    backwards = await service.call(
        t,
        "GET",
        "/sessions",
        params={"from": "2027-04-01T00:00:00Z", "to": "2027-03-01T00:00:00Z"},
    )
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "to"

    by_ids = await service.call(
        t, "POST", "/sessions/batch", json={"ids": [series[2]["id"], "se_unknown", series[0]["id"]]}
    )
    assert [s["id"] for s in by_ids.json()["items"]] == [series[2]["id"], series[0]["id"]]
    window = {"from": series[1]["startsAt"], "to": series[3]["startsAt"]}
    by_people = await service.call(
        t, "POST", "/people/sessions/batch", json={"personIds": ["ber", "nobody"], **window}
    )
    assert by_people.json()["items"] == [
        {"personId": "ber", "items": series[1:3]},
        {"personId": "nobody", "items": []},
    ]
    other_tenant = await service.call(tenant(), "GET", f"/sessions/{series[0]['id']}")
    assert other_tenant.status_code == 404
