"""GET /calendar/{token}.ics: a person's private calendar feed, for Outlook, Google or Apple
Calendar to subscribe to. No API key: the unguessable token in the URL is the credential
(issued by issueCalendarFeed, rotated or revoked there).

A token of any other shape is answered 404 before anything is called; a well-formed one is
proxied to sessions (which alone knows whose it is) with a service token naming no tenant.
Unknown, revoked and malformed tokens look the same: 404."""

import logging
import re

from contracts.internal.sessions import FEED_TOKEN_PATTERN
from fastapi import APIRouter, Request, Response
from runtime.problems import problem
from service_auth.tokens import Caller

from gateway.adapters.upstream import ServiceClient, UpstreamUnavailable
from gateway.graphql.sessions.endpoints import CALENDAR_FEED_ICS

log = logging.getLogger(__name__)
router = APIRouter(tags=["calendar"])

CALENDAR = "text/calendar; charset=utf-8"
_TOKEN = re.compile(FEED_TOKEN_PATTERN)
# The token alone names tenant and person: sessions does not read the tenant of this caller.
FEED_READER = Caller(tenant_id="-", principal="system:calendar-feed")


@router.get("/calendar/{token}.ics", response_class=Response, responses={404: {}, 503: {}})
async def calendar_feed(token: str, request: Request) -> Response:
    if not _TOKEN.fullmatch(token):
        return _unknown()
    sessions: ServiceClient = request.app.state.upstreams.sessions
    try:
        answer = await sessions.fetch("GET", CALENDAR_FEED_ICS, FEED_READER, keys=(token,))
    except UpstreamUnavailable as exc:
        log.error("calendar feed: sessions unreachable: %r", exc)
        return _unavailable()
    if answer.status_code == 404:
        return _unknown()
    media_type = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    if answer.status_code != 200 or media_type != "text/calendar":
        # Our own service token refused, or sessions failing: nothing the subscriber can fix.
        log.error("calendar feed: sessions answered %s %s", answer.status_code, media_type)
        return _unavailable()
    return Response(answer.content, media_type=CALENDAR, headers={"Cache-Control": "no-store"})


def _unknown() -> Response:
    return problem(404, "Not Found", "no such calendar feed")


def _unavailable() -> Response:
    return problem(
        503,
        "Service Unavailable",
        "the calendar is unavailable; retry later",
        headers={"Retry-After": "60"},
    )
