"""The facts insights are built from, one per thing that happened, as the read model keeps
them: each has an id, the program it belongs to, and a revision that grows with every change
(a corrected response, a match that moved on, a request answered). The converters read them
from the events' snapshots; they are pure and keep nothing but what the figures need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.enrollments import EnrollmentSnapshot, EnrollmentStatus
from contracts.feedback import FeedbackResponseSnapshot
from contracts.matches import MatchSnapshot, MatchStatus
from contracts.programs import ParticipantRole
from contracts.sessions import SessionSnapshot, SessionStatus

from feedback.domain.periods import utc
from feedback.domain.request_schedule import RequestKind, RequestStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrollmentFact:
    """An enrollment with the person's attributes as last known (for the representation
    breakdown; sensitive, aggregated only). Joined-from-person changes re-derive it."""

    id: str
    program_id: str
    revision: int
    person_id: str
    role: ParticipantRole
    joined_at: datetime
    left_at: datetime | None  # when it stopped counting (withdrawn or ended)
    underrepresented: bool | None = None
    department: str | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchFact:
    id: str
    program_id: str
    revision: int
    status: MatchStatus
    accepted_at: datetime | None  # None: never accepted (proposed, declined)
    activated_at: datetime | None  # its first held session; None: never active
    closed_at: datetime | None  # COMPLETED or ENDED


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionFact:
    id: str
    program_id: str
    revision: int
    status: SessionStatus
    starts_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestFact:
    id: str
    program_id: str
    revision: int
    kind: RequestKind
    status: RequestStatus
    issued_at: datetime  # when it fell due: the period its response rate is counted in


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseFact:
    id: str
    program_id: str
    revision: int
    submitted_at: datetime
    rating: int | None
    recommend: int | None
    goal_progress: int | None


Fact = EnrollmentFact | MatchFact | SessionFact | RequestFact | ResponseFact


def enrollment_fact(
    snapshot: EnrollmentSnapshot,
    *,
    underrepresented: bool | None = None,
    department: str | None = None,
    level: int | None = None,
) -> EnrollmentFact:
    left = snapshot.status is not EnrollmentStatus.ACTIVE
    return EnrollmentFact(
        id=snapshot.id,
        program_id=snapshot.program_id,
        revision=snapshot.revision,
        person_id=snapshot.person_id,
        role=snapshot.role,
        joined_at=utc(snapshot.created_at),
        left_at=utc(snapshot.updated_at) if left else None,
        underrepresented=underrepresented,
        department=department,
        level=level,
    )


_STARTED = frozenset(
    {MatchStatus.ACCEPTED, MatchStatus.ACTIVE, MatchStatus.COMPLETED, MatchStatus.ENDED}
)


def match_fact(snapshot: MatchSnapshot, *, activated_at: datetime | None) -> MatchFact:
    """`activated_at`: when the read model first saw the match ACTIVE (match.activated), or
    None if it never was. A match counts as accepted when a decision was recorded and it did
    not end up DECLINED (an admin match that needs no consent starts ACCEPTED)."""
    accepted_at: datetime | None = None
    if snapshot.status in _STARTED:
        if snapshot.decided_at is not None:
            accepted_at = snapshot.decided_at
        elif snapshot.status is not MatchStatus.ENDED:
            accepted_at = snapshot.proposed_at
    closed = snapshot.status in (MatchStatus.COMPLETED, MatchStatus.ENDED)
    closed_at = (snapshot.ended_at or snapshot.updated_at) if closed else None
    return MatchFact(
        id=snapshot.id,
        program_id=snapshot.program_id,
        revision=snapshot.revision,
        status=snapshot.status,
        accepted_at=None if accepted_at is None else utc(accepted_at),
        activated_at=None if activated_at is None else utc(activated_at),
        closed_at=None if closed_at is None else utc(closed_at),
    )


def session_fact(snapshot: SessionSnapshot) -> SessionFact:
    return SessionFact(
        id=snapshot.id,
        program_id=snapshot.program_id,
        revision=snapshot.revision,
        status=snapshot.status,
        starts_at=utc(snapshot.starts_at),
    )


def response_fact(snapshot: FeedbackResponseSnapshot) -> ResponseFact:
    return ResponseFact(
        id=snapshot.id,
        program_id=snapshot.program_id,
        revision=snapshot.revision,
        submitted_at=utc(snapshot.submitted_at),
        rating=snapshot.rating,
        recommend=snapshot.nps,
        goal_progress=snapshot.goal_progress,
    )
