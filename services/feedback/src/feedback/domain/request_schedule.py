"""When people are asked for feedback, and what becomes of a request.

- after each held session: one request to each attendee, due when it ended;
- a relationship pulse 30 days after a match starts and every 60 days after, to each
  participant while the match is open (ACCEPTED or ACTIVE);
- a close-out survey to each participant when a match completes or ends;
- never to a leaver (TERMINATED), and a leaver's pending requests are withdrawn;
- a request expires a configurable time after it is due (14 days unless the program says).

Every planned request has a deterministic `key` (what it is about and who it asks), so a
redelivered event plans the same request and the store's unique key turns it into a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from contracts.feedback import FeedbackRequestKind as RequestKind
from contracts.internal.feedback import FeedbackRequestStatus as RequestStatus
from contracts.matches import MatchStatus
from contracts.people import PersonStatus
from contracts.problems import Code
from runtime.refusals import Refused, not_found

from feedback.domain.periods import utc

# The contracts' enums (defined once, there), under the names this domain speaks.
__all__ = ["RequestKind", "RequestStatus"]

OPEN_MATCH = frozenset({MatchStatus.ACCEPTED, MatchStatus.ACTIVE})
CLOSED_MATCH = frozenset({MatchStatus.COMPLETED, MatchStatus.ENDED})


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRules:
    """A program's request settings (defaults documented in the module)."""

    expire_after: timedelta = timedelta(days=14)
    first_pulse_after: timedelta = timedelta(days=30)
    pulse_every: timedelta = timedelta(days=60)

    def __post_init__(self) -> None:
        for name in ("expire_after", "first_pulse_after", "pulse_every"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be a positive duration")


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedRequest:
    key: str
    kind: RequestKind
    program_id: str
    person_id: str
    match_id: str | None
    session_id: str | None
    due_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackRequest:
    """A request as the service keeps it."""

    id: str
    kind: RequestKind
    program_id: str
    person_id: str
    match_id: str | None
    session_id: str | None
    due_at: datetime
    expires_at: datetime
    status: RequestStatus = RequestStatus.PENDING
    answered_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldSession:
    session_id: str
    program_id: str
    match_ids: Sequence[str]
    attendee_ids: Sequence[str]
    ended_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchTimeline:
    match_id: str
    program_id: str
    participant_ids: Sequence[str]  # the mentor and the mentee(s)
    status: MatchStatus
    started_at: datetime | None  # when it was accepted: the relationship begins
    closed_at: datetime | None = None


def _asked(person_id: str, people: Mapping[str, PersonStatus]) -> bool:
    # Someone the roster does not know yet is asked: the roster may lag the session event.
    return people.get(person_id) is not PersonStatus.TERMINATED


def _plan(
    key: str,
    kind: RequestKind,
    person: str,
    due: datetime,
    rules: RequestRules,
    *,
    program_id: str,
    match_id: str | None = None,
    session_id: str | None = None,
) -> PlannedRequest:
    due = utc(due)
    return PlannedRequest(
        key=key,
        kind=kind,
        program_id=program_id,
        person_id=person,
        match_id=match_id,
        session_id=session_id,
        due_at=due,
        expires_at=due + rules.expire_after,
    )


def after_session(
    session: HeldSession, people: Mapping[str, PersonStatus], rules: RequestRules
) -> list[PlannedRequest]:
    """One request per attendee (the host included), none to a leaver."""
    match_id = session.match_ids[0] if len(session.match_ids) == 1 else None
    return [
        _plan(
            f"session:{session.session_id}:{person}",
            RequestKind.SESSION,
            person,
            session.ended_at,
            rules,
            program_id=session.program_id,
            match_id=match_id,
            session_id=session.session_id,
        )
        for person in dict.fromkeys(session.attendee_ids)  # once each, in order
        if _asked(person, people)
    ]


def pulse_due_at(started_at: datetime, number: int, rules: RequestRules) -> datetime:
    """When pulse `number` (1, 2, …) falls due."""
    if number < 1:
        raise ValueError("pulses are numbered from 1")
    return utc(started_at) + rules.first_pulse_after + (number - 1) * rules.pulse_every


def pulses_due(
    match: MatchTimeline,
    already_sent: Iterable[int],
    people: Mapping[str, PersonStatus],
    now: datetime,
    rules: RequestRules,
) -> list[PlannedRequest]:
    """The pulse to send now, if one is due and not sent: only the latest due one (after an
    outage nobody gets three pulses at once; the missed ones are skipped, not queued)."""
    if match.status not in OPEN_MATCH or match.started_at is None:
        return []
    elapsed = utc(now) - utc(match.started_at)
    if elapsed < rules.first_pulse_after:
        return []
    number = 1 + (elapsed - rules.first_pulse_after) // rules.pulse_every
    if number in set(already_sent):
        return []
    due = pulse_due_at(match.started_at, number, rules)
    return [
        _plan(
            f"pulse:{match.match_id}:{number}:{person}",
            RequestKind.PULSE,
            person,
            due,
            rules,
            program_id=match.program_id,
            match_id=match.match_id,
        )
        for person in dict.fromkeys(match.participant_ids)
        if _asked(person, people)
    ]


def close_out(
    match: MatchTimeline, people: Mapping[str, PersonStatus], rules: RequestRules
) -> list[PlannedRequest]:
    """The close-out survey for each participant of a match that completed or ended after it
    started (a proposal that never started has no relationship to close out)."""
    if match.status not in CLOSED_MATCH or match.started_at is None or match.closed_at is None:
        return []
    return [
        _plan(
            f"close-out:{match.match_id}:{person}",
            RequestKind.CLOSE_OUT,
            person,
            match.closed_at,
            rules,
            program_id=match.program_id,
            match_id=match.match_id,
        )
        for person in dict.fromkeys(match.participant_ids)
        if _asked(person, people)
    ]


def current_status(request: FeedbackRequest, now: datetime) -> RequestStatus:
    """PENDING turns EXPIRED once its time is up, whether or not a sweep has run yet."""
    if request.status is RequestStatus.PENDING and utc(now) >= request.expires_at:
        return RequestStatus.EXPIRED
    return request.status


def check_answerable(request: FeedbackRequest, respondent_id: str, now: datetime) -> None:
    """Refuses an answer that is not this person's to give, or no longer wanted."""
    if request.person_id != respondent_id:
        # Somebody else's request is not found: whom we asked does not leak.
        raise not_found("feedback request", "requestId")
    status = current_status(request, now)
    if status is RequestStatus.ANSWERED:
        raise Refused(
            Code.CONFLICT, "requestId", "this request is already answered; edit that answer"
        )
    if status is RequestStatus.EXPIRED:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE,
            "requestId",
            f"this request expired at {request.expires_at.isoformat()}",
        )
    if status is RequestStatus.WITHDRAWN:
        raise Refused(Code.NOT_ALLOWED_IN_STATE, "requestId", "this request was withdrawn")


def answered(request: FeedbackRequest, respondent_id: str, now: datetime) -> FeedbackRequest:
    check_answerable(request, respondent_id, now)
    return replace(request, status=RequestStatus.ANSWERED, answered_at=utc(now))


def expired(request: FeedbackRequest, now: datetime) -> FeedbackRequest:
    """The sweep's transition; any other request comes back unchanged."""
    return replace(request, status=current_status(request, now))


def withdrawn_for_leaver(requests: Iterable[FeedbackRequest]) -> list[FeedbackRequest]:
    """A leaver's pending requests are withdrawn; answered ones stay as they were."""
    return [
        replace(r, status=RequestStatus.WITHDRAWN)
        for r in requests
        if r.status is RequestStatus.PENDING
    ]
