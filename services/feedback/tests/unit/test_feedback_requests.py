"""When feedback is asked for (after sessions, pulses, close-outs; never from a leaver), when
a request expires, and what an answer may say and when it may be changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contracts.matches import MatchStatus
from contracts.people import PersonStatus
from contracts.problems import Code
from feedback.domain.request_schedule import (
    FeedbackRequest,
    HeldSession,
    MatchTimeline,
    RequestKind,
    RequestRules,
    RequestStatus,
    after_session,
    answered,
    close_out,
    current_status,
    expired,
    pulse_due_at,
    pulses_due,
    withdrawn_for_leaver,
)
from feedback.domain.responses import (
    Answer,
    ResponseRules,
    SubmittedResponse,
    check_editable,
    edited,
    validated,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from runtime.refusals import Refused

T0 = datetime(2025, 3, 1, 9, tzinfo=UTC)
RULES = RequestRules()
PEOPLE = {
    "mentor": PersonStatus.ACTIVE,
    "mentee": PersonStatus.ACTIVE,
    "gone": PersonStatus.TERMINATED,
}


def held(attendees: list[str]) -> HeldSession:
    return HeldSession(
        session_id="s1", program_id="p1", match_ids=["m1"], attendee_ids=attendees, ended_at=T0
    )


def timeline(status: MatchStatus = MatchStatus.ACTIVE, **kw: object) -> MatchTimeline:
    base: dict[str, object] = {
        "match_id": "m1",
        "program_id": "p1",
        "participant_ids": ["mentor", "mentee"],
        "status": status,
        "started_at": T0,
    }
    return MatchTimeline(**(base | kw))  # type: ignore[arg-type]


def test_feedback_each_attendee_is_asked_after_a_held_session_but_not_a_leaver() -> None:
    planned = after_session(held(["mentor", "mentee", "gone", "mentee"]), PEOPLE, RULES)
    assert [(p.person_id, p.kind) for p in planned] == [
        ("mentor", RequestKind.SESSION),
        ("mentee", RequestKind.SESSION),
    ]
    assert planned[0].key == "session:s1:mentor"
    assert planned[0].due_at == T0 and planned[0].expires_at == T0 + timedelta(days=14)
    assert (planned[0].match_id, planned[0].session_id) == ("m1", "s1")
    # Redelivered: the same keys, so the store's unique key makes it a no-op.
    assert after_session(held(["mentor", "mentee"]), PEOPLE, RULES) == planned


def test_feedback_pulses_thirty_days_after_the_start_and_every_sixty_after() -> None:
    assert pulse_due_at(T0, 1, RULES) == T0 + timedelta(days=30)
    assert pulse_due_at(T0, 3, RULES) == T0 + timedelta(days=150)
    assert pulses_due(timeline(), [], PEOPLE, T0 + timedelta(days=29), RULES) == []
    first = pulses_due(timeline(), [], PEOPLE, T0 + timedelta(days=30), RULES)
    assert [p.key for p in first] == ["pulse:m1:1:mentor", "pulse:m1:1:mentee"]
    assert pulses_due(timeline(), [1], PEOPLE, T0 + timedelta(days=60), RULES) == []
    second = pulses_due(timeline(), [1], PEOPLE, T0 + timedelta(days=90), RULES)
    assert {p.key for p in second} == {"pulse:m1:2:mentor", "pulse:m1:2:mentee"}
    assert second[0].due_at == T0 + timedelta(days=90)
    # After an outage only the latest due pulse goes out.
    late = pulses_due(timeline(), [], PEOPLE, T0 + timedelta(days=160), RULES)
    assert {p.key.split(":")[2] for p in late} == {"3"}


def test_feedback_no_pulse_for_a_closed_match_or_a_leaver() -> None:
    at = T0 + timedelta(days=31)
    assert pulses_due(timeline(MatchStatus.COMPLETED), [], PEOPLE, at, RULES) == []
    assert pulses_due(timeline(started_at=None), [], PEOPLE, at, RULES) == []
    left = {**PEOPLE, "mentee": PersonStatus.TERMINATED}
    assert [p.person_id for p in pulses_due(timeline(), [], left, at, RULES)] == ["mentor"]


def test_feedback_close_out_when_a_match_completes_or_ends() -> None:
    closed = T0 + timedelta(days=100)
    for status in (MatchStatus.COMPLETED, MatchStatus.ENDED):
        planned = close_out(timeline(status, closed_at=closed), PEOPLE, RULES)
        assert [p.key for p in planned] == ["close-out:m1:mentor", "close-out:m1:mentee"]
        assert planned[0].due_at == closed
    assert close_out(timeline(MatchStatus.ACTIVE), PEOPLE, RULES) == []
    never_started = timeline(MatchStatus.ENDED, started_at=None, closed_at=closed)
    assert close_out(never_started, PEOPLE, RULES) == []


def request(**kw: object) -> FeedbackRequest:
    base: dict[str, object] = {
        "id": "q1",
        "kind": RequestKind.SESSION,
        "program_id": "p1",
        "person_id": "mentee",
        "match_id": "m1",
        "session_id": "s1",
        "due_at": T0,
        "expires_at": T0 + timedelta(days=14),
    }
    return FeedbackRequest(**(base | kw))  # type: ignore[arg-type]


def refusal(run: object) -> Refused:
    with pytest.raises(Refused) as caught:
        run()  # type: ignore[operator]
    return caught.value


def test_feedback_a_request_is_answered_once_by_its_addressee_before_it_expires() -> None:
    q = request()
    done = answered(q, "mentee", T0 + timedelta(days=1))
    assert done.status is RequestStatus.ANSWERED
    again = refusal(lambda: answered(done, "mentee", T0 + timedelta(days=2)))
    assert (again.code, again.field) == (Code.CONFLICT, "requestId")
    other = refusal(lambda: answered(q, "mentor", T0))
    assert (other.code, other.field) == (Code.NOT_FOUND, "requestId")
    late = refusal(lambda: answered(q, "mentee", T0 + timedelta(days=14)))
    assert late.code is Code.NOT_ALLOWED_IN_STATE and "expired" in late.message
    assert current_status(q, T0 + timedelta(days=14)) is RequestStatus.EXPIRED
    assert expired(q, T0 + timedelta(days=15)).status is RequestStatus.EXPIRED
    assert expired(done, T0 + timedelta(days=15)).status is RequestStatus.ANSWERED


def test_feedback_a_leavers_pending_requests_are_withdrawn() -> None:
    pending, done = request(id="a"), request(id="b", status=RequestStatus.ANSWERED)
    assert [(r.id, r.status) for r in withdrawn_for_leaver([pending, done])] == [
        ("a", RequestStatus.WITHDRAWN)
    ]
    withdrawn = withdrawn_for_leaver([pending])[0]
    assert refusal(lambda: answered(withdrawn, "mentee", T0)).code is Code.NOT_ALLOWED_IN_STATE


ANSWERS = ResponseRules()


def test_feedback_a_good_answer_is_normalized() -> None:
    answer = validated(
        Answer(
            rating=4,
            recommend=9,
            goal_progress=3,
            comment="  helpful  ",
            tags=["Career", "career", " a "],
        ),
        ANSWERS,
    )
    assert answer.comment == "helpful"
    assert answer.tags == ("Career", "a")
    assert validated(Answer(rating=1, comment="   "), ANSWERS).comment is None


def test_feedback_every_bad_field_is_named() -> None:
    bad = Answer(
        rating=6,
        recommend=11,
        goal_progress=0,
        comment="x" * 2001,
        tags=["ok", "", "y" * 41] + [f"t{i}" for i in range(10)],
    )
    refused = refusal(lambda: validated(bad, ANSWERS))
    assert refused.code is Code.INVALID
    assert [e.field for e in refused.errors] == [
        "rating",
        "recommendScore",
        "goalProgress",
        "comment",
        "tags[1]",
        "tags[2]",
        "tags",
    ]
    missing = refusal(lambda: validated(Answer(rating=None), ANSWERS))
    assert (missing.field, missing.message) == ("rating", "is required")
    assert refusal(lambda: validated(Answer(rating=True), ANSWERS)).field == "rating"  # type: ignore[arg-type]
    assert refusal(lambda: validated(Answer(rating=3, tags="career"), ANSWERS)).field == "tags"


@settings(max_examples=200, deadline=None)
@given(st.integers(-3, 13), st.none() | st.integers(-3, 13), st.none() | st.integers(-3, 13))
def test_feedback_scores_are_accepted_exactly_in_range(
    rating: int, recommend: int | None, goal: int | None
) -> None:
    good = (
        1 <= rating <= 5
        and (recommend is None or 0 <= recommend <= 10)
        and (goal is None or 1 <= goal <= 5)
    )
    try:
        validated(Answer(rating=rating, recommend=recommend, goal_progress=goal), ANSWERS)
    except Refused as refused:
        assert not good and refused.code is Code.INVALID
    else:
        assert good


def test_feedback_an_answer_may_be_edited_by_its_author_within_the_window() -> None:
    response = SubmittedResponse(
        id="f1", request_id="q1", respondent_id="mentee", answer=Answer(rating=2), submitted_at=T0
    )
    changed = edited(response, Answer(rating=4), "mentee", T0 + timedelta(hours=47), ANSWERS)
    assert (changed.revision, changed.answer.rating, changed.submitted_at) == (2, 4, T0)
    too_late = refusal(
        lambda: edited(changed, Answer(rating=5), "mentee", T0 + timedelta(hours=49), ANSWERS)
    )
    assert too_late.code is Code.NOT_ALLOWED_IN_STATE and "edit window closed" in too_late.message
    assert refusal(lambda: check_editable(response, "mentor", T0, ANSWERS)).code is Code.NOT_FOUND
    invalid = refusal(lambda: edited(response, Answer(rating=9), "mentee", T0, ANSWERS))
    assert invalid.field == "rating"
