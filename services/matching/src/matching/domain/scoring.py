"""The compatibility score of a (mentee, mentor) pair, in [0, 1].

Each criterion gives a value in [0, 1]; the score is their mean weighted by the program's
policy, so a criterion's contribution is weight x value / sum of weights. Whole blocks of
pairs are scored with numpy; one pair's evidence (for its reasons) is read in plain Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from contracts.programs import ProgramKind

from matching.domain.model import (
    Criterion,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)
from matching.domain.rules import level_gaps
from matching.domain.similarity import Incidence, TfIdf, normalized, tokens

FloatArray = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]

SCORE_SCALE = 10_000  # integer score units per 1.0: the optimizer works in exact integers
WORKDAY_HOURS = 8.0  # 9:00-17:00 local
_NEUTRAL = 0.5  # what an unknown says: neither for nor against
_RATING_PRIOR = 2.0  # pseudo-ratings of 3/5 a mean is shrunk towards: one 5-star is not a record


def weekday_on_or_after(day: date) -> date:
    """Working hours are compared on a weekday: a Saturday or Sunday moves to the Monday."""
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def workday_start_utc(zone: str, day: date) -> float | None:
    """When 9:00 local falls on `day`, in hours after that day's midnight UTC; None when the
    zone is unknown."""
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError, OSError):
        return None
    start = datetime.combine(day, time(9), tzinfo=tz).astimezone(UTC)
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    return (start - midnight).total_seconds() / 3600.0


def shared_hours(a: FloatArray, b: FloatArray) -> FloatArray:
    """Overlap of two 8-hour working days starting at UTC hours a and b. Circular: a call
    can fall on different local dates, so 24 h apart is no distance at all."""
    distance = np.abs(np.mod(b - a + 12.0, 24.0) - 12.0)
    return np.clip(WORKDAY_HOURS - distance, 0.0, WORKDAY_HOURS)


def rating_value(mean: float | None, count: int) -> float:
    """Feedback so far as [0, 1]: 1..5 mapped linearly, shrunk towards neutral when few."""
    if mean is None or count <= 0:
        return _NEUTRAL
    clipped = min(5.0, max(1.0, mean))
    shrunk = (count * clipped + _RATING_PRIOR * 3.0) / (count + _RATING_PRIOR)
    return (shrunk - 1.0) / 4.0


def experience_text(person: MentorProfile | MenteeProfile) -> list[str]:
    # Skills are what the person says they can teach: count them twice against a long bio.
    skills = [tok for s in person.skills for tok in tokens(s)]
    return [*skills, *skills, *tokens(person.title), *tokens(person.bio)]


def goal_text(person: MenteeProfile) -> list[str]:
    return [tok for g in person.goals for tok in tokens(g)]


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """What one pair's reasons are written from."""

    values: dict[Criterion, float]
    weights: dict[Criterion, float]  # normalized: they sum to 1
    mentor_name: str
    covered_goals: tuple[str, ...]  # the mentee's goals the mentor's experience speaks to
    matching_skills: tuple[str, ...]  # the mentor's skills or terms that meet those goals
    shared_interests: tuple[str, ...]
    mentee_department: str | None
    mentor_department: str | None
    level_gap: int
    kind: ProgramKind
    overlap_hours: float | None
    mean_rating: float | None
    rating_count: int


