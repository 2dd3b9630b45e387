"""The compatibility score and the reasons given for it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from contracts.programs import ParticipantRole, ProgramKind
from matching.domain.model import (
    Criterion,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
    ScoreWeights,
)
from matching.domain.reasons import explain
from matching.domain.scoring import (
    CohortScorer,
    rating_value,
    shared_hours,
    weekday_on_or_after,
    workday_start_utc,
)

JANUARY = date(2025, 1, 15)


def overlap(a: str, b: str, day: date = JANUARY) -> float | None:
    start_a, start_b = workday_start_utc(a, day), workday_start_utc(b, day)
    if start_a is None or start_b is None:
        return None
    return float(shared_hours(np.array([start_a]), np.array([start_b]))[0])


def test_matching_working_hours_overlap_across_time_zones() -> None:
    assert overlap("Europe/Paris", "Europe/Berlin") == 8
    assert overlap("Europe/London", "America/New_York") == 3  # 9-17 UTC vs 14-22 UTC
    assert overlap("Asia/Tokyo", "America/Los_Angeles") == 1  # across the date line
    assert overlap("Europe/London", "Australia/Sydney") == 0
    assert overlap("Europe/London", "Nowhere/Special") is None


def test_matching_working_hours_follow_daylight_saving_on_the_reference_day() -> None:
    # New York moves to summer time on 9 March 2025, London only on 30 March.
    assert overlap("Europe/London", "America/New_York", date(2025, 3, 12)) == 4
    assert overlap("Europe/London", "America/New_York", date(2025, 7, 16)) == 3


def test_matching_a_weekend_reference_day_moves_to_the_monday() -> None:
    assert weekday_on_or_after(date(2025, 3, 15)) == date(2025, 3, 17)  # Saturday
    assert weekday_on_or_after(date(2025, 3, 16)) == date(2025, 3, 17)  # Sunday
    assert weekday_on_or_after(date(2025, 3, 12)) == date(2025, 3, 12)  # Wednesday


def test_matching_feedback_is_neutral_when_unknown_and_shrunk_when_thin() -> None:
    assert rating_value(None, 0) == 0.5
    assert rating_value(5.0, 0) == 0.5
    assert rating_value(5.0, 1) == pytest.approx((11 / 3 - 1) / 4)
    assert rating_value(5.0, 1000) > 0.99
    assert rating_value(1.0, 1000) < 0.01
    assert rating_value(4.0, 10) > rating_value(4.0, 1) > 0.5


def _people() -> tuple[list[MenteeProfile], list[MentorProfile]]:
    mentees = [
        MenteeProfile(
            id="m1",
            level=2,
            roles=frozenset({ParticipantRole.MENTEE}),
            department="Sales",
            goals=["get better at negotiation", "public speaking"],
            interests=["Chess", "hiking"],
            time_zone="Europe/London",
        ),
        MenteeProfile(
            id="m2",
            level=1,
            roles=frozenset({ParticipantRole.MENTEE}),
            goals=["financial modeling"],
        ),
    ]
    mentors = [
        MentorProfile(
            id="a",
            name="Ana",
            level=4,
            roles=frozenset({ParticipantRole.MENTOR}),
            department="Legal",
            skills=["negotiation", "public speaking"],
            bio="Closed hundreds of deals; coaches negotiators.",
            interests=["chess"],
            time_zone="Europe/Paris",
            mean_rating=4.8,
            rating_count=12,
        ),
        MentorProfile(
            id="b",
            name="Ben",
            level=6,
            roles=frozenset({ParticipantRole.MENTOR}),
            department="Sales",
            skills=["financial modeling", "budgeting"],
            time_zone="Asia/Tokyo",
        ),
    ]
    return mentees, mentors


def test_matching_goals_are_covered_by_the_mentor_whose_experience_matches() -> None:
    mentees, mentors = _people()
    scorer = CohortScorer(mentees, mentors, MatchingPolicy(), JANUARY)
    goals = scorer.criteria(np.arange(2, dtype=np.intp))[Criterion.GOALS]
    assert goals[0, 0] > 0.3 > goals[0, 1]  # negotiation and speaking: Ana
    assert goals[1, 1] > 0.3 > goals[1, 0]  # financial modeling: Ben


def test_matching_each_criterion_reads_as_the_issue_describes() -> None:
    mentees, mentors = _people()
    scorer = CohortScorer(
        mentees, mentors, MatchingPolicy(min_level_gap=1, max_level_gap=3), JANUARY
    )
    c = scorer.criteria(np.arange(2, dtype=np.intp))
    assert c[Criterion.INTERESTS][0, 0] == pytest.approx(0.5)  # {chess} / {chess, hiking}
    assert c[Criterion.CROSS_DEPARTMENT][0, 0] == 1.0  # Sales vs Legal
    assert c[Criterion.CROSS_DEPARTMENT][0, 1] == 0.0  # both Sales
    assert c[Criterion.CROSS_DEPARTMENT][1, 0] == 0.5  # m2's department is unknown
    assert c[Criterion.LEVEL_GAP][0, 0] == 1.0  # gap 2: the middle of 1..3
    assert c[Criterion.LEVEL_GAP][1, 0] == 0.5  # gap 3: the edge of the range
    assert c[Criterion.LEVEL_GAP][0, 1] == 0.0  # gap 4: outside (the rules forbid it anyway)
    assert c[Criterion.TIME_ZONE][0, 0] == pytest.approx(7 / 8)  # London vs Paris
    assert c[Criterion.TIME_ZONE][0, 1] == 0.0  # London vs Tokyo
    assert c[Criterion.FEEDBACK][0, 0] > 0.8 and c[Criterion.FEEDBACK][0, 1] == 0.5


def test_matching_score_is_the_weighted_mean_in_zero_one() -> None:
    mentees, mentors = _people()
    rows = np.arange(2, dtype=np.intp)
    only_goals = MatchingPolicy(
        weights=ScoreWeights(
            goals=2, interests=0, cross_department=0, level_gap=0, time_zone=0, feedback=0
        )
    )
    scorer = CohortScorer(mentees, mentors, only_goals, JANUARY)
    assert np.allclose(scorer.scores(rows), scorer.criteria(rows)[Criterion.GOALS])
    default = CohortScorer(mentees, mentors, MatchingPolicy(), JANUARY)
    scores = default.scores(rows)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert scores[0, 0] > scores[0, 1]
    pair = default.pair_criteria(np.array([0, 1]), np.array([0, 1]))
    assert np.allclose(default.weighted(pair), [scores[0, 0], scores[1, 1]])


def test_matching_peer_scores_are_symmetric() -> None:
    pool = [
        MenteeProfile(
            id=f"p{k}",
            level=k % 3,
            roles=frozenset({ParticipantRole.PEER}),
            goals=[["pricing"], ["hiring", "coaching"], ["negotiation"]][k % 3],
            skills=[["hiring"], ["pricing"], ["coaching", "negotiation"]][k % 3],
            interests=[["chess"], ["chess", "yoga"], []][k % 3],
            time_zone=["Europe/London", "Asia/Kolkata"][k % 2],
        )
        for k in range(7)
    ]
    scorer = CohortScorer(pool, pool, MatchingPolicy(kind=ProgramKind.PEER), JANUARY)
    scores = scorer.scores(np.arange(7, dtype=np.intp))
    assert np.array_equal(scores, scores.T)
    assert scorer.weights[Criterion.FEEDBACK] == 0  # peers carry no mentor ratings


def test_matching_reasons_explain_the_score_in_plain_sentences() -> None:
    mentees, mentors = _people()
    scorer = CohortScorer(mentees, mentors, MatchingPolicy(), JANUARY)
    score = scorer.scores(np.arange(1, dtype=np.intp))[0, 0]
    (evidence,) = scorer.evidence(np.array([0]), np.array([0]))
    reasons = explain(evidence)
    assert {r.criterion for r in reasons} == set(Criterion)
    assert sum(r.contribution for r in reasons) == pytest.approx(score, abs=1e-3)
    assert [r.contribution for r in reasons] == sorted(
        (r.contribution for r in reasons), reverse=True
    )
    text = {r.criterion: r.text for r in reasons}
    assert "negotiation" in text[Criterion.GOALS] and "Ana" in text[Criterion.GOALS]
    assert "chess" in text[Criterion.INTERESTS]
    assert "Legal" in text[Criterion.CROSS_DEPARTMENT]
    assert "2 levels above you" in text[Criterion.LEVEL_GAP]
    assert "7 hours" in text[Criterion.TIME_ZONE]
    assert "4.8 out of 5" in text[Criterion.FEEDBACK]


def test_matching_reasons_leave_out_criteria_the_program_does_not_weigh() -> None:
    mentees, mentors = _people()
    policy = MatchingPolicy(weights=ScoreWeights(feedback=0, interests=0))
    scorer = CohortScorer(mentees, mentors, policy, JANUARY)
    (evidence,) = scorer.evidence(np.array([1]), np.array([0]))
    reasons = explain(evidence)
    assert Criterion.FEEDBACK not in {r.criterion for r in reasons}
    assert Criterion.INTERESTS not in {r.criterion for r in reasons}
    assert any("We don't know both your departments" in r.text for r in reasons)
