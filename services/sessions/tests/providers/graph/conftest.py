"""A local Microsoft Graph answering with the documented shapes: getSchedule with times
without an offset in the zone of `Prefer: outlook.timezone` (named as asked, Windows names
included), capitalised statuses and per-schedule errors inside a 200; event creation that
answers a repeated `transactionId` with the event it already made; Teams meetings that a
PATCH without the online-meeting members keeps and that cannot be turned off; cancel."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

_USER = r"^/v1\.0/(?:me|users/([^/]+))"
_SCHEDULE = re.compile(_USER + r"/calendar/getSchedule$")
_CREATE = re.compile(_USER + r"/calendar/events$")
_EVENT = re.compile(_USER + r"/events/([^/]+)(/cancel)?$")
_PREFER = re.compile(r'outlook\.timezone="([^"]+)"')


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": code, "message": message}}


def _utc(value: dict[str, str]) -> datetime:
    zone = ZoneInfo(WINDOWS_TO_OLSON.get(value["timeZone"], value["timeZone"]))
    return datetime.fromisoformat(value["dateTime"]).replace(tzinfo=zone).astimezone(UTC)


@dataclass
class FakeGraph:
    tokens: Any
    reply: Callable[..., Any]
    # address -> [(start UTC, end UTC, status)] as the mailbox would show them
    schedules: dict[str, list[tuple[datetime, datetime, str]]] = field(default_factory=dict)
    failing: dict[str, tuple[str, str]] = field(default_factory=dict)  # -> (code, message)
    view_only: set[str] = field(default_factory=set)  # mailboxes that share availability only
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    transactions: dict[str, str] = field(default_factory=dict)  # transactionId -> event id
    served: Any = None

    def __call__(self, request: Any) -> Any:
        if not self.tokens.valid(request.headers.get("authorization")):
            return self.reply(
                *_error(
                    401,
                    "InvalidAuthenticationToken",
                    "Access token has expired or is not yet valid.",
                )
            )
        if request.method == "POST" and _SCHEDULE.match(request.path):
            return self.reply(*self._schedule(request))
        if request.method == "POST" and _CREATE.match(request.path):
            return self.reply(*self._create(request.json()))
        match = _EVENT.match(request.path)
        if match is None:
            return self.reply(*_error(400, "BadRequest", f"Unsupported segment {request.path}"))
        event = self.events.get(match.group(2))
        if event is None or event.get("isCancelled"):
            return self.reply(
                *_error(
                    404, "ErrorItemNotFound", "The specified object was not found in the store."
                )
            )
        if match.group(3) and request.method == "POST":
            event["isCancelled"] = True
            event["cancelComment"] = request.json().get("comment")
            return self.reply(202)
        if request.method == "GET":
            return self.reply(200, event)
        if request.method == "PATCH":
            return self.reply(*self._patch(event, request.json()))
        return self.reply(*_error(405, "ErrorInvalidRequest", "Method not allowed"))

    def _schedule(self, request: Any) -> tuple[int, dict[str, Any]]:
        prefer = _PREFER.search(request.headers.get("prefer", ""))
        zone_name = prefer.group(1) if prefer else "UTC"
        zone = ZoneInfo(WINDOWS_TO_OLSON.get(zone_name, zone_name))
        body = request.json()
        low, high = _utc(body["startTime"]), _utc(body["endTime"])
        step = timedelta(minutes=body.get("availabilityViewInterval", 30))

        def local(moment: datetime) -> dict[str, str]:
            wall = moment.astimezone(zone).replace(tzinfo=None)
            return {"dateTime": wall.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": zone_name}

        value = []
        for address in body["schedules"]:
            if address in self.failing:
                code, message = self.failing[address]
                value.append(
                    {
                        "scheduleId": address,
                        "availabilityView": "",
                        "error": {"message": message, "responseCode": code},
                    }
                )
                continue
            items = [i for i in self.schedules.get(address, []) if i[0] < high and i[1] > low]
            view = ""
            moment = low
            while moment < high:
                codes = [
                    {
                        "Free": "0",
                        "Tentative": "1",
                        "Busy": "2",
                        "Oof": "3",
                        "WorkingElsewhere": "4",
                    }[s]
                    for s_start, s_end, s in items
                    if s_start < moment + step and s_end > moment
                ]
                view += max(codes, default="0")
                moment += step
            info: dict[str, Any] = {"scheduleId": address, "availabilityView": view}
            if address not in self.view_only:
                info["scheduleItems"] = [
                    {
                        "isPrivate": False,
                        "status": s,
                        "subject": "Private thing",
                        "location": "",
                        "isMeeting": True,
                        "isRecurring": False,
                        "isException": False,
                        "isReminderSet": True,
                        "start": local(a),
                        "end": local(b),
                    }
                    for a, b, s in items
                ]
                info["workingHours"] = {
                    "daysOfWeek": ["monday"],
                    "startTime": "08:00:00.0000000",
                    "endTime": "17:00:00.0000000",
                    "timeZone": {"name": "Pacific Standard Time"},
                }
            value.append(info)
        return 200, {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection("
            "microsoft.graph.scheduleInformation)",
            "value": value,
        }

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        known = self.transactions.get(body.get("transactionId", ""))
        if known is not None:
            return 201, self.events[known]  # the same event, not a second one
        event_id = "AAMkAG" + secrets.token_hex(12)
        event = {
            "@odata.etag": f'W/"{secrets.token_hex(6)}"',
            "id": event_id,
            "iCalUId": "040000008200E00074C5B7101A82E008" + secrets.token_hex(8),
            "changeKey": secrets.token_hex(6),
            "transactionId": body.get("transactionId"),
            "subject": body["subject"],
            "body": body.get("body"),
            "start": body["start"],
            "end": body["end"],
            "isOnlineMeeting": bool(body.get("isOnlineMeeting")),
            "onlineMeetingProvider": body.get("onlineMeetingProvider", "unknown"),
            "onlineMeeting": None,
            "attendees": [
                {**a, "status": {"response": "none", "time": "0001-01-01T00:00:00Z"}}
                for a in body.get("attendees", [])
            ],
        }
        if event["isOnlineMeeting"]:
            event["onlineMeeting"] = {
                "joinUrl": f"https://teams.microsoft.com/l/meetup-join/{secrets.token_hex(8)}"
            }
        self.events[event_id] = event
        if body.get("transactionId"):
            self.transactions[body["transactionId"]] = event_id
        return 201, event

    def _patch(self, event: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if event["isOnlineMeeting"] and body.get("isOnlineMeeting") is False:
            return _error(400, "ErrorInvalidRequest", "isOnlineMeeting cannot be turned off.")
        for key, value in body.items():
            if key == "attendees":
                answers = {a["emailAddress"]["address"]: a["status"] for a in event["attendees"]}
                value = [
                    {**a, "status": answers.get(a["emailAddress"]["address"], {"response": "none"})}
                    for a in value
                ]
            event[key] = value
        event["changeKey"] = secrets.token_hex(6)
        return 200, event


@pytest.fixture
def graph(serve: Callable[..., Any], oauth: Any, http_reply: Callable[..., Any]) -> FakeGraph:
    fake = FakeGraph(oauth, http_reply)
    fake.served = serve(fake)
    return fake
