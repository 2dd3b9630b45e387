"""The incremental figures against a full recomputation from the raw facts: applied one at a
time, in any order, with duplicates, late events and corrections, they come out the same."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
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
from feedback.domain.figures import (
    ZERO,
    ProgramFigures,
    apply,
    change,
    contribution,
    fold,
    supersedes,
)
from feedback.domain.periods import ALL, Bucket, Grain, month_of, periods_between, week_of
from feedback.domain.recompute import latest, recompute
from feedback.domain.request_schedule import RequestKind, RequestStatus
from feedback.domain.timeline import timeline
from hypothesis import given, settings
from hypothesis import strategies as st

PROGRAM = "p1"
START = datetime(2024, 11, 1, tzinfo=UTC)
ZONES = [UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")]


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    at = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 200)))
    return at.astimezone(draw(st.sampled_from(ZONES)))


@st.composite
def variants(draw: st.DrawFn, fact_id: str, revision: int) -> Fact:
    """One revision of a fact; the kind is fixed by the id's first letter."""
    kind = fact_id[0]
    base = {"id": fact_id, "program_id": PROGRAM, "revision": revision}
    if kind == "e":
        joined = draw(moments())
        left = draw(st.none() | st.just(joined + timedelta(days=draw(st.integers(0, 90)))))
        return EnrollmentFact(
            **base,
            person_id=f"person-{fact_id}",
            role=draw(st.sampled_from(ParticipantRole)),
            joined_at=joined,
            left_at=left,
            underrepresented=draw(st.none() | st.booleans()),
            department=draw(st.sampled_from(["Sales", "Legal", None])),
            level=draw(st.none() | st.integers(1, 4)),
        )
    if kind == "m":
        status = draw(st.sampled_from(MatchStatus))
        accepted = None
        if status is not MatchStatus.PROPOSED and status is not MatchStatus.DECLINED:
            accepted = (
                draw(st.none() | moments()) if status is MatchStatus.ENDED else draw(moments())
            )
        activated = None
        if accepted is not None and status is not MatchStatus.ACCEPTED:
            activated = draw(st.none() | st.just(accepted + timedelta(days=3)))
        closed = None
        if status in (MatchStatus.COMPLETED, MatchStatus.ENDED):
            closed = (accepted or START) + timedelta(days=draw(st.integers(5, 100)))
        return MatchFact(
            **base, status=status, accepted_at=accepted, activated_at=activated, closed_at=closed
        )
    if kind == "s":
        return SessionFact(
            **base, status=draw(st.sampled_from(SessionStatus)), starts_at=draw(moments())
        )
    if kind == "q":
        return RequestFact(
            **base,
            kind=draw(st.sampled_from(RequestKind)),
            status=draw(st.sampled_from(RequestStatus)),
            issued_at=draw(moments()),
        )
    return ResponseFact(
        **base,
        submitted_at=draw(moments()),
        rating=draw(st.none() | st.integers(1, 5)),
        recommend=draw(st.none() | st.integers(0, 10)),
        goal_progress=draw(st.none() | st.integers(1, 5)),
    )


@st.composite
def deliveries(draw: st.DrawFn) -> list[Fact]:
    """Every revision of some facts, each maybe delivered twice, in any order."""
    ids = draw(
        st.lists(
            st.tuples(st.sampled_from("emsqr"), st.integers(0, 30)).map(lambda t: f"{t[0]}{t[1]}"),
            min_size=1,
            max_size=25,
            unique=True,
        )
    )
    delivered: list[Fact] = []
    for fact_id in ids:
        for revision in range(1, draw(st.integers(1, 3)) + 1):
            fact = draw(variants(fact_id, revision))
            delivered += [fact] * draw(st.integers(1, 2))
    return draw(st.permutations(delivered))


def consume(delivered: list[Fact]) -> ProgramFigures:
    """What a consumer does: keep the newest fact per id, apply what is news."""
    stored: dict[tuple[type, str], Fact] = {}
    figures = ProgramFigures(PROGRAM)
    for fact in delivered:
        key = (type(fact), fact.id)
        previous = stored.get(key)
        if supersedes(fact, previous):
            figures = apply(figures, change(fact, previous))
            stored[key] = fact
    return figures


