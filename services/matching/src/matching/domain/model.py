"""What matching reasons about: the people of a cohort, the program's policy, and the outcome.

Every type here is a frozen dataclass of plain Python values, so a whole problem or solution
pickles cheaply across the process boundary of the worker pool that runs the solver.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from contracts.matches import Optimality
from contracts.programs import (
    MatchCriterion,
    MatchingPolicySnapshot,
    MatchObjective,
    ParticipantRole,
    ProgramKind,
)

# A Wednesday: working hours are compared on an ordinary weekday. The service should pass a
# day near the program's start, so daylight saving time is the one people will live with.
DEFAULT_REFERENCE_DAY = date(2025, 1, 15)


class Criterion(StrEnum):
    GOALS = "GOALS"
    INTERESTS = "INTERESTS"
    CROSS_DEPARTMENT = "CROSS_DEPARTMENT"
    LEVEL_GAP = "LEVEL_GAP"
    TIME_ZONE = "TIME_ZONE"
    FEEDBACK = "FEEDBACK"


def _texts(value: Sequence[str], name: str) -> tuple[str, ...]:
    # A bare str is a Sequence[str] too; taking it letter by letter would be a silent bug.
    if isinstance(value, str):
        raise TypeError(f"{name} must be a list of strings, not a string")
    return tuple(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """One enrolled person as matching sees them. `reporting_line` holds the ids of everyone
    above the person (manager, their manager, ...); "below" is read from the others' lines."""

    id: str
    level: int
    roles: frozenset[ParticipantRole]
    active: bool = True
    name: str = ""
    department: str | None = None
    title: str = ""
    bio: str = ""
    skills: Sequence[str] = ()
    interests: Sequence[str] = ()
    goals: Sequence[str] = ()
    languages: Sequence[str] = ()
    time_zone: str = "UTC"
    reporting_line: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("skills", "interests", "goals", "languages"):
            object.__setattr__(self, name, _texts(getattr(self, name), name))
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "reporting_line", frozenset(self.reporting_line))


@dataclass(frozen=True, slots=True, kw_only=True)
class MentorProfile(Profile):
    """`capacity` is how many more mentees the mentor can take now (their open places)."""

    capacity: int = 1
    mean_rating: float | None = None  # mean of mentees' ratings so far, 1..5
    rating_count: int = 0
    pending_requests: int = 0  # self-serve requests waiting for their answer


@dataclass(frozen=True, slots=True, kw_only=True)
class MenteeProfile(Profile):
    """A mentee, or in a PEER program one member of the pool."""

    underrepresented: bool = False  # from consented self-identification only
    mentors_wanted: int | None = None  # None: the policy's mentors_per_mentee


