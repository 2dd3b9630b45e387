"""The baseline: a program's figures computed from scratch from every raw fact, with no
incremental state. Written apart from `figures` (counting by measure name over a scan, not by
adding contributions) so each checks the other; the benchmark times it against the
incremental figures."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from contracts.matches import MatchStatus
from contracts.sessions import SessionStatus

from feedback.domain.facts import (
    EnrollmentFact,
    Fact,
    MatchFact,
    RequestFact,
    ResponseFact,
    SessionFact,
)
from feedback.domain.figures import ParticipantGroup, ProgramFigures, Tally
from feedback.domain.periods import ALL, Bucket, month_of, week_of
from feedback.domain.request_schedule import RequestStatus


def latest(facts: Iterable[Fact]) -> list[Fact]:
    """The newest revision of each fact (first seen wins a tie: a redelivery is identical)."""
    newest: dict[tuple[type, str], Fact] = {}
    for fact in facts:
        key = (type(fact), fact.id)
        held = newest.get(key)
        if held is None or fact.revision > held.revision:
            newest[key] = fact
    return list(newest.values())


def recompute(program_id: str, facts: Iterable[Fact]) -> ProgramFigures:
    counts: defaultdict[Bucket, Counter[str]] = defaultdict(Counter)
    participants: Counter[ParticipantGroup] = Counter()

    def count(at: datetime, **measures: int) -> None:
        for bucket in (ALL, week_of(at), month_of(at)):
            counts[bucket].update(measures)

    for fact in latest(f for f in facts if f.program_id == program_id):
        if isinstance(fact, EnrollmentFact):
            role = fact.role.lower() + "s"
            count(fact.joined_at, **{f"{role}_joined": 1})
            if fact.left_at is None:
                group = ParticipantGroup(
                    fact.role, fact.underrepresented, fact.department, fact.level
                )
                participants[group] += 1
            else:
                count(fact.left_at, **{f"{role}_left": 1})
        elif isinstance(fact, MatchFact):
            if fact.accepted_at is None:
                continue
            count(fact.accepted_at, matches_started=1)
            if fact.activated_at is not None:
                count(fact.activated_at, matches_activated=1)
            if fact.status in (MatchStatus.COMPLETED, MatchStatus.ENDED):
                assert fact.closed_at is not None
                count(
                    fact.closed_at,
                    matches_completed=int(fact.status is MatchStatus.COMPLETED),
                    matches_ended=int(fact.status is MatchStatus.ENDED),
                    matches_closed_after_activation=int(fact.activated_at is not None),
                )
        elif isinstance(fact, SessionFact):
            # Only what happened counts: a planned session (scheduled or not) is no figure.
            if fact.status not in (SessionStatus.SCHEDULED, SessionStatus.UNSCHEDULED):
                count(fact.starts_at, **{f"sessions_{fact.status.lower()}": 1})
        elif isinstance(fact, RequestFact):
            if fact.status is not RequestStatus.WITHDRAWN:
                count(
                    fact.issued_at,
                    requests=1,
                    requests_answered=int(fact.status is RequestStatus.ANSWERED),
                    requests_expired=int(fact.status is RequestStatus.EXPIRED),
                )
        elif isinstance(fact, ResponseFact):
            measures = {"responses": 1}
            if fact.rating is not None:
                measures |= {
                    "rating_count": 1,
                    "rating_sum": fact.rating,
                    "rating_squares": fact.rating * fact.rating,
                }
            if fact.recommend is not None:
                kind = (
                    "promoters"
                    if fact.recommend >= 9
                    else "passives"
                    if fact.recommend >= 7
                    else "detractors"
                )
                measures |= {"recommend_count": 1, kind: 1}
            if fact.goal_progress is not None:
                measures |= {"goal_count": 1, "goal_sum": fact.goal_progress}
            count(fact.submitted_at, **measures)
    buckets = {
        bucket: Tally(**{name: n for name, n in measures.items() if n})
        for bucket, measures in counts.items()
    }
    return ProgramFigures(
        program_id,
        {b: t for b, t in buckets.items() if not t.is_zero()},
        {g: n for g, n in participants.items() if n},
    )
