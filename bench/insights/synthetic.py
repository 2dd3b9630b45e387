"""A seeded synthetic organization and mentoring program for the insights benchmark.

- 100,000 people over two years of HRIS history: promotions, department moves, new roles
  under new managers, reorganizations (a manager change alone), hires and leavers;
- a program that starts a year in: 10,000 participants (3,000 mentors, 7,000 mentees),
  chosen mostly from the middle levels (the selection a fair comparison has to correct), who
  are promoted a little more often (a planted effect);
- each mentee's match (accepted, active, then completed, ended or still going), 200,000
  sessions, a feedback request to each attendee of each held session, and 300,000 answers,
  as the events that carry them arrive: requests answered or expired later, 2 % of answers
  corrected, 1 % of events delivered twice, and a little out of order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import numpy as np
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
from feedback.domain.org_history import OrgField, OrgMove, PersonHistory
from feedback.domain.request_schedule import RequestKind, RequestStatus

PROGRAM = "bench-program"
HISTORY_START = datetime(2024, 1, 1, tzinfo=UTC)
PROGRAM_START = datetime(2025, 1, 6, tzinfo=UTC)
NOW = datetime(2026, 1, 5, tzinfo=UTC)
DEPARTMENTS = [
    "Finance", "Engineering", "Sales", "Marketing", "Legal", "Operations", "Product", "Design",
    "People", "Support", "Data", "Security", "Procurement", "Strategy", "Research", "IT",
    "Communications", "Risk", "Logistics", "Partnerships",
]  # fmt: skip
HISTORY_DAYS = (NOW - HISTORY_START).days


class OrgEventKind(StrEnum):
    HIRED = "HIRED"
    MOVED = "MOVED"
    LEFT = "LEFT"


@dataclass(frozen=True, slots=True)
class OrgEvent:
    """One HRIS change: a hire, the org moves of one person on one day, or a leaver."""

    kind: OrgEventKind
    person: int
    at: datetime
    moves: tuple[OrgMove, ...] = ()


@dataclass
class Org:
    people: list[PersonHistory]  # as the whole history says (the baseline reads these)
    present: list[PersonHistory]  # who was there when the history starts, as they were then
    events: list[OrgEvent]  # everything after, in time order
    participants: set[str]


def _at(day: float) -> datetime:
    return HISTORY_START + timedelta(days=float(day))


def _moves(
    rng: np.random.Generator,
    i: int,
    level: int,
    department: int,
    days: tuple[float, float],
    participant: bool,
) -> tuple[list[tuple[float, tuple[OrgMove, ...]]], int, int]:
    """A person's career over `days`: (day, moves) steps, and their final level and
    department. Participants get extra promotions during the program year."""
    start, end = days
    years = max(0.0, (end - start) / 365)
    program_day = (PROGRAM_START - HISTORY_START).days
    plan = [("promotion", start)] * rng.poisson(0.12 * years)
    plan += [("department", start)] * rng.poisson(0.05 * years)
    plan += [("new_role", start)] * rng.poisson(0.05 * years)
    plan += [("reorg", start)] * rng.poisson(0.10 * years)
    if participant and end > program_day:
        plan += [("promotion", float(program_day))] * rng.poisson(0.07)  # the planted effect
    dated = sorted((float(rng.uniform(lo, end)), kind) for kind, lo in plan if lo < end)
    steps: list[tuple[float, tuple[OrgMove, ...]]] = []
    title = f"{DEPARTMENTS[department]} L{level}"
    for day, kind in dated:
        at = _at(day)
        if kind == "promotion":
            new_title = f"{DEPARTMENTS[department]} L{level + 1}"
            step = (
                OrgMove(
                    field=OrgField.LEVEL, from_value=level, to_value=level + 1, effective_at=at
                ),
                OrgMove(
                    field=OrgField.TITLE,
                    from_value=title,
                    to_value=new_title,
                    effective_at=at,
                    marked_promotion=True,
                ),
            )
            level, title = level + 1, new_title
        elif kind == "department":
            new = int(rng.integers(0, len(DEPARTMENTS)))
            if new == department:
                continue
            step = (
                OrgMove(
                    field=OrgField.DEPARTMENT,
                    from_value=DEPARTMENTS[department],
                    to_value=DEPARTMENTS[new],
                    effective_at=at,
                ),
            )
            department = new
        elif kind == "new_role":
            new_title = f"{title}+"
            step = (
                OrgMove(
                    field=OrgField.MANAGER,
                    from_value=f"M{i % 997}",
                    to_value=f"M{(i + 1) % 997}",
                    effective_at=at,
                ),
                OrgMove(
                    field=OrgField.TITLE, from_value=title, to_value=new_title, effective_at=at
                ),
            )
            title = new_title
        else:  # a reorganization: a new manager, nobody moved
            step = (
                OrgMove(
                    field=OrgField.MANAGER,
                    from_value=f"M{i % 991}",
                    to_value=f"M{(i + 3) % 991}",
                    effective_at=at,
                ),
            )
        steps.append((day, step))
    return steps, level, department


def build_org(people: int, participants: int, seed: int) -> Org:
    rng = np.random.default_rng(seed)
    level = np.minimum(8, rng.geometric(0.38, people))  # a pyramid: most at the bottom
    department = rng.integers(0, len(DEPARTMENTS), people)
    hired_day = np.where(
        rng.random(people) < 0.9,
        -rng.integers(30, 15 * 365, people),  # there when the history starts
        rng.integers(0, HISTORY_DAYS, people),  # hired during it
    )
    leaves = rng.random(people) < 0.14
    left_day = np.maximum(
        np.where(leaves, rng.integers(0, HISTORY_DAYS, people), HISTORY_DAYS + 1), hired_day + 30
    )
    stated = rng.random(people)
    program_day = (PROGRAM_START - HISTORY_START).days
    there = (hired_day <= program_day) & (left_day > program_day)
    # Participants come mostly from the middle levels: what a naive comparison falls for.
    weight = np.where(there, np.select([level <= 1, level <= 5], [0.4, 1.0], 0.6), 0.0)
    chosen = rng.choice(people, participants, replace=False, p=weight / weight.sum())
    is_participant = np.zeros(people, dtype=bool)
    is_participant[chosen] = True

    histories, present, timeline = [], [], []
    for i in range(people):
        begin, end = max(0, int(hired_day[i])), min(HISTORY_DAYS, int(left_day[i]))
        steps, final_level, final_department = _moves(
            rng, i, int(level[i]), int(department[i]), (begin, end), bool(is_participant[i])
        )
        hired_on = (HISTORY_START + timedelta(days=int(hired_day[i]))).date()
        left_at = None if left_day[i] > HISTORY_DAYS else _at(int(left_day[i]))
        underrepresented = None if stated[i] > 0.95 else bool(stated[i] < 0.3)
        person = f"p{i:06d}"
        histories.append(
            PersonHistory(
                person_id=person,
                hired_on=hired_on,
                left_at=left_at,
                underrepresented=underrepresented,
                level=final_level,
                department=DEPARTMENTS[final_department],
                moves=tuple(m for _, step in steps for m in step),
            )
        )
        as_hired = PersonHistory(
            person_id=person,
            hired_on=hired_on,
            left_at=None,
            underrepresented=underrepresented,
            level=int(level[i]),
            department=DEPARTMENTS[int(department[i])],
            moves=(),
        )
        if hired_day[i] <= 0:
            present.append(as_hired)
        else:
            timeline.append(
                (float(hired_day[i]) - 0.5, OrgEvent(OrgEventKind.HIRED, i, _at(int(hired_day[i]))))
            )
        timeline += [
            (day, OrgEvent(OrgEventKind.MOVED, i, step[0].effective_at, step))
            for day, step in steps
        ]
        if left_at is not None:
            timeline.append((float(left_day[i]) + 0.5, OrgEvent(OrgEventKind.LEFT, i, left_at)))
    timeline.sort(key=lambda t: t[0])
    return Org(histories, present, [e for _, e in timeline], {f"p{i:06d}" for i in chosen})


def program_facts(
    org: Org, mentors: int, mentees: int, sessions: int, responses: int, seed: int
) -> Iterator[Fact]:
    """Every fact as its events arrive (roughly in time order, some late, some twice)."""
    rng = np.random.default_rng(seed + 1)
    ids = sorted(org.participants)
    rng.shuffle(ids)
    arrivals: list[tuple[float, Fact]] = []

    def at(day: float) -> datetime:
        return PROGRAM_START + timedelta(days=float(day))

    lookup = {h.person_id: h for h in org.people}
    for n, person in enumerate(ids[: mentors + mentees]):
        role = ParticipantRole.MENTOR if n < mentors else ParticipantRole.MENTEE
        joined = float(rng.uniform(0, 30))
        fact = EnrollmentFact(
            id=f"e{n}",
            program_id=PROGRAM,
            revision=1,
            person_id=person,
            role=role,
            joined_at=at(joined),
            left_at=None,
            underrepresented=lookup[person].underrepresented,
            department=lookup[person].department,
            level=lookup[person].level,
        )
        arrivals.append((joined, fact))
        if rng.random() < 0.05:
            left = joined + float(rng.uniform(30, 300))
            arrivals.append((left, _replace(fact, revision=2, left_at=at(left))))
    per_match = sessions / mentees
    answer_share = responses / (2 * sessions * 0.88)
    session_id = request_id = response_id = 0
    for m in range(mentees):
        accepted = float(rng.uniform(30, 60))
        activated = accepted + float(rng.uniform(3, 20))
        fate = rng.random()
        status = MatchStatus.ACTIVE
        closed = None
        held = int(rng.poisson(per_match))
        if fate < 0.4:
            status, closed = MatchStatus.COMPLETED, activated + held * 10
        elif fate < 0.5:
            status, closed = MatchStatus.ENDED, activated + held * 5
        base = {"id": f"m{m}", "program_id": PROGRAM}
        arrivals.append(
            (
                accepted,
                MatchFact(
                    **base,
                    revision=1,
                    status=MatchStatus.ACCEPTED,
                    accepted_at=at(accepted),
                    activated_at=None,
                    closed_at=None,
                ),
            )
        )
        arrivals.append(
            (
                activated,
                MatchFact(
                    **base,
                    revision=2,
                    status=MatchStatus.ACTIVE,
                    accepted_at=at(accepted),
                    activated_at=at(activated),
                    closed_at=None,
                ),
            )
        )
        if closed is not None:
            arrivals.append(
                (
                    closed,
                    MatchFact(
                        **base,
                        revision=3,
                        status=status,
                        accepted_at=at(accepted),
                        activated_at=at(activated),
                        closed_at=at(closed),
                    ),
                )
            )
        for k in range(held):
            day = min(activated + k * 10 + float(rng.uniform(0, 3)), 364.0)
            roll = rng.random()
            s_status = (
                SessionStatus.COMPLETED
                if roll < 0.88
                else SessionStatus.CANCELLED
                if roll < 0.96
                else SessionStatus.NO_SHOW
            )
            arrivals.append(
                (
                    day,
                    SessionFact(
                        id=f"s{session_id}",
                        program_id=PROGRAM,
                        revision=1,
                        status=s_status,
                        starts_at=at(day),
                    ),
                )
            )
            session_id += 1
            if s_status is not SessionStatus.COMPLETED:
                continue
            for _ in range(2):  # the mentor and the mentee
                request = RequestFact(
                    id=f"q{request_id}",
                    program_id=PROGRAM,
                    revision=1,
                    kind=RequestKind.SESSION,
                    status=RequestStatus.PENDING,
                    issued_at=at(day),
                )
                request_id += 1
                arrivals.append((day, request))
                if rng.random() < answer_share:
                    answered = day + float(rng.uniform(0, 10))
                    arrivals.append(
                        (answered, _replace(request, revision=2, status=RequestStatus.ANSWERED))
                    )
                    rating = int(min(5, max(1, round(rng.normal(4.1, 0.8)))))
                    response = ResponseFact(
                        id=f"r{response_id}",
                        program_id=PROGRAM,
                        revision=1,
                        submitted_at=at(answered),
                        rating=rating,
                        recommend=int(min(10, max(0, round(rng.normal(8, 1.8))))),
                        goal_progress=int(rng.integers(1, 6)),
                    )
                    response_id += 1
                    arrivals.append((answered, response))
                    if rng.random() < 0.02:  # corrected within the edit window
                        arrivals.append(
                            (
                                answered + 1,
                                _replace(response, revision=2, rating=max(1, rating - 1)),
                            )
                        )
                else:
                    arrivals.append(
                        (day + 14, _replace(request, revision=2, status=RequestStatus.EXPIRED))
                    )
    arrivals.sort(key=lambda a: a[0] + float(rng.normal(0, 0.5)) * (rng.random() < 0.05))
    for _, fact in arrivals:
        yield fact
        if rng.random() < 0.01:
            yield fact  # redelivered


def _replace(fact: Fact, **changes: object) -> Fact:
    from dataclasses import replace

    return replace(fact, **changes)  # type: ignore[arg-type]


def today() -> date:
    return NOW.date()
