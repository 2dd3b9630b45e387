"""The hard rules: who may take part, and which (mentee, mentor) pairs may ever be proposed.

A rule that fails is never traded against score. `PairRules.allowed` answers for a block of
mentees against every mentor at once (numpy); `why_not` answers for one pair in words, for a
self-serve request or an admin's question.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]
from contracts.programs import ParticipantRole, ProgramKind

from matching.domain.model import (
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)
from matching.domain.similarity import Incidence, normalized

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Index = npt.NDArray[np.intp]


def mentee_role(kind: ProgramKind) -> ParticipantRole:
    return ParticipantRole.PEER if kind is ProgramKind.PEER else ParticipantRole.MENTEE


def wanted_slots(mentee: MenteeProfile, policy: MatchingPolicy) -> int:
    """How many mentors this mentee is to get in this run."""
    if policy.kind in (ProgramKind.GROUP, ProgramKind.PEER):
        return 1  # one circle, one peer
    wanted = policy.mentors_per_mentee if mentee.mentors_wanted is None else mentee.mentors_wanted
    return max(0, min(wanted, policy.mentors_per_mentee))


def is_eligible_mentee(mentee: MenteeProfile, policy: MatchingPolicy) -> bool:
    return (
        mentee.active
        and mentee_role(policy.kind) in mentee.roles
        and wanted_slots(mentee, policy) > 0
    )


def is_eligible_mentor(mentor: MentorProfile) -> bool:
    return mentor.active and ParticipantRole.MENTOR in mentor.roles and mentor.capacity > 0


def level_gaps(mentee_level: IntArray, mentor_level: IntArray, kind: ProgramKind) -> IntArray:
    """The gap the policy's range applies to, signed as the program kind reads it
    (numpy broadcasting: a column of mentees against a row of mentors gives a block)."""
    if kind is ProgramKind.REVERSE:
        return np.asarray(mentee_level - mentor_level, dtype=np.int64)
    if kind is ProgramKind.PEER:
        return np.asarray(np.abs(mentee_level - mentor_level), dtype=np.int64)
    return np.asarray(mentor_level - mentee_level, dtype=np.int64)


def level_gap(mentee_level: int, mentor_level: int, kind: ProgramKind) -> int:
    one = np.ones(1, dtype=np.int64)
    return int(level_gaps(one * mentee_level, one * mentor_level, kind)[0])


def level_gap_ok(gap: IntArray | int, policy: MatchingPolicy) -> BoolArray:
    g = np.asarray(gap)
    if policy.kind is ProgramKind.PEER:
        return np.asarray(g <= policy.max_level_gap)
    return np.asarray((g >= policy.min_level_gap) & (g <= policy.max_level_gap))


def why_not(
    mentee: MenteeProfile,
    mentor: MentorProfile | MenteeProfile,
    policy: MatchingPolicy,
    blocked_pairs: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[str, ...]:
    """Every hard rule the pair breaks, in words; empty when the pair may be proposed.
    In a PEER program `mentor` is the other peer."""
    peer = policy.kind is ProgramKind.PEER
    broken: list[str] = []
    if not is_eligible_mentee(mentee, policy):
        broken.append("the mentee is not active and enrolled in this role")
    if peer:
        if not (isinstance(mentor, MenteeProfile) and is_eligible_mentee(mentor, policy)):
            broken.append("the peer is not active and enrolled as a peer")
    elif not (isinstance(mentor, MentorProfile) and is_eligible_mentor(mentor)):
        broken.append("the mentor is not active, enrolled as a mentor, with an open place")
    if mentee.id == mentor.id:
        broken.append("one person cannot be matched with themselves")
    if mentor.id in mentee.reporting_line or mentee.id in mentor.reporting_line:
        broken.append("they are in the same reporting line")
    if not bool(level_gap_ok(level_gap(mentee.level, mentor.level, policy.kind), policy)):
        broken.append("the level gap is outside the program's range")
    a, b = normalized(mentee.languages), normalized(mentor.languages)
    if a and b and not set(a) & set(b):
        broken.append("they share no language")
    if (mentor.id, mentee.id) in blocked_pairs or (
        peer and (mentee.id, mentor.id) in blocked_pairs
    ):
        broken.append("this pair was declined, ended or flagged before")
    return tuple(broken)


class PairRules:
    """The hard rules for every (row, column) pair of a cohort: rows are mentees, columns
    are mentors (in a PEER program both are the pool). Only eligible people are passed in."""

    def __init__(
        self,
        mentees: Sequence[MenteeProfile],
        mentors: Sequence[MentorProfile | MenteeProfile],
        policy: MatchingPolicy,
        blocked_pairs: frozenset[tuple[str, str]],
    ) -> None:
        self.policy = policy
        self.n, self.m = len(mentees), len(mentors)
        self.mentee_level = np.array([p.level for p in mentees], dtype=np.int64)
        self.mentor_level = np.array([p.level for p in mentors], dtype=np.int64)
        self.languages = Incidence.fit(
            [p.languages for p in mentees], [p.languages for p in mentors]
        )
        self.forbidden = self._forbidden_pairs(mentees, mentors, blocked_pairs)

    def _forbidden_pairs(
        self,
        mentees: Sequence[MenteeProfile],
        mentors: Sequence[MentorProfile | MenteeProfile],
        blocked_pairs: frozenset[tuple[str, str]],
    ) -> sp.csr_matrix:
        """Pairs ruled out by who the two people are: the same person, one above the other,
        or a pair that went wrong before. Sparse: a person's line is short."""
        row_of = {p.id: i for i, p in enumerate(mentees)}
        col_of = {p.id: j for j, p in enumerate(mentors)}
        pairs: set[tuple[int, int]] = set()

        def forbid(row: int | None, col: int | None) -> None:
            if row is not None and col is not None:
                pairs.add((row, col))

        for i, mentee in enumerate(mentees):
            forbid(i, col_of.get(mentee.id))
            for boss in mentee.reporting_line:  # the mentor is above the mentee
                forbid(i, col_of.get(boss))
        for j, mentor in enumerate(mentors):
            for boss in mentor.reporting_line:  # the mentor is below the mentee
                forbid(row_of.get(boss), j)
        peer = self.policy.kind is ProgramKind.PEER
        for mentor_id, mentee_id in blocked_pairs:
            forbid(row_of.get(mentee_id), col_of.get(mentor_id))
            if peer:  # unordered in a pool
                forbid(row_of.get(mentor_id), col_of.get(mentee_id))
        rows = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        cols = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
        data = np.ones(len(pairs), dtype=np.bool_)
        return sp.csr_matrix((data, (rows, cols)), shape=(self.n, self.m), dtype=np.bool_)

    def allowed(self, rows: Index) -> BoolArray:
        """A (len(rows), m) mask of the pairs the hard rules allow."""
        cols = np.arange(self.m, dtype=np.intp)
        gap = level_gaps(
            self.mentee_level[rows][:, None], self.mentor_level[None, :], self.policy.kind
        )
        ok = level_gap_ok(gap, self.policy)
        shared = self.languages.shared(rows, cols) > 0
        no_language = (self.languages.left_sizes[rows] == 0)[:, None] | (
            self.languages.right_sizes == 0
        )[None, :]
        ok &= shared | no_language
        ok &= ~np.asarray(self.forbidden[rows].toarray(), dtype=np.bool_)
        return ok