@settings(max_examples=150, deadline=None)
@given(deliveries())
def test_feedback_figures_one_at_a_time_equal_a_full_recomputation(delivered: list[Fact]) -> None:
    incremental = consume(delivered)
    baseline = recompute(PROGRAM, delivered)
    assert incremental == baseline
    # The periods of each grain add up to the whole program.
    for grain in (Grain.WEEK, Grain.MONTH):
        summed = ZERO
        for _, tally in incremental.series(grain):
            summed = summed.plus(tally)
        assert summed == incremental.total


@settings(max_examples=100, deadline=None)
@given(deliveries())
def test_feedback_figures_count_what_the_raw_facts_say(delivered: list[Fact]) -> None:
    """A few headline figures, counted here straight from the newest facts."""
    newest = latest(delivered)
    total = consume(delivered).total
    responses = [f for f in newest if isinstance(f, ResponseFact)]
    recommends = [f.recommend for f in responses if f.recommend is not None]
    assert total.responses == len(responses)
    assert total.nps.promoters == sum(r >= 9 for r in recommends)
    assert total.nps.detractors == sum(r <= 6 for r in recommends)
    ratings = [f.rating for f in responses if f.rating is not None]
    assert total.rating.mean == (pytest.approx(sum(ratings) / len(ratings)) if ratings else None)
    sessions = Counter(f.status for f in newest if isinstance(f, SessionFact))
    assert total.sessions_completed == sessions[SessionStatus.COMPLETED]
    enrollments = [f for f in newest if isinstance(f, EnrollmentFact) and f.left_at is None]
    mentees = sum(f.role is ParticipantRole.MENTEE for f in enrollments)
    assert total.enrolled_mentees == mentees
    active = sum(
        1 for f in newest if isinstance(f, MatchFact) and f.activated_at and f.closed_at is None
    )
    assert total.active_matches == active
    requests = [f for f in newest if isinstance(f, RequestFact)]
    sent = [r for r in requests if r.status is not RequestStatus.WITHDRAWN]
    answered = sum(r.status is RequestStatus.ANSWERED for r in sent)
    assert total.response_rate == (answered / len(sent) if sent else None)


def response(revision: int, rating: int, recommend: int, at: datetime) -> ResponseFact:
    return ResponseFact(
        id="r1",
        program_id=PROGRAM,
        revision=revision,
        submitted_at=at,
        rating=rating,
        recommend=recommend,
        goal_progress=None,
    )


def test_feedback_a_correction_replaces_its_old_contribution() -> None:
    first = response(1, 2, 6, datetime(2025, 1, 6, 9, tzinfo=UTC))
    corrected = response(2, 5, 9, datetime(2025, 2, 3, 9, tzinfo=UTC))  # another week and month
    figures = apply(ProgramFigures(PROGRAM), change(first, None))
    assert figures.total.detractors == 1
    figures = apply(figures, change(corrected, first))
    assert (figures.total.responses, figures.total.promoters, figures.total.detractors) == (1, 1, 0)
    assert figures.total.rating.mean == 5
    assert week_of(first.submitted_at) not in figures.buckets  # moved out entirely
    assert figures.buckets[week_of(corrected.submitted_at)].promoters == 1
    # Redelivered: not news, and its change against itself is empty anyway.
    assert not supersedes(corrected, corrected)
    assert change(corrected, corrected).is_empty()
    # A late, older revision is not news either.
    assert not supersedes(first, corrected)


def test_feedback_a_change_touches_a_bounded_number_of_buckets() -> None:
    match = MatchFact(
        id="m1",
        program_id=PROGRAM,
        revision=3,
        status=MatchStatus.COMPLETED,
        accepted_at=datetime(2025, 1, 2, tzinfo=UTC),
        activated_at=datetime(2025, 2, 10, tzinfo=UTC),
        closed_at=datetime(2025, 5, 1, tzinfo=UTC),
    )
    assert len(contribution(match)) <= 3 * 3
    assert contribution(match)[ALL].active_matches == 0  # activated, then closed
    assert contribution(match)[ALL].completion_rate == 1.0


