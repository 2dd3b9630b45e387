"""The session lifecycle: the full table of which action each status allows and for whom, and
a hypothesis state machine: any sequence of actions by anyone keeps the invariants (final
statuses stay final, revisions grow by one per change and only then, held_at only when
completed, an event for every change and none for a refusal)."""

from datetime import UTC, datetime, timedelta

import pytest
from contracts.sessions import (
    AttendanceStatus,
    SessionCancelled,
    SessionCompleted,
    SessionKind,
    SessionNoShow,
    SessionRescheduled,
    SessionStatus,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from runtime.refusals import Refused
from sessions.domain import lifecycle
from sessions.domain.lifecycle import (
    ADMIN,
    FINAL,
    RULES,
    SYSTEM,
    Action,
    Actor,
    ActorKind,
    Outcome,
    Session,
)

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
HOST, GUEST = "ber", "par"
ACTORS = [ADMIN, SYSTEM, Actor.named(HOST), Actor.named(GUEST), Actor.named("stranger")]


def _session(status: SessionStatus = SessionStatus.SCHEDULED, starts_in: float = 24) -> Session:
    start = NOW + timedelta(hours=starts_in)
    return Session(
        id="se_1",
        program_id="pg_1",
        kind=SessionKind.ONE_ON_ONE,
        match_ids=("mt_1",),
        group_id=None,
        host_id=HOST,
        attendee_ids=(HOST, GUEST),
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=status,
        sequence=0,
        module_index=None,
        module_title=None,
        final=True,
        unscheduled_reason="no slot" if status is SessionStatus.UNSCHEDULED else None,
        capacity=None,
        revision=1,
        held_at=None,
        cancelled_reason=None,
        cancelled_by=None,
        updated_at=NOW - timedelta(days=1),
    )


def _act(session: Session, action: Action, actor: Actor, now: datetime) -> Outcome:
    later = max(now, session.starts_at) + timedelta(hours=2)
    if action is Action.SCHEDULE or action is Action.RESCHEDULE:
        return lifecycle.schedule(session, actor, later, now, action=action)
    if action is Action.UNSCHEDULE:
        return lifecycle.unschedule(session, actor, "no slot fits any more", now)
    if action is Action.CANCEL:
        return lifecycle.cancel(session, actor, "travel", now)
    if action is Action.COMPLETE:
        return lifecycle.complete(session, actor, now)
    return lifecycle.no_show(session, actor, [GUEST], now)


@pytest.mark.parametrize("status", list(SessionStatus))
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a.person_id or a.kind.value)
def test_the_transition_table(status: SessionStatus, action: Action, actor: Actor) -> None:
    session = _session(status, starts_in=-2)  # past its start: no-shows may be recorded
    now = NOW
    rule = RULES[action]
    allowed = (
        status in rule.sources
        and actor.kind in rule.actors
        and (actor.kind is not ActorKind.PERSON or actor.person_id in session.attendee_ids)
    )
    if not allowed:
        with pytest.raises(Refused):
            _act(session, action, actor, now)
        return
    outcome = _act(session, action, actor, now)
    expected = {
        Action.SCHEDULE: (SessionStatus.SCHEDULED, SessionRescheduled),
        Action.RESCHEDULE: (SessionStatus.SCHEDULED, SessionRescheduled),
        Action.UNSCHEDULE: (SessionStatus.UNSCHEDULED, SessionRescheduled),
        Action.CANCEL: (SessionStatus.CANCELLED, SessionCancelled),
        Action.COMPLETE: (SessionStatus.COMPLETED, SessionCompleted),
        Action.NO_SHOW: (SessionStatus.NO_SHOW, SessionNoShow),
    }[action]
    assert outcome.session.status is expected[0]
    assert isinstance(outcome.event, expected[1])
    assert outcome.session.revision == 2
    assert outcome.event.session.revision == 2


