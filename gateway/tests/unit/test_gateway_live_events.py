"""What a program's subscribers see of an event: its id, type, time, program and the opaque
ids of what it concerns — never the snapshot's people, goals or reasons; events of other
topics, or data that breaks its contract, are not program events."""

from datetime import UTC, datetime
from typing import Any

from contracts.base import Event
from contracts.enrollments import EnrollmentCreated, EnrollmentSnapshot, EnrollmentStatus
from contracts.matches import MatchOrigin, MatchProposed, MatchSnapshot, MatchStatus
from contracts.office_hours import SessionRsvpChanged
from contracts.programs import ParticipantRole, ProgramKind
from contracts.sessions import SessionScheduled, SessionSnapshot, SessionStatus
from gateway.graphql.ids import encode_id
from gateway.live.events import program_event
from messaging.envelope import Envelope, envelope_for

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
PROGRAM = "6f1c1d2e-8a0b-4c55-9d3e-1b2a3c4d5e6f"
PERSON = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
MATCH = "mt_" + "a" * 32
SESSION = "se_" + "b" * 32
NOTHING = {"enrollmentId": None, "matchId": None, "matchRunId": None, "sessionId": None,
           "actionItemId": None}  # fmt: skip


def enveloped(event: Event) -> Envelope:
    return envelope_for(event, tenant_id="t1", source="test", event_id="ev-1")


def enrollment() -> EnrollmentCreated:
    return EnrollmentCreated(
        enrollment=EnrollmentSnapshot(
            id="11111111-2222-4333-8444-555555555555",
            program_id=PROGRAM,
            person_id=PERSON,
            role=ParticipantRole.MENTEE,
            goals=["my private ambitions"],
            capacity=None,
            status=EnrollmentStatus.ACTIVE,
            reason=None,
            revision=1,
            created_at=NOW,
            updated_at=NOW,
        )
    )


def public(event: Event, envelope: Envelope | None = None) -> dict[str, Any]:
    found = program_event(envelope or enveloped(event))
    assert found is not None
    assert (found.tenant_id, found.program_id) == ("t1", PROGRAM)
    return found.public()


def test_an_enrollment_tells_its_id_not_its_person() -> None:
    envelope = enveloped(enrollment())
    answer = public(enrollment(), envelope)
    assert answer == {
        "id": "ev-1",
        "type": "enrollment.created",
        "occurredAt": envelope.time.isoformat(),
        "programId": encode_id("Program", PROGRAM),
        "data": NOTHING | {"enrollmentId": encode_id("Enrollment", enrollment().enrollment.id)},
    }
    assert PERSON not in str(answer) and "ambitions" not in str(answer)


def test_a_match_tells_its_id() -> None:
    proposed = MatchProposed(
        match=MatchSnapshot(
            id=MATCH,
            program_id=PROGRAM,
            kind=ProgramKind.ONE_ON_ONE,
            mentor_id=PERSON,
            mentee_ids=["m2"],
            score=0.8,
            reasons=[],
            status=MatchStatus.PROPOSED,
            origin=MatchOrigin.RUN,
            run_id=None,
            accepted_by=[],
            proposed_at=NOW,
            expires_at=None,
            decided_at=None,
            ended_at=None,
            reason="the other participant's words",
            flagged_for_review=False,
            revision=1,
            updated_at=NOW,
        )
    )
    answer = public(proposed)
    assert answer["data"] == NOTHING | {"matchId": encode_id("Match", MATCH)}
    assert PERSON not in str(answer) and "words" not in str(answer)


def test_a_session_and_an_rsvp_tell_the_session() -> None:
    scheduled = SessionScheduled(
        session=SessionSnapshot(
            id=SESSION,
            program_id=PROGRAM,
            match_ids=[MATCH],
            host_id=PERSON,
            attendee_ids=[PERSON],
            starts_at=NOW,
            ends_at=NOW,
            status=SessionStatus.SCHEDULED,
            revision=1,
            updated_at=NOW,
        )
    )
    assert public(scheduled)["data"] == NOTHING | {"sessionId": encode_id("Session", SESSION)}
    rsvp = SessionRsvpChanged(session_id=SESSION, program_id=PROGRAM, person_id=PERSON, status=None)
    answer = public(rsvp)
    assert answer["data"] == NOTHING | {"sessionId": encode_id("Session", SESSION)}
    assert PERSON not in str(answer)


def test_other_topics_and_broken_data_are_not_program_events() -> None:
    broken = enveloped(enrollment())
    assert program_event(Envelope(**{**broken.__dict__, "data": {"enrollment": {}}})) is None
    unknown = Envelope(id="x", type="person.created", source="s", tenant_id="t1", key="k", data={})
    assert program_event(unknown) is None
    made_up = Envelope(id="x", type="no.such", source="s", tenant_id="t1", key="k", data={})
    assert program_event(made_up) is None
