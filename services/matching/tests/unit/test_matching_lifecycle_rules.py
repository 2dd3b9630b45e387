"""The match lifecycle as a state machine: every (status, action, actor) against the table the
product defines, and random lives of a match keeping its invariants."""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from contracts.matches import MatchOrigin, MatchReviewFlagged, MatchStatus
from contracts.problems import Code
from contracts.programs import ProgramKind
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from matching.domain import lifecycle
from matching.domain.lifecycle import ADMIN, SYSTEM, Actor, Match, Outcome
from matching.domain.model import Criterion, Reason
from runtime.refusals import Refused

P, A, D = MatchStatus.PROPOSED, MatchStatus.ACCEPTED, MatchStatus.DECLINED
ACT, C, E = MatchStatus.ACTIVE, MatchStatus.COMPLETED, MatchStatus.ENDED
T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
TTL = timedelta(days=7)

ACTORS: dict[str, Actor] = {
    "mentor": Actor.named("mr"),
    "mentee": Actor.named("me"),
    "outsider": Actor.named("boss"),
    "admin": ADMIN,
    "system": SYSTEM,
}
PARTICIPANTS = ("mentor", "mentee")
ENDERS = ("mentor", "mentee", "admin", "system")
SYSTEM_ONLY = ("system",)

Step = Callable[[Match, Actor], Outcome]
ACTIONS: dict[str, Step] = {
    "accept": lambda m, a: lifecycle.accept(m, a, T0),
    "decline": lambda m, a: lifecycle.decline(m, a, None, T0),
    "expire": lambda m, a: lifecycle.expire(m, a, T0),
    "end": lambda m, a: lifecycle.end(m, a, "moved on", T0),
    "hold": lambda m, a: lifecycle.hold_session(m, a, T0, final=False),
    "hold_final": lambda m, a: lifecycle.hold_session(m, a, T0, final=True),
    "complete": lambda m, a: lifecycle.complete(m, a, "done", T0),
    "flag": lambda m, a: lifecycle.flag_for_review(m, a, "one reporting line", T0),
}

# The product's table: (status, action) → (who may, the status after or None when the status
# refuses it, the events announced). A match here has no acceptance yet and no review flag.
TABLE: dict[tuple[MatchStatus, str], tuple[tuple[str, ...], MatchStatus | None, list[str]]] = {
    (P, "accept"): (PARTICIPANTS, P, []),
    (P, "decline"): (PARTICIPANTS, D, ["match.declined"]),
    (P, "expire"): (SYSTEM_ONLY, D, ["match.declined"]),
    (P, "end"): (ENDERS, E, ["match.ended"]),
    (P, "hold"): (SYSTEM_ONLY, P, []),
    (P, "hold_final"): (SYSTEM_ONLY, P, []),
    (P, "complete"): (SYSTEM_ONLY, None, []),
    (P, "flag"): (SYSTEM_ONLY, P, ["match.review_flagged"]),
    (A, "accept"): (PARTICIPANTS, None, []),  # accepted without asking: nothing to accept
    (A, "decline"): (PARTICIPANTS, None, []),
    (A, "expire"): (SYSTEM_ONLY, None, []),
    (A, "end"): (ENDERS, E, ["match.ended"]),
    (A, "hold"): (SYSTEM_ONLY, ACT, ["match.activated"]),
    (A, "hold_final"): (SYSTEM_ONLY, C, ["match.activated", "match.completed"]),
    (A, "complete"): (SYSTEM_ONLY, None, []),
    (A, "flag"): (SYSTEM_ONLY, A, ["match.review_flagged"]),
    (ACT, "accept"): (PARTICIPANTS, None, []),
    (ACT, "decline"): (PARTICIPANTS, None, []),
    (ACT, "expire"): (SYSTEM_ONLY, None, []),
    (ACT, "end"): (ENDERS, E, ["match.ended"]),
    (ACT, "hold"): (SYSTEM_ONLY, ACT, []),
    (ACT, "hold_final"): (SYSTEM_ONLY, C, ["match.completed"]),
    (ACT, "complete"): (SYSTEM_ONLY, C, ["match.completed"]),
    (ACT, "flag"): (SYSTEM_ONLY, ACT, ["match.review_flagged"]),
}
for _over in (D, C, E):  # over for good: only a held session is still counted
    TABLE |= {
        (_over, "accept"): (PARTICIPANTS, None, []),
        (_over, "decline"): (PARTICIPANTS, None, []),
        (_over, "expire"): (SYSTEM_ONLY, None, []),
        (_over, "end"): (ENDERS, None, []),
        (_over, "hold"): (SYSTEM_ONLY, _over, []),
        (_over, "hold_final"): (SYSTEM_ONLY, _over, []),
        (_over, "complete"): (SYSTEM_ONLY, None, []),
        (_over, "flag"): (SYSTEM_ONLY, None, []),
    }

