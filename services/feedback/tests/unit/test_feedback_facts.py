"""Facts read from the events' snapshots: what each keeps, and the moments it counts at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from contracts.enrollments import EnrollmentSnapshot, EnrollmentStatus
from contracts.feedback import FeedbackResponseSnapshot
from contracts.matches import MatchOrigin, MatchSnapshot, MatchStatus
from contracts.programs import ParticipantRole, ProgramKind
from contracts.sessions import SessionSnapshot, SessionStatus
from feedback.domain.facts import enrollment_fact, match_fact, response_fact, session_fact

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)


def enrollment(status: EnrollmentStatus) -> EnrollmentSnapshot:
    return EnrollmentSnapshot(
        id="e1",
        program_id="p1",
        person_id="x",
        role=ParticipantRole.MENTEE,
        goals=[],
        capacity=None,
        status=status,
        reason=None,
        revision=3,
        created_at=T0,
        updated_at=T0 + timedelta(days=9),
    )


def test_feedback_an_enrollment_counts_until_it_stops() -> None:
    active = enrollment_fact(enrollment(EnrollmentStatus.ACTIVE), underrepresented=True, level=3)
    assert (active.joined_at, active.left_at, active.revision) == (T0, None, 3)
    assert (active.underrepresented, active.level, active.department) == (True, 3, None)
    for status in (EnrollmentStatus.WITHDRAWN, EnrollmentStatus.ENDED):
        assert enrollment_fact(enrollment(status)).left_at == T0 + timedelta(days=9)


def match(
    status: MatchStatus, decided: datetime | None, ended: datetime | None = None
) -> MatchSnapshot:
    return MatchSnapshot(
        id="m1",
        program_id="p1",
        kind=ProgramKind.ONE_ON_ONE,
        mentor_id="a",
        mentee_ids=["b"],
        score=0.8,
        reasons=[],
        status=status,
        origin=MatchOrigin.RUN,
        run_id=None,
        accepted_by=[],
        proposed_at=T0,
        expires_at=None,
        decided_at=decided,
        ended_at=ended,
        reason=None,
        flagged_for_review=False,
        revision=5,
        updated_at=T0 + timedelta(days=50),
    )


def test_feedback_a_match_counts_from_its_acceptance() -> None:
    accepted = T0 + timedelta(days=2)
    fact = match_fact(match(MatchStatus.ACTIVE, accepted), activated_at=T0 + timedelta(days=7))
    assert (fact.accepted_at, fact.activated_at, fact.closed_at) == (
        accepted,
        T0 + timedelta(days=7),
        None,
    )
    closed = match_fact(
        match(MatchStatus.COMPLETED, accepted, T0 + timedelta(days=40)), activated_at=None
    )
    assert closed.closed_at == T0 + timedelta(days=40)
    # No decision recorded: an admin match that needed no consent started when proposed.
    assert match_fact(match(MatchStatus.ACCEPTED, None), activated_at=None).accepted_at == T0
    # Declined, or a proposal withdrawn before anyone answered: never a relationship.
    assert match_fact(match(MatchStatus.DECLINED, accepted), activated_at=None).accepted_at is None
    assert match_fact(match(MatchStatus.ENDED, None, T0), activated_at=None).accepted_at is None


def test_feedback_sessions_and_answers_keep_utc_times() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    session = SessionSnapshot(
        id="s1",
        program_id="p1",
        match_ids=["m1"],
        host_id="a",
        attendee_ids=["a", "b"],
        starts_at=T0.astimezone(tokyo),
        ends_at=(T0 + timedelta(hours=1)).astimezone(tokyo),
        status=SessionStatus.COMPLETED,
        revision=2,
        updated_at=T0,
    )
    fact = session_fact(session)
    assert (
        fact.starts_at == T0
        and fact.starts_at.tzinfo is UTC
        and fact.status is SessionStatus.COMPLETED
    )
    answer = FeedbackResponseSnapshot(
        id="r1",
        request_id="q1",
        program_id="p1",
        match_id="m1",
        session_id="s1",
        respondent_id="b",
        rating=4,
        nps=9,
        goal_progress=3,
        revision=2,
        submitted_at=T0.astimezone(tokyo),
    )
    kept = response_fact(answer)
    assert (kept.rating, kept.recommend, kept.goal_progress, kept.revision) == (4, 9, 3, 2)
    assert kept.submitted_at.tzinfo is UTC