def test_feedback_facts_with_impossible_values_are_refused() -> None:
    with pytest.raises(ValueError, match=r"rating 6 is outside 1\.\.5"):
        change(response(1, 6, 9, START), None)
    with pytest.raises(ValueError, match="recommend score"):
        change(response(1, 4, 11, START), None)
    never_accepted = MatchFact(
        id="m",
        program_id=PROGRAM,
        revision=1,
        status=MatchStatus.ACTIVE,
        accepted_at=None,
        activated_at=START,
        closed_at=None,
    )
    with pytest.raises(ValueError, match="never accepted"):
        change(never_accepted, None)
    with pytest.raises(ValueError, match="cannot replace"):
        change(
            response(1, 4, 9, START),
            SessionFact(
                id="r1",
                program_id=PROGRAM,
                revision=1,
                status=SessionStatus.COMPLETED,
                starts_at=START,
            ),
        )
    other = ResponseFact(
        id="x",
        program_id="p2",
        revision=1,
        submitted_at=START,
        rating=3,
        recommend=None,
        goal_progress=None,
    )
    with pytest.raises(ValueError, match="belongs to program p2"):
        fold(ProgramFigures(PROGRAM), [(other, None)])
    with pytest.raises(ValueError, match="no time zone"):
        change(response(1, 4, 9, datetime(2025, 1, 1)), None)


def test_feedback_periods_are_utc_iso_weeks_and_months() -> None:
    sunday_night_new_york = datetime(2025, 1, 5, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    assert week_of(sunday_night_new_york) == Bucket(Grain.WEEK, "2025-W02")  # Monday in UTC
    assert week_of(datetime(2024, 12, 30, tzinfo=UTC)).key == "2025-W01"  # ISO year
    assert month_of(datetime(2025, 1, 31, 23, 0, tzinfo=ZoneInfo("Asia/Tokyo"))).key == "2025-01"
    weeks = periods_between(
        datetime(2024, 12, 20, tzinfo=UTC), datetime(2025, 1, 10, tzinfo=UTC), Grain.WEEK
    )
    assert [b.key for b in weeks] == ["2024-W51", "2024-W52", "2025-W01", "2025-W02"]
    months = periods_between(
        datetime(2024, 1, 31, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC), Grain.MONTH
    )
    assert [b.key for b in months] == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    assert weeks[0].starts_on() is not None and weeks[0].starts_on().isoformat() == "2024-12-16"


@settings(max_examples=100, deadline=None)
@given(deliveries(), st.sampled_from([Grain.WEEK, Grain.MONTH]))
def test_feedback_the_timeline_adds_up_to_the_program(delivered: list[Fact], grain: Grain) -> None:
    figures = consume(delivered)
    # To past the last moment a fact can name (a leaver 90 days after a late joiner, a
    # match closing 100 days after its acceptance).
    periods = timeline(figures, grain, START, START + timedelta(days=320))
    total = figures.total
    assert sum(p.sessions_completed for p in periods) == total.sessions_completed
    assert sum(p.responses for p in periods) == total.responses
    assert sum(p.requests for p in periods) == total.requests
    # States at the last period's end are the program's now.
    last = periods[-1]
    assert (last.enrolled_mentees, last.enrolled_mentors, last.active_matches) == (
        total.enrolled_mentees,
        total.enrolled_mentors,
        total.active_matches,
    )
    keys = [p.period for p in periods]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    newest = latest(delivered)
    for p in periods:  # each period's mean rating from its own answers
        mine = [
            f.rating
            for f in newest
            if isinstance(f, ResponseFact)
            and f.rating is not None
            and (week_of(f.submitted_at) if grain is Grain.WEEK else month_of(f.submitted_at)).key
            == p.period
        ]
        assert p.rating_responses == len(mine)
        assert p.average_rating == (pytest.approx(sum(mine) / len(mine)) if mine else None)