EDGES = {(P, A), (P, D), (P, E), (A, ACT), (A, E), (ACT, C), (ACT, E)}


def proposed(*, consent_needed: bool = True, origin: MatchOrigin = MatchOrigin.RUN) -> Outcome:
    return lifecycle.propose(
        match_id="mt_1",
        program_id="pg_1",
        kind=ProgramKind.ONE_ON_ONE,
        mentor_id="mr",
        mentee_id="me",
        score=0.812345,
        reasons=(Reason(Criterion.GOALS, 0.412345, "You share a goal: strategy."),),
        origin=origin,
        now=T0 - timedelta(days=1),
        expires_after=TTL,
        consent_needed=consent_needed,
    )


def in_status(status: MatchStatus) -> Match:
    match = proposed().match
    return replace(match, status=status, expires_at=match.expires_at if status is P else None)


def test_the_table_names_every_status_and_action() -> None:
    assert set(TABLE) == {(s, a) for s in MatchStatus for a in ACTIONS}


@pytest.mark.parametrize(("status", "action"), sorted(TABLE))
def test_every_status_action_and_actor_is_allowed_or_refused_as_the_table_says(
    status: MatchStatus, action: str
) -> None:
    allowed, after, events = TABLE[(status, action)]
    match = in_status(status)
    for who, actor in ACTORS.items():
        if who not in allowed:
            with pytest.raises(Refused) as refused:
                ACTIONS[action](match, actor)
            assert (refused.value.code, refused.value.field) == (Code.INVALID, "personId"), who
        elif after is None:
            with pytest.raises(Refused) as refused:
                ACTIONS[action](match, actor)
            assert refused.value.code is Code.NOT_ALLOWED_IN_STATE, who
            assert refused.value.message == f"a {status} match cannot be {_done(action)}"
        else:
            outcome = ACTIONS[action](match, actor)
            assert outcome.match.status is after, who
            assert [e.event_type for e in outcome.events()] == events, who
            revisions = [c.match.revision for c in outcome.changes]
            assert revisions == list(range(match.revision + 1, match.revision + 1 + len(revisions)))


def _done(action: str) -> str:
    """The word today's refusals use: "a DECLINED match cannot be accepted"."""
    return {
        "accept": "accepted",
        "decline": "declined",
        "expire": "expired",
        "end": "ended",
        "complete": "completed",
        "flag": "flagged for review",
    }[action]


def test_a_proposal_announces_itself_and_accepts_at_once_without_consent() -> None:
    asked = proposed()
    assert [e.event_type for e in asked.events()] == ["match.proposed"]
    assert asked.created and asked.match.revision == 1 and asked.match.status is P
    assert asked.match.expires_at == T0 - timedelta(days=1) + TTL
    assert (asked.match.score, asked.match.reasons[0].contribution) == (0.8123, 0.4123)

    waived = proposed(consent_needed=False)
    assert [e.event_type for e in waived.events()] == ["match.proposed", "match.accepted"]
    assert [e.match.status for e in waived.events()] == [P, A]
    assert waived.match.revision == 2 and waived.match.expires_at is None
    # Only what a match run proposes skips consent: a mentee's own choice is still asked.
    chosen = proposed(consent_needed=False, origin=MatchOrigin.SELF_SERVE)
    assert chosen.match.status is P


def test_both_participants_accept_once_each() -> None:
    match = proposed().match
    half = lifecycle.accept(match, ACTORS["mentee"], T0)
    assert half.match.accepted_by == ("me",) and half.events() == []
    assert lifecycle.accept(half.match, ACTORS["mentee"], T0).changes == ()
    both = lifecycle.accept(half.match, ACTORS["mentor"], T0)
    assert both.match.status is A and both.match.decided_at == T0
    assert both.match.expires_at is None
    assert [e.event_type for e in both.events()] == ["match.accepted"]
    assert lifecycle.accept(both.match, ACTORS["mentor"], T0).changes == ()


