"""GROUP programs: circles around leaders, diverse in departments."""

from __future__ import annotations

from matching.domain.model import (
    CohortProblem,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
    ProgramKind,
    Role,
)
from matching.domain.optimizer import solve_cohort


def _problem(penalty: float, group_size: int = 2) -> CohortProblem:
    # Four mentees the leaders score alike except for who sits next to whom: two from
    # Sales, two from Legal. Without a diversity penalty any split is optimal.
    mentees = [
        MenteeProfile(
            id=f"{dept}{k}",
            level=2,
            roles=frozenset({Role.MENTEE}),
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
            roles=frozenset({Role.MENTOR}),
            department="Strategy",
            skills=["pricing"],
        )
        for k in range(2)
    ]
    policy = MatchingPolicy(
        kind=ProgramKind.GROUP,
        group_size=group_size,
        department_diversity_penalty=penalty,
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
    alone = solve_cohort(_problem(penalty=0.05, group_size=4))  # could fit one circle
    # Two mentees of one department share a circle only if that costs nothing: the optimum
    # spreads them, so no penalty is paid and the total equals the sum of the scores.
    assert alone.stats.objective == round(alone.stats.total_score * 10_000)
    assert all(c.departments == len(c.member_ids) for c in alone.circles)