# The contracts name criteria in camelCase; the domain's weights in snake_case.
WEIGHT_OF: Mapping[MatchCriterion, str] = {
    MatchCriterion.GOALS: "goals",
    MatchCriterion.INTERESTS: "interests",
    MatchCriterion.CROSS_DEPARTMENT: "cross_department",
    MatchCriterion.LEVEL_GAP: "level_gap",
    MatchCriterion.TIME_ZONE: "time_zone",
    MatchCriterion.FEEDBACK: "feedback",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreWeights:
    goals: float = 0.35
    interests: float = 0.15
    cross_department: float = 0.10
    level_gap: float = 0.15
    time_zone: float = 0.15
    feedback: float = 0.10

    def __post_init__(self) -> None:
        values = self.by_criterion().values()
        if any(not math.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")

    def by_criterion(self) -> dict[Criterion, float]:
        return {
            Criterion.GOALS: self.goals,
            Criterion.INTERESTS: self.interests,
            Criterion.CROSS_DEPARTMENT: self.cross_department,
            Criterion.LEVEL_GAP: self.level_gap,
            Criterion.TIME_ZONE: self.time_zone,
            Criterion.FEEDBACK: self.feedback,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchingPolicy:
    """A program's matching policy. Level gaps read by kind: ONE_ON_ONE and GROUP want
    mentor.level - mentee.level in [min_level_gap, max_level_gap]; REVERSE wants
    mentee.level - mentor.level in that range; PEER wants |difference| <= max_level_gap."""

    kind: ProgramKind = ProgramKind.ONE_ON_ONE
    min_level_gap: int = 1
    max_level_gap: int = 3
    mentors_per_mentee: int = 1
    group_size: int = 6
    objective: MatchObjective = MatchObjective.BEST_TOTAL
    prioritize_underrepresented: bool = False
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    # GROUP: score given up for each circle member beyond the first from one department.
    department_diversity_penalty: float = 0.05
    # GROUP: score given up for each circle member beyond the first who shares a goal theme
    # (their first listed goal); members without goals never pay it.
    goal_balance_penalty: float = 0.05

    def __post_init__(self) -> None:
        if self.min_level_gap > self.max_level_gap:
            raise ValueError("min_level_gap must not exceed max_level_gap")
        if self.kind is ProgramKind.PEER and self.max_level_gap < 0:
            raise ValueError("a PEER program needs max_level_gap >= 0")
        if self.mentors_per_mentee < 1:
            raise ValueError("mentors_per_mentee must be at least 1")
        if self.group_size < 1:
            raise ValueError("group_size must be at least 1")
        if not 0 <= self.department_diversity_penalty <= 1:
            raise ValueError("department_diversity_penalty must be within [0, 1]")
        if not 0 <= self.goal_balance_penalty <= 1:
            raise ValueError("goal_balance_penalty must be within [0, 1]")

    @classmethod
    def of(cls, kind: ProgramKind, terms: MatchingPolicySnapshot) -> MatchingPolicy:
        """The policy a program's published terms ask for, with the domain's defaults where
        they leave a value open. Raises ValueError when it cannot be matched under."""
        weights = {
            WEIGHT_OF[MatchCriterion(k)]: float(v)
            for k, v in terms.weights.items()
            if k in MatchCriterion.__members__.values()
        }
        if not terms.cross_department:
            weights["cross_department"] = 0.0  # the program does not prefer crossing departments
        max_gap = 3 if terms.max_level_gap is None else terms.max_level_gap
        min_gap = terms.min_level_gap
        if min_gap is None:
            min_gap = min(0 if kind is ProgramKind.PEER else 1, max_gap)
        return cls(
            kind=kind,
            min_level_gap=min_gap,
            max_level_gap=max_gap,
            mentors_per_mentee=terms.mentors_per_mentee or 1,
            group_size=terms.group_size or 6,
            objective=terms.objective,
            prioritize_underrepresented=terms.prioritize_underrepresented,
            weights=ScoreWeights(**weights),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CohortProblem:
    """One match run: the program's enrolled pool and its policy. For PEER programs the pool
    is `mentees` and `mentors` is ignored. `blocked_pairs` holds (mentor_id, mentee_id) pairs
    that were declined, ended or flagged; for PEER either order blocks the pair."""

    policy: MatchingPolicy
    mentors: Sequence[MentorProfile] = ()
    mentees: Sequence[MenteeProfile] = ()
    blocked_pairs: frozenset[tuple[str, str]] = frozenset()
    reference_day: date = DEFAULT_REFERENCE_DAY

    def __post_init__(self) -> None:
        object.__setattr__(self, "mentors", tuple(self.mentors))
        object.__setattr__(self, "mentees", tuple(self.mentees))
        object.__setattr__(self, "blocked_pairs", frozenset(self.blocked_pairs))
        for side, people in (("mentors", self.mentors), ("mentees", self.mentees)):
            if len({p.id for p in people}) != len(people):
                raise ValueError(f"{side} must not list one person twice")


@dataclass(frozen=True, slots=True)
class Reason:
    criterion: Criterion
    contribution: float  # this criterion's share of the score; a match's reasons sum to it
    text: str  # a sentence for the mentee


@dataclass(frozen=True, slots=True)
class Match:
    mentor_id: str
    mentee_id: str
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Circle:
    """A GROUP program's circle: one leader and the mentees around them."""

    leader_id: str
    member_ids: tuple[str, ...]
    departments: int  # distinct departments among the members
    goal_themes: int  # distinct goal themes among the members (those with goals)


@dataclass(frozen=True, slots=True)
class PeerPair:
    first_id: str
    second_id: str
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """One side of the fairness comparison (under-represented mentees, or the others)."""

    mentees: int  # eligible mentees in the group
    matchable: int  # of them, those with at least one allowed mentor with an open place
    matched: int  # of them, those who got at least one mentor in this run

    @property
    def match_rate(self) -> float | None:
        """matched / matchable: a mentee no rule allows anyone for is left out of both."""
        return None if self.matchable == 0 else self.matched / self.matchable


@dataclass(frozen=True, slots=True)
class Fairness:
    """What `prioritize_underrepresented` promised and what the run did (see `optimizer`).
    `reachable`: the most under-represented mentees any assignment can match at once (each
    to a first mentor); a prioritized run matches exactly that many."""

    prioritized: bool
    underrepresented: GroupOutcome
    others: GroupOutcome
    reachable: int | None  # computed for prioritized runs only


@dataclass(frozen=True, slots=True)
class SolveStats:
    objective: int  # what the optimizer maximized, in integer score units (see SCORE_SCALE)
    total_score: float  # sum of the scores of the proposed pairs
    matched_mentees: int
    filled_slots: int  # mentor places given out; a mentee may hold several
    requested_slots: int
    underrepresented_rate: float | None  # filled / requested slots, None if nobody is in it
    others_rate: float | None
    proven_optimal: bool  # the flow's certificate held against every allowed pair
    candidate_pairs: int  # pairs the sparse solver looked at
    allowed_pairs: int  # pairs the hard rules allow
    rounds: int  # solve-and-verify rounds
    seconds: float
    scored_pairs: int = 0  # pairs scored (n x m after one pass; more means scoring again)


@dataclass(frozen=True, slots=True)
class CohortSolution:
    kind: ProgramKind
    matches: tuple[Match, ...]  # ONE_ON_ONE, REVERSE, GROUP (each member with their leader)
    circles: tuple[Circle, ...]  # GROUP
    peer_pairs: tuple[PeerPair, ...]  # PEER
    unmatched_mentee_ids: tuple[str, ...]  # eligible people who got no match
    # Of those, the ones no rule allows any mentor (with an open place) for: unmatchable,
    # so counted in no group's rate (see Fairness).
    unmatchable_mentee_ids: tuple[str, ...]
    ineligible_ids: tuple[str, ...]  # inactive or not enrolled in the needed role
    stats: SolveStats
    fairness: Fairness
    optimality: Optimality
    # The most the optimum's objective can exceed this run's, in score units (the sum of
    # pair scores, less penalties); 0.0 when PROVEN.
    optimality_gap: float = 0.0


@dataclass(frozen=True, slots=True)
class Suggestion:
    mentor_id: str
    score: float  # the pair's compatibility
    rank_score: float  # score damped by the mentor's pending requests; the list's order
    reasons: tuple[Reason, ...]
