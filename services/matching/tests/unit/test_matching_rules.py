"""The hard rules, one by one, and the vectorized mask against the rule in words."""

from __future__ import annotations

import pickle
from itertools import product

import numpy as np
import pytest
from contracts.programs import ParticipantRole, ProgramKind
from matching.domain.model import (
    CohortProblem,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
    ScoreWeights,
)
from matching.domain.rules import PairRules, is_eligible_mentee, wanted_slots, why_not

ONE_ON_ONE = MatchingPolicy(min_level_gap=1, max_level_gap=3)


def mentee(id: str = "e", level: int = 2, **kw: object) -> MenteeProfile:
    return MenteeProfile(id=id, level=level, roles=frozenset({ParticipantRole.MENTEE}), **kw)  # type: ignore[arg-type]


def mentor(id: str = "r", level: int = 4, **kw: object) -> MentorProfile:
    kw.setdefault("capacity", 2)
    return MentorProfile(id=id, level=level, roles=frozenset({ParticipantRole.MENTOR}), **kw)  # type: ignore[arg-type]


def test_matching_a_suitable_pair_breaks_no_rule() -> None:
    assert why_not(mentee(), mentor(), ONE_ON_ONE) == ()


def test_matching_nobody_is_matched_with_themselves() -> None:
    assert "one person cannot be matched with themselves" in why_not(
        mentee(id="x"), mentor(id="x"), ONE_ON_ONE
    )


def test_matching_the_reporting_line_is_excluded_above_and_below() -> None:
    boss = mentor(id="boss")
    report = mentee(reporting_line=frozenset({"boss", "ceo"}))
    assert "they are in the same reporting line" in why_not(report, boss, ONE_ON_ONE)
    grand_boss = mentor(id="ceo")
    assert "they are in the same reporting line" in why_not(report, grand_boss, ONE_ON_ONE)
    # The mentor reports (indirectly) to the mentee: also excluded.
    junior = mentor(id="j", reporting_line=frozenset({"e", "ceo"}))
    assert "they are in the same reporting line" in why_not(mentee(id="e"), junior, ONE_ON_ONE)
    # Colleagues under one boss are not in each other's line.
    peer = mentor(id="p", reporting_line=frozenset({"boss"}))
    assert why_not(report, peer, ONE_ON_ONE) == ()


@pytest.mark.parametrize(
    ("kind", "mentee_level", "mentor_level", "ok"),
    [
        (ProgramKind.ONE_ON_ONE, 2, 3, True),
        (ProgramKind.ONE_ON_ONE, 2, 5, True),
        (ProgramKind.ONE_ON_ONE, 2, 6, False),  # too far above
        (ProgramKind.ONE_ON_ONE, 2, 2, False),  # not senior
        (ProgramKind.GROUP, 2, 1, False),
        (ProgramKind.REVERSE, 5, 3, True),  # the mentor is the junior one
        (ProgramKind.REVERSE, 3, 5, False),
        (ProgramKind.REVERSE, 5, 1, False),
    ],
)
def test_matching_level_gap_follows_the_program_kind(
    kind: ProgramKind, mentee_level: int, mentor_level: int, ok: bool
) -> None:
    policy = MatchingPolicy(kind=kind, min_level_gap=1, max_level_gap=3)
    broken = why_not(mentee(level=mentee_level), mentor(level=mentor_level), policy)
    assert (broken == ()) is ok


@pytest.mark.parametrize(
    ("a", "b", "ok"), [(3, 3, True), (3, 5, True), (5, 3, True), (2, 5, False)]
)
def test_matching_peers_are_within_the_gap_either_way(a: int, b: int, ok: bool) -> None:
    policy = MatchingPolicy(kind=ProgramKind.PEER, min_level_gap=0, max_level_gap=2)
    one = MenteeProfile(id="a", level=a, roles=frozenset({ParticipantRole.PEER}))
    two = MenteeProfile(id="b", level=b, roles=frozenset({ParticipantRole.PEER}))
    assert (why_not(one, two, policy) == ()) is ok


def test_matching_needs_a_shared_language_only_when_both_list_some() -> None:
    english = mentee(languages=["English"])
    german = mentor(languages=["German"])
    assert "they share no language" in why_not(english, german, ONE_ON_ONE)
    assert why_not(english, mentor(languages=["german", "ENGLISH"]), ONE_ON_ONE) == ()
    assert why_not(mentee(), german, ONE_ON_ONE) == ()


