"""Property-based tests on random organizations: the optimizer never breaks a hard rule, and
its total equals an exact reference (SciPy's linear_sum_assignment on the capacity-expanded
matrix, or a MILP written straight from the problem statement) on small instances."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from contracts.programs import MatchObjective, ParticipantRole, ProgramKind
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching.domain.baselines import solve_dense_reference, solve_greedy
from matching.domain.compatibility import Compatibility
from matching.domain.groups import diversity_penalty
from matching.domain.model import (
    CohortProblem,
    CohortSolution,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)
from matching.domain.optimizer import solve_cohort
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


def _policy(problem: CohortProblem, **changes: object) -> CohortProblem:
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
    res = milp(-c, constraints=cons, integrality=np.ones(len(c)), bounds=Bounds(0, top))
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
    total = k + len(penalty_vars)

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
    gain[k:] = -diversity_penalty(p)
    upper = widen(np.ones(k))
    upper[k:] = p.group_size
    under = {e.id for e in mentees if e.underrepresented}
    is_u = widen(np.array([b in under for _, b in pairs], dtype=float))
    is_o = widen(np.array([b not in under for _, b in pairs], dtype=float))
    slots_u = sum(wanted(e, p) for e in mentees if e.id in under)
    slots_o = sum(wanted(e, p) for e in mentees if e.id not in under)
    if p.prioritize_underrepresented and slots_u and slots_o:
        a = int(_milp_max(is_u, rows, ub, lb, upper) @ is_u)
        rows += [is_u, is_o]
        lb += [a, 0]
        ub += [a, a * slots_o // slots_u]
    if p.objective is MatchObjective.MAX_MATCHED:
        count = widen(np.ones(k))
        most = int(_milp_max(count, rows, ub, lb, upper) @ count)
        rows.append(count)
        lb.append(most)
        ub.append(most)
    x = _milp_max(gain, rows, ub, lb, upper)
    return int(x[:k].sum()), round(float(x @ gain))


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
    assert set(solution.ineligible_ids).isdisjoint(matched | set(per_mentor))
    stats = solution.stats
    assert stats.proven_optimal
    assert stats.filled_slots == len(pairs)
    u_rate, o_rate = stats.underrepresented_rate, stats.others_rate
    if p.prioritize_underrepresented and u_rate is not None and o_rate is not None:
        assert u_rate >= o_rate
    for m in solution.matches:
        assert 0.0 <= m.score <= 1.0
        assert sum(r.contribution for r in m.reasons) == pytest.approx(m.score, abs=1e-3)


# --- the properties ---

BIPARTITE = st.sampled_from([ProgramKind.ONE_ON_ONE, ProgramKind.REVERSE])


@SETTINGS
@given(BIPARTITE.flatmap(organizations))
def test_matching_never_breaks_a_hard_rule_and_reaches_the_exact_optimum(
    problem: CohortProblem,
) -> None:
    solution = solve_cohort(problem)
    assert_feasible(problem, solution)
    filled, objective = milp_reference(problem)
    assert solution.stats.objective == objective
    if problem.policy.objective is MatchObjective.MAX_MATCHED:  # else ties may differ in count
        assert solution.stats.filled_slots == filled


@SETTINGS
@given(BIPARTITE.flatmap(organizations))
def test_matching_equals_dense_linear_sum_assignment_on_the_expanded_matrix(
    problem: CohortProblem,
) -> None:
    problem = _policy(problem, mentors_per_mentee=1, prioritize_underrepresented=False)
    solution = solve_cohort(problem)
    reference = solve_dense_reference(problem)
    assert solution.stats.objective == reference.objective
    if problem.policy.objective is MatchObjective.MAX_MATCHED:
        assert solution.stats.filled_slots == reference.filled_slots
    assert solve_greedy(problem).objective <= solution.stats.objective


@SETTINGS
@given(BIPARTITE.flatmap(organizations))
def test_matching_priority_keeps_the_underrepresented_rate_at_least_the_others(
    problem: CohortProblem,
) -> None:
    problem = _policy(problem, prioritize_underrepresented=True)
    solution = solve_cohort(problem)
    assert_feasible(problem, solution)
    p = problem.policy
    filled = Counter(m.mentee_id for m in solution.matches)
    eligible = [e for e in problem.mentees if e.active and e.id not in solution.ineligible_ids]
    groups = {True: [0, 0], False: [0, 0]}
    for e in eligible:
        groups[e.underrepresented][0] += filled[e.id]
        groups[e.underrepresented][1] += wanted(e, p)
    (fu, su), (fo, so) = groups[True], groups[False]
    if su and so:
        assert fu * so >= fo * su  # rate_u >= rate_o, in integers
        if p.mentors_per_mentee == 1:  # then places are mentees: the mentee match rate
            matched_u = sum(1 for e in eligible if e.underrepresented and filled[e.id])
            matched_o = sum(1 for e in eligible if not e.underrepresented and filled[e.id])
            assert matched_u * so >= matched_o * su


@SETTINGS
@given(organizations(ProgramKind.GROUP))
def test_matching_groups_are_optimal_circles_within_size(problem: CohortProblem) -> None:
    # The flow stage alone, which is exact: goal balancing is a local search on top of it.
    problem = _policy(problem, goal_balance_penalty=0)
    solution = solve_cohort(problem)
    assert_feasible(problem, solution)
    assert all(len(c.member_ids) <= problem.policy.group_size for c in solution.circles)
    members = [i for c in solution.circles for i in c.member_ids]
    assert sorted(members) == sorted(m.mentee_id for m in solution.matches)
    filled, objective = milp_reference(problem)
    assert solution.stats.objective == objective
    if problem.policy.objective is MatchObjective.MAX_MATCHED:
        assert solution.stats.filled_slots == filled


def _repeats(codes: list[str | None]) -> int:
    known = [c for c in codes if c is not None]
    return len(known) - len(set(known))


def _theme(mentee: MenteeProfile) -> str | None:
    if not mentee.goals:
        return None
    return " ".join(mentee.goals[0].casefold().split()) or None


def combined_objective(problem: CohortProblem, solution: CohortSolution) -> int:
    """Fit minus the department and goal penalties of the solution's circles, read from its
    pairs alone: each circle pays per member beyond the first sharing a known department or
    a goal theme (the first goal)."""
    p = problem.policy
    weights, _, _ = _weights(problem)
    mentees = {e.id: e for e in problem.mentees}
    circles: dict[str, list[MenteeProfile]] = {}
    for m in solution.matches:
        circles.setdefault(m.mentor_id, []).append(mentees[m.mentee_id])
    fit = sum(weights[(m.mentor_id, m.mentee_id)] for m in solution.matches)
    departments = sum(_repeats([e.department for e in c]) for c in circles.values())
    themes = sum(_repeats([_theme(e) for e in c]) for c in circles.values())
    goal_penalty = round(p.goal_balance_penalty * 10_000)
    return fit - diversity_penalty(p) * departments - goal_penalty * themes


def _crowded(problem: CohortProblem) -> CohortProblem:
    """The same organization with everyone enrolled, and only the blocked pairs as a rule:
    fuller circles, so that goal balancing has members to re-seat."""
    return replace(
        _policy(problem, min_level_gap=-5, max_level_gap=5),
        mentees=[
            replace(
                e,
                active=True,
                roles=frozenset({ParticipantRole.MENTEE}),
                languages=(),
                reporting_line=frozenset(),
            )
            for e in problem.mentees
        ],
        mentors=[
            replace(
                r,
                active=True,
                roles=frozenset({ParticipantRole.MENTOR}),
                capacity=max(r.capacity, 1),
                languages=(),
                reporting_line=frozenset(),
            )
            for r in problem.mentors
        ],
    )


@SETTINGS
@given(organizations(ProgramKind.GROUP), st.sampled_from([0.05, 0.3, 1.0]), st.booleans())
def test_matching_goal_balance_reseats_the_same_members_and_never_loses(
    problem: CohortProblem, goal_penalty: float, crowded: bool
) -> None:
    problem = _policy(_crowded(problem) if crowded else problem, goal_balance_penalty=goal_penalty)
    balanced = solve_cohort(problem)
    flow_only = solve_cohort(_policy(problem, goal_balance_penalty=0))
    assert_feasible(problem, balanced)
    assert all(len(c.member_ids) <= problem.policy.group_size for c in balanced.circles)
    members = [i for c in balanced.circles for i in c.member_ids]
    assert sorted(members) == sorted(m.mentee_id for m in balanced.matches)
    assert {m.mentee_id for m in balanced.matches} == {m.mentee_id for m in flow_only.matches}
    assert balanced.stats.underrepresented_rate == flow_only.stats.underrepresented_rate
    assert balanced.stats.others_rate == flow_only.stats.others_rate
    objective = combined_objective(problem, balanced)
    assert objective >= combined_objective(problem, flow_only)
    assert balanced.stats.objective == objective


def peer_reference(problem: CohortProblem) -> tuple[int, int]:
    """(people paired, objective) by MILP over every allowed pair: an exact general-graph
    matching (branch and bound handles the odd cycles)."""
    p = problem.policy
    pool = [x for x in problem.mentees if x.active and ParticipantRole.PEER in x.roles]
    compat = Compatibility(pool, pool, p, problem.blocked_pairs, problem.reference_day)
    if not pool:
        return 0, 0
    w, _ = compat.block(np.arange(len(pool), dtype=np.intp))
    edges = [
        (i, j)
        for i in range(len(pool))
        for j in range(i + 1, len(pool))
        if pair_allowed(pool[i], pool[j], problem)
    ]
    if not edges:
        return 0, 0
    gain = np.array([w[i, j] for i, j in edges], dtype=float)
    rows = [np.array([i in e for e in edges], dtype=float) for i in range(len(pool))]
    lb, ub = [0.0] * len(rows), [1.0] * len(rows)
    if p.objective is MatchObjective.MAX_MATCHED:
        count = np.ones(len(edges))
        most = int(_milp_max(count, rows, ub, lb).sum())
        rows.append(count)
        lb.append(most)
        ub.append(most)
    x = _milp_max(gain, rows, ub, lb)
    return 2 * int(x.sum()), round(float(x @ gain))


@SETTINGS
@given(organizations(ProgramKind.PEER, max_mentees=14))
def test_matching_peer_pairs_are_a_maximum_weight_matching(problem: CohortProblem) -> None:
    solution = solve_cohort(problem)
    pool = {x.id: x for x in problem.mentees}
    seen: list[str] = []
    for pair in solution.peer_pairs:
        assert pair_allowed(pool[pair.first_id], pool[pair.second_id], problem)
        assert pair_allowed(pool[pair.second_id], pool[pair.first_id], problem)
        seen += [pair.first_id, pair.second_id]
    assert len(seen) == len(set(seen))  # pairs of two, nobody twice
    assert solution.stats.proven_optimal
    paired, objective = peer_reference(problem)
    assert solution.stats.objective == objective
    if problem.policy.objective is MatchObjective.MAX_MATCHED:
        assert solution.stats.matched_mentees == paired