def test_refusals_name_what_is_wrong() -> None:
    match = proposed().match
    cases: list[tuple[Callable[[], Outcome], str, str]] = [
        (lambda: lifecycle.accept(match, ADMIN, T0), "personId", "name the participant who"),
        (lambda: lifecycle.decline(match, ACTORS["outsider"], None, T0), "personId", "not part"),
        (lambda: lifecycle.end(match, ADMIN, "  ", T0), "reason", "say why the match ends"),
        (lambda: lifecycle.end(match, ADMIN, "x" * 501, T0), "reason", "at most 500 characters"),
        (lambda: lifecycle.expire(match, ADMIN, T0), "personId", "expired by matching itself"),
    ]
    for attempt, field, message in cases:
        with pytest.raises(Refused) as refused:
            attempt()
        assert refused.value.code is Code.INVALID
        assert refused.value.field == field and message in refused.value.message


def test_a_decline_says_who_unless_told_why() -> None:
    match = proposed().match
    assert lifecycle.decline(match, ACTORS["mentor"], None, T0).match.reason == "declined by mr"
    assert lifecycle.decline(match, ACTORS["mentee"], " no fit ", T0).match.reason == "no fit"
    assert lifecycle.expire(match, SYSTEM, T0).match.reason == lifecycle.EXPIRED


def test_a_closing_program_completes_what_began_and_ends_what_did_not() -> None:
    for status, after, events in (
        (ACT, C, ["match.completed"]),
        (A, E, ["match.ended"]),
        (P, E, ["match.ended"]),
        (D, D, []),
        (C, C, []),
        (E, E, []),
    ):
        outcome = lifecycle.close_with_program(in_status(status), T0)
        assert outcome.match.status is after
        assert [e.event_type for e in outcome.events()] == events
        if events:
            assert outcome.match.reason == lifecycle.PROGRAM_CLOSED


def test_held_sessions_keep_the_latest_and_the_clock_never_goes_back() -> None:
    match = in_status(A)
    later = lifecycle.hold_session(match, SYSTEM, T0 + timedelta(days=3), final=False).match
    earlier = lifecycle.hold_session(later, SYSTEM, T0 - timedelta(days=3), final=False).match
    assert (earlier.sessions_completed, earlier.status) == (2, ACT)
    assert earlier.last_session_at == T0 + timedelta(days=3)
    assert earlier.updated_at == later.updated_at == T0 + timedelta(days=3)


def test_flagging_twice_changes_nothing() -> None:
    flagged = lifecycle.flag_for_review(in_status(ACT), SYSTEM, "one line", T0).match
    assert flagged.flagged_for_review and flagged.reason == "one line"
    assert lifecycle.flag_for_review(flagged, SYSTEM, "again", T0).changes == ()


@given(st.sampled_from(sorted(MatchStatus)))
def test_the_snapshot_is_the_match(status: MatchStatus) -> None:
    match = in_status(status)
    snapshot = match.snapshot()
    assert (snapshot.id, snapshot.status, snapshot.revision) == (match.id, status, match.revision)
    assert snapshot.mentee_ids == [match.mentee_id]
    assert snapshot.reasons[0].model_dump() == {
        "criterion": "GOALS",
        "contribution": 0.4123,
        "explanation": "You share a goal: strategy.",
    }


WHO = st.sampled_from(sorted(ACTORS))
REASONS = st.none() | st.sampled_from(["", "  ", "moved on", "x" * 501])