def test_matching_a_declined_ended_or_flagged_pair_is_never_proposed_again() -> None:
    blocked = frozenset({("r", "e")})
    assert "this pair was declined, ended or flagged before" in why_not(
        mentee(), mentor(), ONE_ON_ONE, blocked
    )
    peer = MatchingPolicy(kind=ProgramKind.PEER, max_level_gap=2)
    a = MenteeProfile(id="a", level=2, roles=frozenset({ParticipantRole.PEER}))
    b = MenteeProfile(id="b", level=2, roles=frozenset({ParticipantRole.PEER}))
    assert why_not(a, b, peer, frozenset({("a", "b")}))  # either order blocks peers
    assert why_not(b, a, peer, frozenset({("a", "b")}))


def test_matching_only_active_people_in_the_right_role_with_room_take_part() -> None:
    assert why_not(mentee(active=False), mentor(), ONE_ON_ONE)
    assert why_not(mentee(), mentor(active=False), ONE_ON_ONE)
    assert why_not(mentee(), mentor(capacity=0), ONE_ON_ONE)
    wrong_role = MenteeProfile(id="e", level=2, roles=frozenset({ParticipantRole.MENTOR}))
    assert not is_eligible_mentee(wrong_role, ONE_ON_ONE)
    assert why_not(wrong_role, mentor(), ONE_ON_ONE)
    # A peer program wants the PEER role.
    assert not is_eligible_mentee(mentee(), MatchingPolicy(kind=ProgramKind.PEER))


def test_matching_wanted_slots_respect_the_policy() -> None:
    policy = MatchingPolicy(mentors_per_mentee=2)
    assert wanted_slots(mentee(), policy) == 2
    assert wanted_slots(mentee(mentors_wanted=1), policy) == 1
    assert wanted_slots(mentee(mentors_wanted=5), policy) == 2
    assert wanted_slots(mentee(), MatchingPolicy(kind=ProgramKind.GROUP, mentors_per_mentee=3)) == 1


def test_matching_vectorized_mask_agrees_with_the_rules_in_words() -> None:
    rng = np.random.default_rng(3)
    ids = [f"p{k}" for k in range(30)]
    mentees = [
        mentee(
            id=ids[k],
            level=int(rng.integers(1, 6)),
            languages=[["English"], ["German"], [], ["English", "Hindi"]][k % 4],
            reporting_line=frozenset(ids[j] for j in range(15, 30) if rng.random() < 0.1),
        )
        for k in range(15)
    ]
    mentors = [
        mentor(
            id=ids[k],
            level=int(rng.integers(1, 8)),
            languages=[["German"], ["english"], []][k % 3],
            reporting_line=frozenset(ids[j] for j in range(15) if rng.random() < 0.1),
        )
        for k in range(15, 30)
    ]
    blocked = frozenset({(ids[16], ids[0]), (ids[20], ids[3])})
    for kind in (ProgramKind.ONE_ON_ONE, ProgramKind.REVERSE):
        policy = MatchingPolicy(kind=kind, min_level_gap=1, max_level_gap=2)
        mask = PairRules(mentees, mentors, policy, blocked).allowed(np.arange(15, dtype=np.intp))
        expected = np.array(
            [[why_not(e, r, policy, blocked) == () for r in mentors] for e in mentees]
        )
        assert mask.any() and not mask.all()
        assert np.array_equal(mask, expected)


def test_matching_policy_and_profiles_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="min_level_gap"):
        MatchingPolicy(min_level_gap=3, max_level_gap=1)
    with pytest.raises(ValueError, match="mentors_per_mentee"):
        MatchingPolicy(mentors_per_mentee=0)
    with pytest.raises(ValueError, match="weights"):
        ScoreWeights(goals=-1.0)
    with pytest.raises(ValueError, match="weights"):
        ScoreWeights(goals=0, interests=0, cross_department=0, level_gap=0, time_zone=0, feedback=0)
    with pytest.raises(TypeError, match="list of strings"):
        mentee(goals="public speaking")
    with pytest.raises(ValueError, match="one person twice"):
        CohortProblem(policy=ONE_ON_ONE, mentees=[mentee(), mentee()])


def test_matching_problem_is_frozen_hashable_and_picklable() -> None:
    problem = CohortProblem(
        policy=ONE_ON_ONE,
        mentors=[mentor(skills=["negotiation"])],
        mentees=[mentee(goals=["learn negotiation"])],
        blocked_pairs=frozenset({("r", "x")}),
    )
    assert isinstance(problem.mentees, tuple) and isinstance(problem.mentees[0].goals, tuple)
    hash(problem.mentees[0])  # lists became tuples: profiles can key a dict
    assert pickle.loads(pickle.dumps(problem)) == problem  # noqa: S301 (our own bytes)
    for left, right in product(problem.mentees, problem.mentors):
        assert why_not(left, right, problem.policy, problem.blocked_pairs) == ()
