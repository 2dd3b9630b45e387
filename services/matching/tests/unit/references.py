"""What the matching tests check solutions against: the hard rules stated independently (from
the issue, not the code), random organizations, the exact MILP reference written straight from
the problem statement, and the checks every solution must pass (feasibility, priority)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from contracts.matches import Optimality
from contracts.programs import MatchObjective, ParticipantRole, ProgramKind
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from matching.domain.compatibility import Compatibility
from matching.domain.groups import diversity_penalty
from matching.domain.model import (
    CohortProblem,
    CohortSolution,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)
from scipy.optimize import Bounds, LinearConstraint, milp

# MATCHING_EXAMPLES=2000 for a long local run; the default keeps the suite fast.
SETTINGS = settings(
    max_examples=int(os.environ.get("MATCHING_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
DEPARTMENTS = ["Finance", "Sales", "Legal", None]
LANGUAGES = ["English", "German", "Hindi"]
ZONES = ["Europe/London", "America/New_York", "Asia/Tokyo", "Not/AZone"]
WORDS = ["negotiation", "hiring", "budgets", "pricing", "coaching", "strategy"]
BIPARTITE = st.sampled_from([ProgramKind.ONE_ON_ONE, ProgramKind.REVERSE])


# --- an independent statement of the hard rules, written from the issue, not the code ---


def _level_ok(
    mentee: MenteeProfile, mentor: MentorProfile | MenteeProfile, p: MatchingPolicy
) -> bool:
    if p.kind is ProgramKind.PEER:
        return abs(mentee.level - mentor.level) <= p.max_level_gap
    gap = (
        mentee.level - mentor.level
        if p.kind is ProgramKind.REVERSE
        else mentor.level - mentee.level
    )
    return p.min_level_gap <= gap <= p.max_level_gap


def pair_allowed(
    mentee: MenteeProfile,
    mentor: MentorProfile | MenteeProfile,
    problem: CohortProblem,
) -> bool:
    p = problem.policy
    peer = p.kind is ProgramKind.PEER
    mentee_role = ParticipantRole.PEER if peer else ParticipantRole.MENTEE
    if not (mentee.active and mentee_role in mentee.roles):
        return False
    if peer:
        if not (mentor.active and ParticipantRole.PEER in mentor.roles):
            return False
    elif not (
        isinstance(mentor, MentorProfile)
        and mentor.active
        and ParticipantRole.MENTOR in mentor.roles
        and mentor.capacity > 0
    ):
        return False
    if mentee.id == mentor.id:
        return False
    if mentor.id in mentee.reporting_line or mentee.id in mentor.reporting_line:
        return False
    if not _level_ok(mentee, mentor, p):
        return False
    a = {x.lower() for x in mentee.languages}
    b = {x.lower() for x in mentor.languages}
    if a and b and not a & b:
        return False
    blocked = problem.blocked_pairs
    return (mentor.id, mentee.id) not in blocked and not (
        peer and (mentee.id, mentor.id) in blocked
    )


def wanted(mentee: MenteeProfile, p: MatchingPolicy) -> int:
    if p.kind in (ProgramKind.GROUP, ProgramKind.PEER):
        return 1
    w = p.mentors_per_mentee if mentee.mentors_wanted is None else mentee.mentors_wanted
    return max(0, min(w, p.mentors_per_mentee))


# --- random organizations ---


@st.composite
def organizations(draw: st.DrawFn, kind: ProgramKind, max_mentees: int = 10) -> CohortProblem:
    n = draw(st.integers(1, max_mentees))
    m = 0 if kind is ProgramKind.PEER else draw(st.integers(1, 5))
    total = n + m
    ids = [f"u{k}" for k in range(total)]
    # A random forest: each person's manager is someone listed before them, or nobody.
    lines: list[frozenset[str]] = []
    for k in range(total):
        boss = draw(st.integers(-1, k - 1)) if k else -1
        lines.append(frozenset() if boss < 0 else lines[boss] | {ids[boss]})

    def common(k: int) -> dict[str, object]:
        return {
            "id": ids[k],
            "level": draw(st.integers(1, 6)),
            "active": draw(st.integers(0, 9)) > 0,
            "department": draw(st.sampled_from(DEPARTMENTS)),
            "languages": draw(st.lists(st.sampled_from(LANGUAGES), max_size=2, unique=True)),
            "time_zone": draw(st.sampled_from(ZONES)),
            "interests": draw(st.lists(st.sampled_from(WORDS), max_size=2, unique=True)),
            "reporting_line": lines[k],
        }

    peer = kind is ProgramKind.PEER
    mentees = [
        MenteeProfile(
            roles=frozenset({ParticipantRole.PEER if peer else ParticipantRole.MENTEE})
            if draw(st.integers(0, 9)) > 0
            else frozenset(),
            goals=[f"learn {w}" for w in draw(st.lists(st.sampled_from(WORDS), max_size=2))],
            underrepresented=draw(st.booleans()),
            mentors_wanted=draw(st.one_of(st.none(), st.integers(0, 3))),
            **common(k),  # type: ignore[arg-type]
        )
        for k in range(n)
    ]
    mentors = [
        MentorProfile(
            roles=frozenset({ParticipantRole.MENTOR})
            if draw(st.integers(0, 9)) > 0
            else frozenset(),
            skills=draw(st.lists(st.sampled_from(WORDS), max_size=3)),
            capacity=draw(st.integers(0, 3)),
            mean_rating=draw(st.one_of(st.none(), st.floats(1, 5))),
            rating_count=draw(st.integers(0, 5)),
            **common(k),  # type: ignore[arg-type]
        )
        for k in range(n, total)
    ]
    pool = mentees if peer else mentors
    blocked = draw(
        st.frozensets(
            st.tuples(st.sampled_from([p.id for p in pool]), st.sampled_from(ids[:n])),
            max_size=4,
        )
    )
    min_gap = draw(st.integers(-1 if peer else 0, 2))
    policy = MatchingPolicy(
        kind=kind,
        min_level_gap=min_gap,
        max_level_gap=draw(st.integers(max(min_gap, 0), 4)),
        mentors_per_mentee=draw(st.integers(1, 3)),
        group_size=draw(st.integers(1, 4)),
        objective=draw(st.sampled_from(MatchObjective)),
        prioritize_underrepresented=draw(st.booleans()),
    )
    return CohortProblem(policy=policy, mentors=mentors, mentees=mentees, blocked_pairs=blocked)


def with_policy(problem: CohortProblem, **changes: object) -> CohortProblem:
    return replace(problem, policy=replace(problem.policy, **changes))  # type: ignore[arg-type]


# --- the exact MILP reference, straight from the problem statement ---


def _weights(
    problem: CohortProblem,
) -> tuple[dict[tuple[str, str], int], list[MenteeProfile], list[MentorProfile]]:
    """The integer weight of every allowed (mentor, mentee) pair, from the scorer under test
    (the optimizer is what these tests check, not the score)."""
    p = problem.policy
    # The same people the optimizer scores: the text statistics depend on the corpus.
    mentees = [
        x
        for x in problem.mentees
        if x.active and ParticipantRole.MENTEE in x.roles and wanted(x, p)
    ]
    mentors = [
        x for x in problem.mentors if x.active and ParticipantRole.MENTOR in x.roles and x.capacity
    ]
    compat = Compatibility(mentees, mentors, p, problem.blocked_pairs, problem.reference_day)
    out: dict[tuple[str, str], int] = {}
    if mentees and mentors:
        w, _ = compat.block(np.arange(len(mentees), dtype=np.intp))
        for i, e in enumerate(mentees):
            for j, r in enumerate(mentors):
                if pair_allowed(e, r, problem):
                    out[(r.id, e.id)] = int(w[i, j])
    return out, mentees, mentors


def _milp_max(
    c: np.ndarray,
    rows: list[np.ndarray],
    ub: list[float],
    lb: list[float],
    upper: np.ndarray | None = None,
) -> np.ndarray:
    if len(c) == 0:
        return np.zeros(0)
    cons = [LinearConstraint(np.array(rows), np.array(lb), np.array(ub))] if rows else []
    top = np.ones(len(c)) if upper is None else upper
    # No relative gap: HiGHS stops at 1e-4 by default, which is a unit on these totals.
    res = milp(
        -c,
        constraints=cons,
        integrality=np.ones(len(c)),
        bounds=Bounds(0, top),
        options={"mip_rel_gap": 0},
    )
    assert res.status == 0, res.message
    return np.rint(res.x)


def milp_reference(problem: CohortProblem) -> tuple[int, int]:
    """(filled places, objective) of the policy's optimum, each mode solved as the
    lexicographic sequence of MILPs the issue describes."""
    p = problem.policy
    weights, mentees, mentors = _weights(problem)
    pairs = list(weights)
    w = np.array([weights[x] for x in pairs], dtype=float)
    k = len(pairs)
    rows: list[np.ndarray] = []
    ub: list[float] = []
    lb: list[float] = []

    def add(mask: list[bool], low: float, high: float) -> None:
        rows.append(np.array(mask, dtype=float))
        lb.append(low)
        ub.append(high)

    group = p.kind is ProgramKind.GROUP
    for e in mentees:
        add([b == e.id for _, b in pairs], 0, wanted(e, p))
        if p.mentors_per_mentee > 1 and not group:
            for d in {r.department for r in mentors if r.department is not None}:
                dept_of = {r.id: r.department for r in mentors}
                add([b == e.id and dept_of[a] == d for a, b in pairs], 0, 1)
    for r in mentors:
        add([a == r.id for a, _ in pairs], 0, p.group_size if group else r.capacity)
    # GROUP: y[leader, dept] >= (members from dept) - 1, each y costs the penalty.
    dept_of_mentee = {e.id: e.department for e in mentees}
    penalty_vars: list[tuple[str, str]] = []
    if group and diversity_penalty(p) > 0:
        penalty_vars = sorted(
            {(a, dept_of_mentee[b]) for a, b in pairs if dept_of_mentee[b] is not None}  # type: ignore[misc]
        )
    # Priority: y[e] = 1 only if under-represented mentee e holds at least one place.
    under = [e.id for e in mentees if e.underrepresented]
    prioritized = p.prioritize_underrepresented and bool(under)
    first = k + len(penalty_vars)
    total = first + (len(under) if prioritized else 0)

    def widen(v: np.ndarray) -> np.ndarray:
        return np.concatenate([v, np.zeros(total - len(v))])

    rows = [widen(r) for r in rows]
    for idx, (leader, dept) in enumerate(penalty_vars):
        row = widen(
            np.array([a == leader and dept_of_mentee[b] == dept for a, b in pairs], dtype=float)
        )
        row[k + idx] = -1
        rows.append(row)
        lb.append(-np.inf)
        ub.append(1)
    gain = widen(w)
    gain[k:first] = -diversity_penalty(p)
    upper = widen(np.ones(k))
    upper[k:first] = p.group_size
    upper[first:] = 1
    if prioritized:
        # First claim: as many under-represented mentees with a mentor as can be at once.
        for idx, mentee_id in enumerate(under):
            row = widen(-np.array([b == mentee_id for _, b in pairs], dtype=float))
            row[first + idx] = 1
            rows.append(row)
            lb.append(-np.inf)
            ub.append(0)
        firsts = np.zeros(total)
        firsts[first:] = 1
        reach = round(float(_milp_max(firsts, rows, ub, lb, upper) @ firsts))
        rows.append(firsts)
        lb.append(reach)
        ub.append(np.inf)
    if p.objective is MatchObjective.MAX_MATCHED:
        count = widen(np.ones(k))  # places filled (pairs), not the indicators
        most = int(_milp_max(count, rows, ub, lb, upper) @ count)
        rows.append(count)
        lb.append(most)
        ub.append(most)
    x = _milp_max(gain, rows, ub, lb, upper)
    return int(x[:k].sum()), round(float(x @ gain))


def reachable_underrepresented(problem: CohortProblem) -> int:
    """The most under-represented mentees who can hold a mentor at once (a MILP over their
    first places alone: each one place, mentors their capacity)."""
    p = problem.policy
    weights, mentees, mentors = _weights(problem)
    under = {e.id for e in mentees if e.underrepresented}
    pairs = [x for x in weights if x[1] in under]
    if not pairs:
        return 0
    rows = [np.array([b == e for _, b in pairs], dtype=float) for e in sorted(under)]
    ub = [1.0] * len(rows)
    group = p.kind is ProgramKind.GROUP
    for r in mentors:
        rows.append(np.array([a == r.id for a, _ in pairs], dtype=float))
        ub.append(p.group_size if group else r.capacity)
    x = _milp_max(np.ones(len(pairs)), rows, ub, [0.0] * len(rows))
    return int(x.sum())


# --- what every solution must satisfy ---


def assert_feasible(problem: CohortProblem, solution: CohortSolution) -> None:
    p = problem.policy
    mentees = {x.id: x for x in problem.mentees}
    mentors = {x.id: x for x in problem.mentors}
    pairs = [(m.mentor_id, m.mentee_id) for m in solution.matches]
    assert len(set(pairs)) == len(pairs)
    for mentor_id, mentee_id in pairs:
        assert pair_allowed(mentees[mentee_id], mentors[mentor_id], problem)
    per_mentee = Counter(b for _, b in pairs)
    per_mentor = Counter(a for a, _ in pairs)
    for mentee_id, count in per_mentee.items():
        assert count <= wanted(mentees[mentee_id], p)
    for mentor_id, count in per_mentor.items():
        limit = p.group_size if p.kind is ProgramKind.GROUP else mentors[mentor_id].capacity
        assert count <= limit
    if p.mentors_per_mentee > 1:  # complementary mentors: one per department
        seen = Counter(
            (b, mentors[a].department) for a, b in pairs if mentors[a].department is not None
        )
        assert max(seen.values(), default=0) <= 1
    matched = set(per_mentee)
    assert set(solution.unmatched_mentee_ids).isdisjoint(matched)
    weights, eligible, _ = _weights(problem)
    unmatchable = {e.id for e in eligible} - {mentee_id for _, mentee_id in weights}
    assert set(solution.unmatchable_mentee_ids) == unmatchable
    assert unmatchable <= set(solution.unmatched_mentee_ids)
    assert set(solution.ineligible_ids).isdisjoint(matched | set(per_mentor))
    stats = solution.stats
    assert stats.proven_optimal
    assert solution.optimality is Optimality.PROVEN or p.kind is ProgramKind.GROUP
    assert stats.filled_slots == len(pairs)
    if p.prioritize_underrepresented:
        assert_priority_kept(problem, solution)
    for m in solution.matches:
        assert 0.0 <= m.score <= 1.0
        assert sum(r.contribution for r in m.reasons) == pytest.approx(m.score, abs=1e-3)


def assert_priority_kept(problem: CohortProblem, solution: CohortSolution) -> None:
    """The priority definition (`optimizer`), checked from the pairs alone: as many
    under-represented mentees hold a mentor as can at once, and one of them is left without
    only when every mentor allowed to them is full of under-represented mentees holding that
    mentor as their only one. Unmatchable mentees count in neither group."""
    p = problem.policy
    weights, mentees, mentors = _weights(problem)
    under = {e.id for e in mentees if e.underrepresented}
    held = Counter(m.mentee_id for m in solution.matches)
    load = Counter(m.mentor_id for m in solution.matches)
    holders: dict[str, list[str]] = {}
    for m in solution.matches:
        holders.setdefault(m.mentor_id, []).append(m.mentee_id)
    places = {r.id: p.group_size if p.kind is ProgramKind.GROUP else r.capacity for r in mentors}
    allowed_to: dict[str, list[str]] = {}
    for mentor_id, mentee_id in weights:
        allowed_to.setdefault(mentee_id, []).append(mentor_id)
    matched = {e for e in under if held[e]}
    reach = reachable_underrepresented(problem)
    assert len(matched) == reach
    for mentee_id in under - matched:
        for mentor_id in allowed_to.get(mentee_id, []):
            assert load[mentor_id] == places[mentor_id]
            assert all(h in under and held[h] == 1 for h in holders[mentor_id])
    fair = solution.fairness
    assert fair.prioritized
    assert fair.reachable == (reach if under else None)
    assert fair.underrepresented.matched == len(matched)
    assert fair.underrepresented.matchable == len(under & set(allowed_to))
    others = {e.id for e in mentees} - under
    assert fair.others.matched == len({e for e in others if held[e]})
    assert fair.others.matchable == len(others & set(allowed_to))
