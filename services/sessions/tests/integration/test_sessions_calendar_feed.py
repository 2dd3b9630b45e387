"""The internal calendar provider: a person's ICS feed behind an unguessable token. It parses
with icalendar; an update keeps the event's UID and raises its SEQUENCE; a cancelled session
stays in the feed as STATUS:CANCELLED; a rotated, revoked, malformed or made-up token is 404,
and a token opens its own person's feed only."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from services.sessions.tests.integration.sessions_api import (
    Service,
    accept,
    hire,
    publish_program,
    tenant,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _feed(service: Service, t: str, token: str) -> Calendar:
    answer = await service.call(t, "GET", f"/calendar-feeds/{token}.ics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(answer.content)


def _events(cal: Calendar) -> dict[str, dict[str, object]]:
    return {
        str(e["uid"]): {
            "sequence": int(e["sequence"]),
            "status": str(e["status"]),
            "start": e["dtstart"].dt.astimezone(UTC),
        }
        for e in cal.walk("VEVENT")
    }


async def test_the_feed_follows_every_change_of_the_persons_sessions(service: Service) -> None:
    t = tenant()
    await hire(service, t, "ber", "Europe/Berlin")
    await hire(service, t, "par", "Europe/Paris")
    await hire(service, t, "osl", "Europe/Oslo")
    program_id = await publish_program(service, t, cadence="FREQ=WEEKLY;COUNT=3")
    match_id = await accept(service, t, program_id, "ber", "par")
    series = await service.series(t, match_id)

    issued = await service.call(t, "POST", "/people/par/calendar-feed")
    assert issued.status_code == 200, issued.text
    token = issued.json()["token"]
    assert issued.json()["path"] == f"/calendar/{token}.ics"
    cal = await _feed(service, t, token)
    assert str(cal["method"]) == "PUBLISH"
    before = _events(cal)
    assert set(before) == {f"{s['id']}@cairn" for s in series}
    assert {e["status"] for e in before.values()} == {"CONFIRMED"}

    first, second = series[0], series[1]
    later = datetime.fromisoformat(first["startsAt"].replace("Z", "+00:00")) + timedelta(hours=1)
    moved = await service.call(
        t, "POST", f"/sessions/{first['id']}/reschedule", json={"startsAt": later.isoformat()}
    )
    assert moved.status_code == 200, moved.text
    await service.call(t, "POST", f"/sessions/{second['id']}/cancel", json={"reason": "holiday"})
    after = _events(await _feed(service, t, token))
    uid1, uid2 = f"{first['id']}@cairn", f"{second['id']}@cairn"
    assert set(after) == set(before)  # same UIDs: updates replace, nothing is added
    assert after[uid1]["sequence"] > before[uid1]["sequence"]
    assert after[uid1]["start"] == later.astimezone(UTC)
    assert after[uid2]["status"] == "CANCELLED"
    assert after[uid2]["sequence"] > before[uid2]["sequence"]

    # Rotating: the old token stops working; another person's token opens only their feed.
    rotated = (await service.call(t, "POST", "/people/par/calendar-feed")).json()["token"]
    gone = await service.call(t, "GET", f"/calendar-feeds/{token}.ics")
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert set(_events(await _feed(service, t, rotated))) == set(before)
    theirs = (await service.call(t, "POST", "/people/osl/calendar-feed")).json()["token"]
    assert _events(await _feed(service, t, theirs)) == {}
    for bad in ("not-a-token", "A" * 43, rotated[:-1] + ("A" if rotated[-1] != "A" else "B")):
        assert (await service.call(t, "GET", f"/calendar-feeds/{bad}.ics")).status_code == 404

    revoked = await service.call(t, "DELETE", "/people/par/calendar-feed")
    assert revoked.status_code == 204
    assert (await service.call(t, "GET", f"/calendar-feeds/{rotated}.ics")).status_code == 404
    again = await service.call(t, "DELETE", "/people/par/calendar-feed")
    assert again.status_code == 404
    nobody = await service.call(t, "POST", "/people/nobody/calendar-feed")
    assert nobody.status_code == 404
