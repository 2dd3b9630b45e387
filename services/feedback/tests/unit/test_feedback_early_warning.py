"""Early warning: each rule on hand-made matches at its threshold, and properties checked
against the rules restated independently on random histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contracts.matches import MatchStatus
from contracts.sessions import SessionStatus
from feedback.domain.early_warning import (
    EvidenceKind,
    FlagReason,
    MatchSignals,
    Rating,
    SessionOutcome,
    WarningThresholds,
    assess,
    not_yet_raised,
)
from feedback.domain.request_schedule import RequestKind
from hypothesis import given, settings
from hypothesis import strategies as st

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
DEFAULTS = WarningThresholds()


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def rating(value: int, days_ago: float, kind: RequestKind = RequestKind.SESSION) -> Rating:
    return Rating(response_id=f"r{value}-{days_ago}", kind=kind, value=value, at=ago(days_ago))


def session(status: SessionStatus, days_ago: float) -> SessionOutcome:
    return SessionOutcome(session_id=f"s-{days_ago}", status=status, starts_at=ago(days_ago))


def signals(**kw: object) -> MatchSignals:
    base: dict[str, object] = {
        "match_id": "m1",
        "program_id": "p1",
        "status": MatchStatus.ACTIVE,
        "started_at": ago(100),
        "last_held_at": ago(3),
        "last_held_session_id": "s-held",
    }
    return MatchSignals(**(base | kw))  # type: ignore[arg-type]


def reasons(s: MatchSignals) -> list[FlagReason]:
    return [f.reason for f in assess(s, DEFAULTS, NOW)]


def test_feedback_a_healthy_match_is_not_flagged() -> None:
    healthy = signals(
        ratings=[rating(4, 20), rating(5, 10), rating(4, 2, RequestKind.PULSE)],
        sessions=[
            session(SessionStatus.COMPLETED, 17),
            session(SessionStatus.CANCELLED, 10),
            session(SessionStatus.COMPLETED, 3),
        ],
    )
    assert assess(healthy, DEFAULTS, NOW) == []


def test_feedback_a_poor_session_rating_is_flagged_with_its_response() -> None:
    flags = assess(signals(ratings=[rating(4, 20), rating(2, 5)]), DEFAULTS, NOW)
    assert [f.reason for f in flags] == [FlagReason.LOW_SESSION_RATING]
    (evidence,) = flags[0].evidence
    assert (evidence.kind, evidence.id, evidence.detail) == (EvidenceKind.RATING, "r2-5", "2/5")
    assert "at or below 2" in flags[0].explanation
    # 3 is above the threshold; a rating older than the lookback no longer counts.
    assert reasons(signals(ratings=[rating(3, 5)])) == []
    assert reasons(signals(ratings=[rating(1, 61)])) == []


def test_feedback_a_low_pulse_is_its_own_reason() -> None:
    assert reasons(signals(ratings=[rating(1, 4, RequestKind.PULSE)])) == [
        FlagReason.LOW_PULSE_RATING
    ]


def test_feedback_two_missed_sessions_in_a_row_or_three_in_sixty_days() -> None:
    in_a_row = signals(
        sessions=[
            session(SessionStatus.COMPLETED, 30),
            session(SessionStatus.CANCELLED, 16),
            session(SessionStatus.NO_SHOW, 2),
        ],
        last_held_at=ago(25),
    )
    flags = assess(in_a_row, DEFAULTS, NOW)
    assert [f.reason for f in flags] == [FlagReason.REPEATED_MISSED_SESSIONS]
    assert [e.id for e in flags[0].evidence] == ["s-16", "s-2"]
    spread = signals(
        sessions=[
            session(SessionStatus.CANCELLED, 50),
            session(SessionStatus.COMPLETED, 40),
            session(SessionStatus.NO_SHOW, 30),
            session(SessionStatus.COMPLETED, 20),
            session(SessionStatus.CANCELLED, 10),
            session(SessionStatus.COMPLETED, 3),
        ],
    )
    assert reasons(spread) == [FlagReason.REPEATED_MISSED_SESSIONS]
    older = signals(
        sessions=[
            session(SessionStatus.CANCELLED, 70),
            session(SessionStatus.COMPLETED, 40),
            session(SessionStatus.NO_SHOW, 30),
            session(SessionStatus.COMPLETED, 20),
            session(SessionStatus.CANCELLED, 10),
            session(SessionStatus.COMPLETED, 3),
        ],
    )
    assert reasons(older) == []  # only two within 60 days, never two in a row


def test_feedback_a_silent_match_is_flagged_after_thirty_days() -> None:
    assert reasons(signals(last_held_at=ago(29))) == []
    flags = assess(signals(last_held_at=ago(30)), DEFAULTS, NOW)
    assert [f.reason for f in flags] == [FlagReason.NO_RECENT_SESSION]
    assert flags[0].evidence[0].id == "s-held"
    # Accepted but never met: counted from the acceptance.
    never_met = signals(status=MatchStatus.ACCEPTED, started_at=ago(31), last_held_at=None)
    assert reasons(never_met) == [FlagReason.NO_RECENT_SESSION]
    assert (
        reasons(signals(status=MatchStatus.ACCEPTED, started_at=ago(10), last_held_at=None)) == []
    )


def test_feedback_falling_ratings() -> None:
    assert reasons(signals(ratings=[rating(5, 30), rating(4, 20), rating(3, 10)])) == [
        FlagReason.FALLING_RATINGS
    ]
    assert reasons(signals(ratings=[rating(5, 30), rating(4, 20), rating(4, 10)])) == []
    assert reasons(signals(ratings=[rating(4, 20), rating(3, 10)])) == []  # too few
    assert (
        reasons(signals(ratings=[rating(3, 40), rating(5, 30), rating(4, 20), rating(5, 10)])) == []
    )


def test_feedback_closed_matches_are_never_flagged() -> None:
    for status in (MatchStatus.COMPLETED, MatchStatus.ENDED, MatchStatus.PROPOSED):
        assert reasons(signals(status=status, ratings=[rating(1, 1)], last_held_at=ago(90))) == []


def test_feedback_the_same_evidence_is_not_flagged_twice() -> None:
    first = assess(signals(ratings=[rating(2, 5)]), DEFAULTS, NOW)
    assert not_yet_raised(first, [f.key for f in first]) == []
    later = assess(signals(ratings=[rating(2, 5), rating(1, 1)]), DEFAULTS, NOW)
    assert not_yet_raised(later, [f.key for f in first]) == later  # new evidence: a new flag


def test_feedback_thresholds_are_checked() -> None:
    with pytest.raises(ValueError, match="low_session_rating"):
        WarningThresholds(low_session_rating=0)
    with pytest.raises(ValueError, match="silence"):
        WarningThresholds(silence=timedelta(0))
    with pytest.raises(ValueError, match="trend"):
        WarningThresholds(trend_length=1)


statuses = st.sampled_from(
    [SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.NO_SHOW]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(0, 120), st.sampled_from(RequestKind)), max_size=6
    ),
    st.lists(st.tuples(statuses, st.integers(0, 120)), max_size=8, unique_by=lambda t: t[1]),
    st.integers(0, 60),
)
def test_feedback_rules_agree_with_their_statement(
    raw_ratings: list[tuple[int, int, RequestKind]],
    raw_sessions: list[tuple[SessionStatus, int]],
    silent_days: int,
) -> None:
    rs = [
        Rating(response_id=f"r{i}", kind=k, value=v, at=ago(d))
        for i, (v, d, k) in enumerate(raw_ratings)
    ]
    ss = [session(status, d) for status, d in raw_sessions]
    got = set(reasons(signals(ratings=rs, sessions=ss, last_held_at=ago(silent_days))))
    recent = [r for r in rs if r.at >= ago(60)]
    assert (FlagReason.LOW_SESSION_RATING in got) == any(
        r.kind is RequestKind.SESSION and r.value <= 2 for r in recent
    )
    assert (FlagReason.LOW_PULSE_RATING in got) == any(
        r.kind is RequestKind.PULSE and r.value <= 2 for r in recent
    )
    newest_first = sorted(ss, key=lambda s: s.starts_at, reverse=True)
    last_two_missed = len(newest_first) >= 2 and all(
        s.status is not SessionStatus.COMPLETED for s in newest_first[:2]
    )
    three_recent = (
        sum(s.status is not SessionStatus.COMPLETED and s.starts_at >= ago(60) for s in ss) >= 3
    )
    assert (FlagReason.REPEATED_MISSED_SESSIONS in got) == (last_two_missed or three_recent)
    assert (FlagReason.NO_RECENT_SESSION in got) == (silent_days >= 30)
    by_time = sorted(rs, key=lambda r: r.at)[-3:]
    falling = len(by_time) == 3 and by_time[0].value > by_time[1].value > by_time[2].value
    assert (FlagReason.FALLING_RATINGS in got) == falling
