"""The read model's rows as the domain's facts: the row before a change is the previous fact,
so the figures replace its contribution exactly."""

from contracts.matches import MatchStatus
from contracts.programs import ParticipantRole
from contracts.sessions import SessionStatus

from feedback.adapters.tables import (
    FeedbackRequestRow,
    FeedbackResponseRow,
    KnownEnrollment,
    KnownMatch,
    KnownSession,
)
from feedback.domain.facts import (
    EnrollmentFact,
    MatchFact,
    RequestFact,
    ResponseFact,
    SessionFact,
)
from feedback.domain.request_schedule import RequestKind, RequestStatus


def enrollment_of(row: KnownEnrollment) -> EnrollmentFact:
    return EnrollmentFact(
        id=row.enrollment_id,
        program_id=row.program_id,
        revision=row.revision,
        person_id=row.person_id,
        role=ParticipantRole(row.role),
        joined_at=row.joined_at,
        left_at=row.left_at,
    )


def match_of(row: KnownMatch) -> MatchFact:
    return MatchFact(
        id=row.match_id,
        program_id=row.program_id,
        revision=row.revision,
        status=MatchStatus(row.status),
        accepted_at=row.accepted_at,
        activated_at=row.activated_at,
        closed_at=row.closed_at,
    )


def session_of(row: KnownSession) -> SessionFact:
    return SessionFact(
        id=row.session_id,
        program_id=row.program_id,
        revision=row.revision,
        status=SessionStatus(row.status),
        starts_at=row.starts_at,
    )


def request_of(row: FeedbackRequestRow) -> RequestFact:
    return RequestFact(
        id=row.id,
        program_id=row.program_id,
        revision=row.revision,
        kind=RequestKind(row.kind),
        status=RequestStatus(row.status),
        issued_at=row.due_at,
    )


def response_of(row: FeedbackResponseRow) -> ResponseFact:
    return ResponseFact(
        id=row.id,
        program_id=row.program_id,
        revision=row.revision,
        submitted_at=row.submitted_at,
        rating=row.rating,
        recommend=row.recommend,
        goal_progress=row.goal_progress,
    )
