"""A program's figures, kept up to date one fact at a time in O(1).

Each fact contributes counts (a `Tally`) to the periods it happened in: the whole program, its
ISO week and its month (UTC). A fact that changes (a corrected response, a match that moved on,
a request answered) replaces its old contribution: `change(new, previous)` is the new
contribution minus the previous one, at most a few buckets whatever the program's size, so a
store can add it to its rows with atomic increments (no read-modify-write to lose). Applying
the same fact twice changes nothing (its change against itself is empty), and `supersedes`
tells a redelivered or late event (not newer than what was applied) from a real change.

Counts that describe "now" are differences of counts of what happened: enrolled mentees =
joined - left, active matches = activated - closed after activation. So every period holds
only its own events, the periods of one grain add up to the whole, and a time series is a
running sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from operator import add, neg
from typing import NamedTuple

from contracts.matches import MatchStatus
from contracts.programs import ParticipantRole
from contracts.sessions import SessionStatus

from feedback.domain.facts import (
    EnrollmentFact,
    Fact,
    MatchFact,
    RequestFact,
    ResponseFact,
    SessionFact,
)
from feedback.domain.intervals import Interval
from feedback.domain.periods import ALL, Bucket, Grain, buckets_of
from feedback.domain.request_schedule import RequestStatus
from feedback.domain.scores import (
    GOAL_PROGRESS_SCALE,
    RATING_SCALE,
    NpsCategory,
    NpsSummary,
    RatingSummary,
    nps_category,
    response_rate,
)


class Tally(NamedTuple):
    """What happened in one period of one program (all counts; sums for the means)."""

    mentors_joined: int = 0
    mentees_joined: int = 0
    peers_joined: int = 0
    mentors_left: int = 0
    mentees_left: int = 0
    peers_left: int = 0
    matches_started: int = 0  # accepted
    matches_activated: int = 0  # held a first session
    matches_completed: int = 0
    matches_ended: int = 0  # ended early, after being accepted
    matches_closed_after_activation: int = 0
    sessions_completed: int = 0
    sessions_cancelled: int = 0
    sessions_no_show: int = 0
    requests: int = 0  # sent, counted in the period they fell due
    requests_answered: int = 0
    requests_expired: int = 0
    responses: int = 0
    rating_count: int = 0
    rating_sum: int = 0
    rating_squares: int = 0
    recommend_count: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    goal_count: int = 0
    goal_sum: int = 0

    def plus(self, other: Tally) -> Tally:
        return Tally._make(map(add, self, other))

    def minus(self, other: Tally) -> Tally:
        return Tally._make(map(add, self, map(neg, other)))

    def is_zero(self) -> bool:
        return not any(self)

    # --- the figures a reader asks for, from the counts --------------------------------

    @property
    def enrolled_mentors(self) -> int:
        return self.mentors_joined - self.mentors_left

    @property
    def enrolled_mentees(self) -> int:
        return self.mentees_joined - self.mentees_left

    @property
    def enrolled_peers(self) -> int:
        return self.peers_joined - self.peers_left

    @property
    def active_matches(self) -> int:
        return self.matches_activated - self.matches_closed_after_activation

    @property
    def open_matches(self) -> int:
        """Accepted or active, not yet completed or ended."""
        return self.matches_started - self.matches_completed - self.matches_ended

    @property
    def sessions_per_active_match(self) -> float | None:
        """Sessions held ÷ matches that became active (held a first session), so matches
        completing do not inflate it."""
        return self.sessions_completed / self.matches_activated if self.matches_activated else None

    @property
    def completion_rate(self) -> float | None:
        """Of the matches that closed, the share that completed rather than ended early."""
        closed = self.matches_completed + self.matches_ended
        return self.matches_completed / closed if closed else None

    @property
    def rating(self) -> RatingSummary:
        return RatingSummary(self.rating_count, self.rating_sum, self.rating_squares)

    @property
    def nps(self) -> NpsSummary:
        return NpsSummary(self.promoters, self.passives, self.detractors)

    @property
    def response_rate(self) -> float | None:
        return response_rate(self.requests_answered, self.requests)

    @property
    def mean_goal_progress(self) -> float | None:
        return self.goal_sum / self.goal_count if self.goal_count else None

    def rating_interval(self) -> Interval | None:
        return self.rating.interval()


ZERO = Tally()


class ParticipantGroup(NamedTuple):
    """Who is enrolled, by role and the attributes representation is broken down by."""

    role: ParticipantRole
    underrepresented: bool | None
    department: str | None
    level: int | None


_JOINED = {
    ParticipantRole.MENTOR: ZERO._replace(mentors_joined=1),
    ParticipantRole.MENTEE: ZERO._replace(mentees_joined=1),
    ParticipantRole.PEER: ZERO._replace(peers_joined=1),
}
_LEFT = {
    ParticipantRole.MENTOR: ZERO._replace(mentors_left=1),
    ParticipantRole.MENTEE: ZERO._replace(mentees_left=1),
    ParticipantRole.PEER: ZERO._replace(peers_left=1),
}
_SESSION = {
    SessionStatus.COMPLETED: ZERO._replace(sessions_completed=1),
    SessionStatus.CANCELLED: ZERO._replace(sessions_cancelled=1),
    SessionStatus.NO_SHOW: ZERO._replace(sessions_no_show=1),
}
_REQUEST = {
    RequestStatus.ANSWERED: ZERO._replace(requests=1, requests_answered=1),
    RequestStatus.EXPIRED: ZERO._replace(requests=1, requests_expired=1),
}
_NPS = {
    NpsCategory.PROMOTER: ZERO._replace(recommend_count=1, promoters=1),
    NpsCategory.PASSIVE: ZERO._replace(recommend_count=1, passives=1),
    NpsCategory.DETRACTOR: ZERO._replace(recommend_count=1, detractors=1),
}


def _in_scale(value: int | None, scale: tuple[int, int], name: str, fact_id: str) -> None:
    if value is not None and not scale[0] <= value <= scale[1]:
        raise ValueError(f"response {fact_id}: {name} {value} is outside {scale[0]}..{scale[1]}")


def _events(fact: Fact) -> list[tuple[datetime, Tally]]:
    """What a fact says happened, and when."""
    if isinstance(fact, ResponseFact):
        _in_scale(fact.rating, RATING_SCALE, "rating", fact.id)
        _in_scale(fact.goal_progress, GOAL_PROGRESS_SCALE, "goal progress", fact.id)
        tally = ZERO._replace(responses=1)
        if fact.rating is not None:
            tally = tally._replace(
                rating_count=1, rating_sum=fact.rating, rating_squares=fact.rating**2
            )
        if fact.recommend is not None:
            tally = tally.plus(_NPS[nps_category(fact.recommend)])
        if fact.goal_progress is not None:
            tally = tally._replace(goal_count=1, goal_sum=fact.goal_progress)
        return [(fact.submitted_at, tally)]
    if isinstance(fact, SessionFact):
        session = _SESSION.get(fact.status)
        return [] if session is None else [(fact.starts_at, session)]
    if isinstance(fact, RequestFact):
        if fact.status is RequestStatus.WITHDRAWN:
            return []  # the person left: nobody could answer it
        return [(fact.issued_at, _REQUEST.get(fact.status, ZERO._replace(requests=1)))]
    if isinstance(fact, EnrollmentFact):
        events = [(fact.joined_at, _JOINED[fact.role])]
        if fact.left_at is not None:
            events.append((fact.left_at, _LEFT[fact.role]))
        return events
    return _match_events(fact)


def _match_events(fact: MatchFact) -> list[tuple[datetime, Tally]]:
    if fact.accepted_at is None:
        if fact.activated_at is not None:
            raise ValueError(f"match {fact.id} is active but was never accepted")
        return []  # a proposal (pending, declined or withdrawn) is not a relationship yet
    events = [(fact.accepted_at, ZERO._replace(matches_started=1))]
    if fact.activated_at is not None:
        events.append((fact.activated_at, ZERO._replace(matches_activated=1)))
    if fact.status in (MatchStatus.COMPLETED, MatchStatus.ENDED):
        if fact.closed_at is None:
            raise ValueError(f"match {fact.id} is {fact.status} without a closing time")
        closed = (
            ZERO._replace(matches_completed=1)
            if fact.status is MatchStatus.COMPLETED
            else ZERO._replace(matches_ended=1)
        )
        if fact.activated_at is not None:
            closed = closed._replace(matches_closed_after_activation=1)
        events.append((fact.closed_at, closed))
    return events


def contribution(fact: Fact) -> dict[Bucket, Tally]:
    """The counts a fact adds to each bucket it touches (at most three moments x three
    buckets)."""
    out: dict[Bucket, Tally] = {}
    for at, tally in _events(fact):
        for bucket in buckets_of(at):
            held = out.get(bucket)
            out[bucket] = tally if held is None else held.plus(tally)
    return out


def _group(fact: Fact) -> ParticipantGroup | None:
    if isinstance(fact, EnrollmentFact) and fact.left_at is None:
        return ParticipantGroup(fact.role, fact.underrepresented, fact.department, fact.level)
    return None


@dataclass(frozen=True, slots=True)
class FiguresChange:
    """What one fact changes: signed tallies per bucket, signed headcounts per group."""

    buckets: Mapping[Bucket, Tally] = field(default_factory=dict)
    participants: Mapping[ParticipantGroup, int] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.buckets and not self.participants


def supersedes(new: Fact, previous: Fact | None) -> bool:
    """Whether `new` is news: a first sighting, or a higher revision of the same fact. A
    redelivered or late event is not, and the caller leaves its figures alone."""
    if previous is None:
        return True
    _same_fact(new, previous)
    return new.revision > previous.revision


def _same_fact(new: Fact, previous: Fact) -> None:
    if type(new) is not type(previous) or new.id != previous.id:
        raise ValueError(f"{new.id} cannot replace {type(previous).__name__} {previous.id}")
    if new.program_id != previous.program_id:
        raise ValueError(f"{new.id} moved from program {previous.program_id} to {new.program_id}")


def change(new: Fact, previous: Fact | None) -> FiguresChange:
    """New contribution minus the previous one (None: the fact is new)."""
    buckets = contribution(new)
    if previous is not None:
        _same_fact(new, previous)
        for bucket, tally in contribution(previous).items():
            held = buckets.get(bucket)
            buckets[bucket] = ZERO.minus(tally) if held is None else held.minus(tally)
    buckets = {b: t for b, t in buckets.items() if not t.is_zero()}
    participants: dict[ParticipantGroup, int] = {}
    if (group := _group(new)) is not None:
        participants[group] = 1
    if previous is not None and (group := _group(previous)) is not None:
        participants[group] = participants.get(group, 0) - 1
    return FiguresChange(buckets, {g: n for g, n in participants.items() if n})


@dataclass(frozen=True, slots=True)
class ProgramFigures:
    program_id: str
    buckets: Mapping[Bucket, Tally] = field(default_factory=dict)
    participants: Mapping[ParticipantGroup, int] = field(default_factory=dict)

    @property
    def total(self) -> Tally:
        return self.buckets.get(ALL, ZERO)

    def series(self, grain: Grain) -> list[tuple[Bucket, Tally]]:
        """The buckets of one grain in time order (periods with nothing happening are absent;
        `periods.periods_between` lists them all)."""
        return sorted((b, t) for b, t in self.buckets.items() if b.grain is grain)


def apply(figures: ProgramFigures, delta: FiguresChange) -> ProgramFigures:
    """The figures after one change (pure: copies the bucket index, which is bounded by the
    number of periods, never by the number of facts). A store applies `delta` row by row."""
    buckets = dict(figures.buckets)
    for bucket, tally in delta.buckets.items():
        updated = buckets.get(bucket, ZERO).plus(tally)
        if updated.is_zero():
            buckets.pop(bucket, None)
        else:
            buckets[bucket] = updated
    participants = dict(figures.participants)
    for group, count in delta.participants.items():
        total = participants.get(group, 0) + count
        if total:
            participants[group] = total
        else:
            participants.pop(group, None)
    return ProgramFigures(figures.program_id, buckets, participants)


def fold(figures: ProgramFigures, facts: Iterable[tuple[Fact, Fact | None]]) -> ProgramFigures:
    """Applies (fact, previous) pairs in order; facts of another program are refused."""
    for fact, previous in facts:
        if fact.program_id != figures.program_id:
            raise ValueError(f"{fact.id} belongs to program {fact.program_id}")
        figures = apply(figures, change(fact, previous))
    return figures