class CohortScorer:
    """Scores every (mentee, mentor) pair of one cohort. In a PEER program both sides are the
    pool and the score is symmetric: each one's goals against the other's experience."""

    def __init__(
        self,
        mentees: Sequence[MenteeProfile],
        mentors: Sequence[MentorProfile | MenteeProfile],
        policy: MatchingPolicy,
        reference_day: date,
    ) -> None:
        self.mentees, self.mentors, self.policy = mentees, mentors, policy
        self.symmetric = policy.kind is ProgramKind.PEER
        self.m = len(mentors)
        weights = dict(policy.weights.by_criterion())
        if self.symmetric:
            weights[Criterion.FEEDBACK] = 0.0  # peers carry no mentor ratings
        total = sum(weights.values()) or 1.0
        self.weights = {c: w / total for c, w in weights.items()}

        goal_docs = [goal_text(p) for p in mentees]
        experience_docs = [experience_text(p) for p in mentors]
        self._goal_sets = [set(d) for d in goal_docs]
        self._phrase_cache: dict[tuple[str, str], list[tuple[str, frozenset[str]]]] = {}
        self._interest_cache: dict[str, frozenset[str]] = {}
        self._experience_sets = [set(d) for d in experience_docs]
        self.goals = TfIdf.fit(goal_docs, experience_docs)
        if self.symmetric:  # the other direction: the mentor-side's goals
            self.goals_back = TfIdf.fit(
                [goal_text(p) for p in mentors if isinstance(p, MenteeProfile)],
                [experience_text(p) for p in mentees],
            )
        self.interests = Incidence.fit(
            [p.interests for p in mentees], [p.interests for p in mentors]
        )
        departments: dict[str, int] = {}
        for p in [*mentees, *mentors]:
            if p.department is not None:
                departments.setdefault(p.department, len(departments))
        self.department_codes = departments

        def dept(p: MentorProfile | MenteeProfile) -> int:
            return -1 if p.department is None else departments[p.department]

        self.mentee_department = np.array([dept(p) for p in mentees], dtype=np.int64)
        self.mentor_department = np.array([dept(p) for p in mentors], dtype=np.int64)
        self.mentee_level = np.array([p.level for p in mentees], dtype=np.int64)
        self.mentor_level = np.array([p.level for p in mentors], dtype=np.int64)
        day = weekday_on_or_after(reference_day)
        self._mentee_start = self._starts(mentees, day)
        self._mentor_start = self._starts(mentors, day)
        # Few distinct zones and levels: their criteria are looked up in small tables.
        starts, zone_codes = np.unique(
            np.concatenate([self._mentee_start, self._mentor_start]), return_inverse=True
        )
        self.mentee_zone = zone_codes[: len(mentees)]
        self.mentor_zone = zone_codes[len(mentees) :]
        hours = shared_hours(starts[:, None], starts[None, :])
        self.zone_table = np.where(np.isnan(hours), _NEUTRAL, hours / WORKDAY_HOURS)
        levels = np.concatenate([self.mentee_level, self.mentor_level])
        low, high = int(levels.min(initial=0)), int(levels.max(initial=0))
        self.gap_offset = high - low
        span = np.arange(-(high - low), high - low + 1, dtype=np.int64)
        self.level_table = self.level_fit(np.abs(span) if self.symmetric else span)
        self.rating = np.array(
            [
                rating_value(p.mean_rating, p.rating_count)
                if isinstance(p, MentorProfile)
                else _NEUTRAL
                for p in mentors
            ],
            dtype=np.float64,
        )

    @staticmethod
    def _starts(people: Sequence[MentorProfile | MenteeProfile], day: date) -> FloatArray:
        cache: dict[str, float | None] = {}
        out = np.empty(len(people), dtype=np.float64)
        for k, p in enumerate(people):
            if p.time_zone not in cache:
                cache[p.time_zone] = workday_start_utc(p.time_zone, day)
            start = cache[p.time_zone]
            out[k] = np.nan if start is None else start
        return out

    def level_fit(self, gap: npt.NDArray[np.int64]) -> FloatArray:
        """1 at the ideal gap (mid-range; 0 for peers), falling linearly to the range's edges."""
        p = self.policy
        if self.symmetric:
            fit = 1.0 - gap / (p.max_level_gap + 1.0)
        else:
            ideal = (p.min_level_gap + p.max_level_gap) / 2.0
            half = (p.max_level_gap - p.min_level_gap) / 2.0
            fit = 1.0 - np.abs(gap - ideal) / (half + 1.0)
        return np.asarray(np.clip(fit, 0.0, 1.0), dtype=np.float64)

    def criteria(self, rows: Index) -> dict[Criterion, FloatArray]:
        """Each criterion's value for rows x every mentor: (len(rows), m) blocks in [0, 1]."""
        cols = np.arange(self.m, dtype=np.intp)
        goals = self.goals.cosine(rows, cols)
        if self.symmetric:
            goals = (goals + self.goals_back.cosine(cols, rows).T) / 2.0
        interests = self.interests.jaccard(rows, cols)
        return self._combine(rows[:, None], cols[None, :], goals, interests)

    def pair_criteria(self, rows: Index, cols: Index) -> dict[Criterion, FloatArray]:
        """Each criterion's value for the pairs (rows[k], cols[k])."""
        goals = self.goals.pair_cosine(rows, cols)
        if self.symmetric:
            goals = (goals + self.goals_back.pair_cosine(cols, rows)) / 2.0
        interests = self.interests.pair_jaccard(rows, cols)
        return self._combine(rows, cols, goals, interests)

    def _combine(
        self, rows: Index, cols: Index, goals: FloatArray, interests: FloatArray
    ) -> dict[Criterion, FloatArray]:
        # rows and cols broadcast against each other: a block (column x row) or pairs.
        shape = goals.shape
        a, b = self.mentee_department[rows], self.mentor_department[cols]
        cross = np.where((a < 0) | (b < 0), _NEUTRAL, (a != b).astype(np.float64))
        gap = level_gaps(self.mentee_level[rows], self.mentor_level[cols], self.policy.kind)
        zone = self.zone_table[self.mentee_zone[rows], self.mentor_zone[cols]]
        return {
            Criterion.GOALS: np.clip(goals, 0.0, 1.0),
            Criterion.INTERESTS: interests,
            Criterion.CROSS_DEPARTMENT: np.broadcast_to(cross, shape),
            Criterion.LEVEL_GAP: np.broadcast_to(self.level_table[gap + self.gap_offset], shape),
            Criterion.TIME_ZONE: np.broadcast_to(zone, shape),
            Criterion.FEEDBACK: np.broadcast_to(self.rating[cols], shape),
        }

    def weighted(self, values: dict[Criterion, FloatArray]) -> FloatArray:
        total = np.zeros(next(iter(values.values())).shape, dtype=np.float64)
        for criterion, value in values.items():
            w = self.weights[criterion]
            if w > 0:
                total += w * value
        return np.clip(total, 0.0, 1.0)

    def scores(self, rows: Index) -> FloatArray:
        """The score of rows x every mentor, in [0, 1]."""
        return self.weighted(self.criteria(rows))

    def evidence(self, rows: Index, cols: Index) -> list[PairEvidence]:
        """What makes each pair (rows[k], cols[k]) fit, for its reasons."""
        values = self.pair_criteria(rows, cols)
        criteria = list(values)
        table = np.column_stack([values[c] for c in criteria]).tolist() if len(rows) else []
        start_a, start_b = self._mentee_start[rows], self._mentor_start[cols]
        overlap = shared_hours(start_a, start_b)
        known = ~(np.isnan(start_a) | np.isnan(start_b))
        hours = [h if ok else None for h, ok in zip(overlap.tolist(), known.tolist(), strict=True)]
        gaps = level_gaps(self.mentee_level[rows], self.mentor_level[cols], self.policy.kind)
        return [
            self._evidence(row, col, dict(zip(criteria, row_values, strict=True)), hour, gap)
            for row, col, row_values, hour, gap in zip(
                rows.tolist(), cols.tolist(), table, hours, gaps.tolist(), strict=True
            )
        ]

    def _evidence(
        self,
        row: int,
        col: int,
        values: dict[Criterion, float],
        hours: float | None,
        gap: int,
    ) -> PairEvidence:
        mentee, mentor = self.mentees[row], self.mentors[col]
        experience = self._experience_sets[col]
        goal_words = self._goal_sets[row]
        covered = tuple(g for g, words in self._phrases(mentee, "goals") if words & experience)
        if self.symmetric and isinstance(mentor, MenteeProfile):
            goal_words = goal_words | set(goal_text(mentor))
        skills = tuple(s for s, words in self._phrases(mentor, "skills") if words & goal_words)
        if not skills:  # the match is in their title or bio: name the words themselves
            shared = goal_words & experience
            skills = tuple(sorted(shared, key=lambda t: (-self._idf(t), t))[:3])
        rating = mentor.mean_rating if isinstance(mentor, MentorProfile) else None
        count = mentor.rating_count if isinstance(mentor, MentorProfile) else 0
        return PairEvidence(
            values=values,
            weights=self.weights,
            mentor_name=mentor.name,
            covered_goals=covered,
            matching_skills=skills,
            shared_interests=tuple(sorted(self._interest_set(mentee) & self._interest_set(mentor))),
            mentee_department=mentee.department,
            mentor_department=mentor.department,
            level_gap=gap,
            kind=self.policy.kind,
            overlap_hours=hours,
            mean_rating=rating,
            rating_count=count,
        )

    def _phrases(
        self, person: MentorProfile | MenteeProfile, field: str
    ) -> list[tuple[str, frozenset[str]]]:
        """A person's goals or skills with their words, tokenized once per person."""
        key = (person.id, field)
        if key not in self._phrase_cache:
            phrases: Sequence[str] = getattr(person, field)
            self._phrase_cache[key] = [(p, frozenset(tokens(p))) for p in phrases]
        return self._phrase_cache[key]

    def _interest_set(self, person: MentorProfile | MenteeProfile) -> frozenset[str]:
        if person.id not in self._interest_cache:
            self._interest_cache[person.id] = frozenset(normalized(person.interests))
        return self._interest_cache[person.id]

    def _idf(self, term: str) -> float:
        k = self.goals.vocabulary.get(term)
        return 0.0 if k is None else float(self.goals.idf[k])
