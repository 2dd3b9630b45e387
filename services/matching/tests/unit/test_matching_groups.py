"""GROUP programs: circles around leaders, diverse in departments and balanced in goals."""

from __future__ import annotations

import pytest
from contracts.programs import ParticipantRole, ProgramKind
from matching.domain.groups import goal_theme
from matching.domain.model import (
    CohortProblem,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)
from matching.domain.optimizer import solve_cohort


def _problem(penalty: float, group_size: int = 2, goal_penalty: float = 0.05) -> CohortProblem:
    # Four mentees the leaders score alike except for who sits next to whom: two from
    # Sales, two from Legal. Without a diversity penalty any split is optimal.
    mentees = [
        MenteeProfile(
            id=f"{dept}{k}",
            level=2,
            roles=frozenset({ParticipantRole.MENTEE}),
            department=dept,
            goals=["learn pricing"],
        )
        for dept in ("sales", "legal")
        for k in range(2)
    ]
    leaders = [
        MentorProfile(
            id=f"lead{k}",
            level=4,
            roles=frozenset({ParticipantRole.MENTOR}),
            department="Strategy",
            skills=["pricing"],
        )
        for k in range(2)
    ]
    policy = MatchingPolicy(
        kind=ProgramKind.GROUP,
        group_size=group_size,
        department_diversity_penalty=penalty,
        goal_balance_penalty=goal_penalty,
        mentors_per_mentee=3,  # ignored: one circle per mentee
    )
    return CohortProblem(policy=policy, mentors=leaders, mentees=mentees)


def test_matching_circles_mix_departments_when_the_policy_asks() -> None:
    solution = solve_cohort(_problem(penalty=0.05))
    assert len(solution.circles) == 2
    for circle in solution.circles:
        assert len(circle.member_ids) == 2
        assert circle.departments == 2  # one from Sales, one from Legal
    assert solution.stats.proven_optimal


def test_matching_every_mentee_joins_one_circle_of_at_most_group_size() -> None:
    solution = solve_cohort(_problem(penalty=0.05, group_size=3))
    members = [m for c in solution.circles for m in c.member_ids]
    assert sorted(members) == ["legal0", "legal1", "sales0", "sales1"]
    assert all(len(c.member_ids) <= 3 for c in solution.circles)
    assert len(solution.matches) == 4  # each member also appears as a match with the leader
    assert all(len(m.reasons) > 0 for m in solution.matches)


def test_matching_the_diversity_penalty_is_paid_only_for_repeats() -> None:
    # Everyone shares one goal, so goals are left out here: this is about departments.
    alone = solve_cohort(_problem(penalty=0.05, group_size=4, goal_penalty=0))
    # Two mentees of one department share a circle only if that costs nothing: the optimum
    # spreads them, so no penalty is paid and the total equals the sum of the scores.
    assert alone.stats.objective == round(alone.stats.total_score * 10_000)
    assert all(c.departments == len(c.member_ids) for c in alone.circles)


def _themed(goal_penalty: float) -> CohortProblem:
    # Two leaders who score every mentee alike (same profile), so any seating has the same
    # fit and no departments: the flow is free to seat the two pricing mentees together
    # and the two hiring ones together, which is what its tie-breaking does.
    mentees = [
        MenteeProfile(id=f"m{k}", level=2, roles=frozenset({ParticipantRole.MENTEE}), goals=[goal])
        for k, goal in enumerate(
            ["learn pricing", "learn pricing", "Learn  Hiring", "learn hiring"]
        )
    ]
    leaders = [
        MentorProfile(
            id=f"lead{k}",
            level=4,
            roles=frozenset({ParticipantRole.MENTOR}),
            skills=["pricing", "hiring"],
        )
        for k in range(2)
    ]
    policy = MatchingPolicy(kind=ProgramKind.GROUP, group_size=2, goal_balance_penalty=goal_penalty)
    return CohortProblem(policy=policy, mentors=leaders, mentees=mentees)


def test_matching_circles_spread_goal_themes_when_leaders_fit_alike() -> None:
    flow_only = solve_cohort(_themed(goal_penalty=0))
    assert any(c.goal_themes < len(c.member_ids) for c in flow_only.circles)  # the premise
    balanced = solve_cohort(_themed(goal_penalty=0.05))
    assert len(balanced.circles) == 2
    for circle in balanced.circles:
        assert len(circle.member_ids) == 2
        assert circle.goal_themes == 2  # one pricing, one hiring
    # Re-seating costs no fit here, and no goal penalty is left to pay.
    assert balanced.stats.total_score == flow_only.stats.total_score
    assert balanced.stats.objective == round(balanced.stats.total_score * 10_000)
    assert balanced.stats.proven_optimal
    assert {m.mentee_id for m in balanced.matches} == {m.mentee_id for m in flow_only.matches}


def test_matching_a_goal_theme_is_the_first_goal_normalized() -> None:
    def mentee(goals: list[str]) -> MenteeProfile:
        return MenteeProfile(
            id="m", level=1, roles=frozenset({ParticipantRole.MENTEE}), goals=goals
        )

    assert goal_theme(mentee(["  Learn   PRICING ", "hiring"])) == "learn pricing"
    assert goal_theme(mentee([])) is None
    assert goal_theme(mentee(["   "])) is None


def test_matching_policy_rejects_a_goal_balance_penalty_out_of_range() -> None:
    with pytest.raises(ValueError, match="goal_balance_penalty"):
        MatchingPolicy(kind=ProgramKind.GROUP, goal_balance_penalty=1.5)
