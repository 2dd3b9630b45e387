"""The demo's sessions step: once pairs accept, Cairn books each pair's cadence by itself;
the demo waits for the series, then shows one mentee's upcoming sessions (in their own time
zone, with the curriculum module each covers) and their private calendar feed."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from devstack.demo import queries as q
from devstack.demo.client import Client, wait_for


def booked(client: Client, match_id: str) -> list[dict[str, Any]]:
    """The match's series once the sessions service has planned it (match.accepted travels
    by Kafka: the series appears a moment after the second acceptance)."""

    def series() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = client.run("matchSessions", q.MATCH_SESSIONS, id=match_id)[
            "match"
        ]["sessions"]
        return found or None

    return wait_for("the sessions to be booked", series, timeout_s=60)


def upcoming(client: Client, person_id: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    person: dict[str, Any] = client.run(
        "personSessions", q.PERSON_SESSIONS, id=person_id, **{"from": now}
    )["person"]
    return person


def show_upcoming(person: dict[str, Any]) -> None:
    zone = ZoneInfo(person["timeZone"])
    print(f"  {person['displayName']}'s next sessions ({person['timeZone']}):")
    for s in person["sessions"][:6]:
        starts = datetime.fromisoformat(s["startsAt"]).astimezone(zone)
        ends = datetime.fromisoformat(s["endsAt"]).astimezone(zone)
        module = s["module"]["title"] if s["module"] else "open agenda"
        others = ", ".join(
            a["displayName"] for a in s["attendees"] if a["displayName"] != person["displayName"]
        )
        when = f"{starts:%a %d %b %H:%M} to {ends:%H:%M}"
        print(f"  • {when} with {others}: {module} [{s['status']}]")


def calendar_feed(client: Client, person_id: str) -> tuple[str, int]:
    """The person's feed URL (issued now, shown once) and how many events it answers."""
    url: str = client.run(
        "issueCalendarFeed", q.ISSUE_CALENDAR_FEED, input={"personId": person_id}
    )["issueCalendarFeed"]["calendarFeed"]["url"]
    feed = httpx.get(url, timeout=10)  # no API key: the token in the URL is the credential
    feed.raise_for_status()
    return url, feed.text.count("BEGIN:VEVENT")
