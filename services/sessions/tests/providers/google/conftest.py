"""A local Google Calendar API v3 that answers with the documented shapes: freeBusy with
per-calendar errors inside a 200; events.insert with a client id (base32hex, 5-1024 chars;
a duplicate is 409, and a deleted event keeps its id with status "cancelled", so
re-inserting it is 409 too while patching it works); delete answering 410 once deleted;
Meet links only with conferenceDataVersion=1; 401 for a token it does not know."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

PREFIX = "/calendar/v3"
_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_EVENT = re.compile(rf"^{PREFIX}/calendars/([^/]+)/events(?:/([^/]+))?$")


def _error(status: int, message: str, reason: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": {
            "errors": [{"domain": "global", "reason": reason, "message": message}],
            "code": status,
            "message": message,
        }
    }


@dataclass
class FakeGoogle:
    tokens: Any  # the TokenEndpoint: which access tokens are valid
    reply: Callable[..., Any]
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    busy: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # calendar -> freeBusy error reason
    served: Any = None  # the HTTP server's record (url, requests, queued answers)

    def __call__(self, request: Any) -> Any:
        if not self.tokens.valid(request.headers.get("authorization")):
            status, body = _error(
                401, "Request had invalid authentication credentials.", "authError"
            )
            return self.reply(status, body, {"WWW-Authenticate": "Bearer"})
        if request.method == "POST" and request.path == f"{PREFIX}/freeBusy":
            return self.reply(200, self._free_busy(request.json()))
        match = _EVENT.match(request.path)
        if match is None:
            return self.reply(*_error(404, "Not Found", "notFound"))
        calendar, event_id = match.group(1), match.group(2)
        if calendar not in self.events:
            return self.reply(*_error(404, "Not Found", "notFound"))
        stored = self.events[calendar]
        if event_id is None and request.method == "POST":
            return self.reply(*self._insert(stored, request))
        if event_id not in stored:
            return self.reply(*_error(404, "Not Found", "notFound"))
        event = stored[event_id]
        if request.method == "GET":
            return self.reply(200, event)
        if request.method == "PATCH":
            return self.reply(200, self._patch(event, request.json()))
        if request.method == "DELETE":
            if event["status"] == "cancelled":
                return self.reply(*_error(410, "Resource has been deleted", "deleted"))
            event["status"] = "cancelled"
            event["sequence"] += 1
            return self.reply(204)
        return self.reply(*_error(405, "Method not allowed", "badRequest"))

    def _free_busy(self, body: dict[str, Any]) -> dict[str, Any]:
        low = datetime.fromisoformat(body["timeMin"])
        high = datetime.fromisoformat(body["timeMax"])
        calendars: dict[str, Any] = {}
        for item in body["items"]:
            calendar = item["id"]
            if calendar in self.broken:
                calendars[calendar] = {
                    "errors": [{"domain": "global", "reason": self.broken[calendar]}],
                    "busy": [],
                }
                continue
            if calendar not in self.events and calendar not in self.busy:
                calendars[calendar] = {
                    "errors": [{"domain": "global", "reason": "notFound"}],
                    "busy": [],
                }
                continue
            periods = list(self.busy.get(calendar, []))
            periods += [
                (e["start"]["dateTime"], e["end"]["dateTime"])
                for e in self.events.get(calendar, {}).values()
                if e["status"] != "cancelled"
            ]
            # Busy start inclusive, end exclusive, within the asked window.
            calendars[calendar] = {
                "busy": [
                    {"start": s, "end": e}
                    for s, e in sorted(periods)
                    if datetime.fromisoformat(s) < high and datetime.fromisoformat(e) > low
                ]
            }
        return {
            "kind": "calendar#freeBusy",
            "timeMin": body["timeMin"],
            "timeMax": body["timeMax"],
            "calendars": calendars,
        }

    def _insert(self, stored: dict[str, Any], request: Any) -> tuple[int, dict[str, Any]]:
        body = request.json()
        if "id" in body and "iCalUID" in body:
            return _error(400, "Cannot specify both id and iCalUID", "invalid")
        event_id = body.get("id") or secrets.token_hex(13)
        if not _ID.match(event_id):
            return _error(400, "Invalid resource id value.", "invalid")
        if event_id in stored:
            return _error(409, "The requested identifier already exists.", "duplicate")
        for part in ("start", "end"):
            if "dateTime" not in body.get(part, {}):
                return _error(400, f"Missing {part} time.", "required")
        event = {
            "kind": "calendar#event",
            "etag": f'"{secrets.token_hex(6)}"',
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "summary": body.get("summary", ""),
            "description": body.get("description", ""),
            "start": body["start"],
            "end": body["end"],
            "attendees": [
                {**a, "responseStatus": "needsAction"} for a in body.get("attendees", [])
            ],
            "extendedProperties": body.get("extendedProperties", {}),
        }
        request_conference = body.get("conferenceData", {}).get("createRequest")
        if request_conference and request.query.get("conferenceDataVersion") == "1":
            link = f"https://meet.google.com/{secrets.token_hex(2)}-{secrets.token_hex(2)}"
            event["hangoutLink"] = link
            event["conferenceData"] = {
                "createRequest": {**request_conference, "status": {"statusCode": "success"}},
                "entryPoints": [{"entryPointType": "video", "uri": link}],
            }
        stored[event_id] = event
        return 200, event

    def _patch(self, event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        moved = (
            body.get("start", event["start"]) != event["start"]
            or body.get("end", event["end"]) != event["end"]
        )
        for key, value in body.items():
            if key == "attendees":
                answers = {a["email"]: a.get("responseStatus") for a in event["attendees"]}
                value = [
                    {**a, "responseStatus": answers.get(a["email"]) or "needsAction"} for a in value
                ]
            event[key] = value
        if moved or "status" in body:
            event["sequence"] += 1
        event["etag"] = f'"{secrets.token_hex(6)}"'
        return event


@pytest.fixture
def google(serve: Callable[..., Any], oauth: Any, http_reply: Callable[..., Any]) -> FakeGoogle:
    fake = FakeGoogle(oauth, http_reply)
    fake.served = serve(fake)
    fake.events["primary"] = {}
    return fake