def test_completing_early_records_when_it_was_held_and_who_came() -> None:
    session = _session(starts_in=48)
    outcome = lifecycle.complete(
        session, Actor.named(GUEST), NOW, attendance={HOST: AttendanceStatus.ABSENT}
    )
    assert outcome.session.held_at == NOW
    assert outcome.attendance == {HOST: AttendanceStatus.ABSENT, GUEST: AttendanceStatus.ATTENDED}
    assert isinstance(outcome.event, SessionCompleted) and outcome.event.session.final
    with pytest.raises(Refused, match="ahead"):
        lifecycle.complete(session, ADMIN, NOW, held_at=NOW + timedelta(minutes=1))
    with pytest.raises(Refused, match="not invited"):
        lifecycle.complete(session, ADMIN, NOW, attendance={"x": AttendanceStatus.ATTENDED})


def test_a_no_show_waits_for_the_start_and_names_attendees_only() -> None:
    with pytest.raises(Refused) as refused:
        lifecycle.no_show(_session(starts_in=1), ADMIN, [], NOW)
    assert refused.value.code.value == "NOT_ALLOWED_IN_STATE"
    with pytest.raises(Refused, match="not invited"):
        lifecycle.no_show(_session(starts_in=-1), ADMIN, ["x"], NOW)


def test_a_time_that_has_passed_is_refused_and_the_same_time_changes_nothing() -> None:
    session = _session()
    with pytest.raises(Refused) as refused:
        lifecycle.schedule(
            session, ADMIN, NOW - timedelta(minutes=1), NOW, action=Action.RESCHEDULE
        )
    assert refused.value.field == "startsAt"
    same = lifecycle.schedule(session, ADMIN, session.starts_at, NOW, action=Action.RESCHEDULE)
    assert not same.changed and same.session == session


def test_cairn_cancels_only_what_lies_ahead() -> None:
    assert not lifecycle.cancel_if_ahead(_session(starts_in=-1), "left", NOW).changed
    assert not lifecycle.cancel_if_ahead(_session(SessionStatus.COMPLETED), "left", NOW).changed
    ahead = lifecycle.cancel_if_ahead(_session(), "left", NOW)
    assert isinstance(ahead.event, SessionCancelled) and ahead.event.cancelled_by is None


class SessionLife(RuleBasedStateMachine):
    """Random actions by random actors at a clock that only moves forward."""

    def __init__(self) -> None:
        super().__init__()
        self.session = _session()
        self.now = NOW

    @rule(
        action=st.sampled_from(list(Action)),
        actor=st.sampled_from(ACTORS),
        hours=st.integers(0, 72),
    )
    def act(self, action: Action, actor: Actor, hours: int) -> None:
        self.now += timedelta(hours=hours)
        before = self.session
        try:
            outcome = _act(before, action, actor, self.now)
        except Refused:
            return
        after = outcome.session
        if before.status in FINAL:
            raise AssertionError(f"{before.status} changed by {action}")
        if outcome.changed:
            assert after.revision == before.revision + 1
            assert outcome.event is not None and outcome.event.session == after.snapshot()
            assert after.updated_at >= before.updated_at
        else:
            assert after == before
        self.session = after

    @invariant()
    def held_only_when_completed(self) -> None:
        assert (self.session.held_at is not None) == (
            self.session.status is SessionStatus.COMPLETED
        )

    @invariant()
    def the_length_never_changes(self) -> None:
        assert self.session.duration == timedelta(hours=1)

    @invariant()
    def unscheduled_sessions_say_why(self) -> None:
        if self.session.status is SessionStatus.UNSCHEDULED:
            assert self.session.unscheduled_reason


SessionLife.TestCase.settings = settings(max_examples=150, stateful_step_count=15, deadline=None)
test_session_life = SessionLife.TestCase


@given(st.lists(st.sampled_from([HOST, GUEST]), max_size=4))
def test_absent_people_are_named_once(absent: list[str]) -> None:
    outcome = lifecycle.no_show(_session(starts_in=-1), ADMIN, absent, NOW)
    assert isinstance(outcome.event, SessionNoShow)
    assert outcome.event.absent_ids == list(dict.fromkeys(absent))
    assert {p for p, s in outcome.attendance.items() if s is AttendanceStatus.ABSENT} == set(absent)