class MatchLives(RuleBasedStateMachine):
    """Random actions by random actors on one match: what is refused changes nothing, what is
    allowed keeps every invariant."""

    def __init__(self) -> None:
        super().__init__()
        self.match: Match | None = None
        self.waived = False
        self.now = T0

    @precondition(lambda self: self.match is None)
    @rule(consent_needed=st.booleans(), origin=st.sampled_from(sorted(MatchOrigin)))
    def propose(self, consent_needed: bool, origin: MatchOrigin) -> None:
        outcome = proposed(consent_needed=consent_needed, origin=origin)
        self.waived = not consent_needed and origin is MatchOrigin.RUN
        assert outcome.created
        self._apply(outcome)

    @precondition(lambda self: self.match is not None)
    @rule(seconds=st.integers(0, 14 * 24 * 3600))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @precondition(lambda self: self.match is not None)
    @rule(who=WHO)
    def accept(self, who: str) -> None:
        self._try(lambda m: lifecycle.accept(m, ACTORS[who], self.now))

    @precondition(lambda self: self.match is not None)
    @rule(who=WHO, reason=REASONS)
    def decline(self, who: str, reason: str | None) -> None:
        self._try(lambda m: lifecycle.decline(m, ACTORS[who], reason, self.now))

    @precondition(lambda self: self.match is not None)
    @rule(who=WHO)
    def expire(self, who: str) -> None:
        self._try(lambda m: lifecycle.expire(m, ACTORS[who], self.now))

    @precondition(lambda self: self.match is not None)
    @rule(who=WHO, reason=REASONS)
    def end(self, who: str, reason: str | None) -> None:
        self._try(lambda m: lifecycle.end(m, ACTORS[who], reason, self.now))

    @precondition(lambda self: self.match is not None)
    @rule(who=WHO, final=st.booleans(), ago=st.integers(-3600, 30 * 24 * 3600))
    def hold_session(self, who: str, final: bool, ago: int) -> None:
        ended_at = self.now - timedelta(seconds=ago)
        self._try(lambda m: lifecycle.hold_session(m, ACTORS[who], ended_at, final=final))

    @precondition(lambda self: self.match is not None)
    @rule(who=WHO)
    def complete(self, who: str) -> None:
        self._try(lambda m: lifecycle.complete(m, ACTORS[who], "done", self.now))

    @precondition(lambda self: self.match is not None)
    @rule(who=WHO)
    def flag(self, who: str) -> None:
        self._try(lambda m: lifecycle.flag_for_review(m, ACTORS[who], "one line", self.now))

    @precondition(lambda self: self.match is not None)
    @rule()
    def program_closes(self) -> None:
        self._try(lambda m: lifecycle.close_with_program(m, self.now))

    def _try(self, transition: Callable[[Match], Outcome]) -> None:
        assert self.match is not None
        try:
            outcome = transition(self.match)
        except Refused as refused:
            assert refused.code in (Code.INVALID, Code.NOT_ALLOWED_IN_STATE)
            return
        self._apply(outcome)

    def _apply(self, outcome: Outcome) -> None:
        before = self.match
        revision = 0 if before is None else before.revision
        previous = before
        for change in outcome.changes:
            after = change.match
            assert after.revision == revision + 1  # one revision per change
            revision = after.revision
            if previous is not None:
                self._step(previous, after, change.event)
            previous = after
        assert outcome.match == (previous if outcome.changes else before)
        self.match = outcome.match

    def _step(self, before: Match, after: Match, event: object) -> None:
        assert after.updated_at >= before.updated_at
        assert after.sessions_completed >= before.sessions_completed
        if before.status in lifecycle.TERMINAL:
            assert after.status is before.status  # over for good
        if after.status is not before.status:
            assert (before.status, after.status) in EDGES
            assert event is lifecycle.ANNOUNCED[after.status]
        elif after.flagged_for_review and not before.flagged_for_review:
            assert event is MatchReviewFlagged
        else:
            assert event is None
        assert (after.id, after.participants, after.proposed_at) == (
            before.id,
            before.participants,
            before.proposed_at,
        )

    @invariant()
    def acceptance_follows_the_participants(self) -> None:
        m = self.match
        if m is None:
            return
        assert set(m.accepted_by) <= set(m.participants)
        assert len(set(m.accepted_by)) == len(m.accepted_by)
        everyone = set(m.accepted_by) == set(m.participants)
        if m.status is P:
            assert not everyone
        if m.status is A:
            assert everyone or self.waived

    @invariant()
    def moments_fit_the_status(self) -> None:
        m = self.match
        if m is None:
            return
        assert (m.expires_at is not None) == (m.status is P)
        assert (m.ended_at is not None) == (m.status in (C, E))
        if m.status in (A, D, ACT, C):
            assert m.decided_at is not None
        if m.status is P:
            assert m.decided_at is None
        if m.status in (D, E):
            assert m.reason


MatchLives.TestCase.settings = settings(max_examples=300, stateful_step_count=30, deadline=None)
test_match_lives = MatchLives.TestCase
