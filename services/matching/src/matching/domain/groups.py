"""GROUP programs: circles of mentees around a leader.

Why a flow and not a clustering heuristic: each leader is a column with `group_size` places,
so the global min-cost flow already puts every mentee in the circle whose leader best covers
their goals, exactly. Department diversity is modelled inside the same flow rather than by a
local-improvement pass afterwards: arcs from one department reach a leader through a
(leader, department) node whose first unit is free and each further unit costs
`department_diversity_penalty`. That cost is convex in the number of same-department members,
which min-cost flow optimizes exactly, so the circles are the optimum of
"fit with the leader minus lack of diversity" rather than a heuristic's approximation of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from matching.domain.model import Circle, MatchingPolicy, MenteeProfile, MentorProfile
from matching.domain.scoring import SCORE_SCALE


def leader_places(policy: MatchingPolicy, leader: MentorProfile) -> int:
    """A leader leads one circle of up to group_size (an eligible leader has capacity > 0)."""
    return policy.group_size if leader.capacity > 0 else 0


def diversity_penalty(policy: MatchingPolicy) -> int:
    """The penalty per extra same-department member, in integer score units."""
    return round(policy.department_diversity_penalty * SCORE_SCALE)


def form_circles(
    leaders: Sequence[MentorProfile],
    mentees: Sequence[MenteeProfile],
    pairs: Sequence[tuple[int, int]],
) -> tuple[Circle, ...]:
    """One circle per leader who got members; `pairs` are (mentee, leader) indices."""
    members: dict[int, list[int]] = defaultdict(list)
    for mentee, leader in pairs:
        members[leader].append(mentee)
    circles = []
    for leader in sorted(members):
        people = [mentees[i] for i in sorted(members[leader])]
        departments = {p.department for p in people if p.department is not None}
        circles.append(
            Circle(
                leader_id=leaders[leader].id,
                member_ids=tuple(p.id for p in people),
                departments=len(departments),
            )
        )
    return tuple(circles)
