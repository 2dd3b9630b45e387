"""A program's insights assembled from its kept state: every number against one computed
here from the raw data, small groups suppressed, objectives judged on the figures shown."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from contracts.internal.feedback import ObjectiveStanding, OutcomeMetric
from contracts.matches import MatchStatus
from contracts.programs import ObjectiveMetric, ParticipantRole
from contracts.sessions import SessionStatus
from feedback.domain.comparison import compare
from feedback.domain.facts import EnrollmentFact, Fact, MatchFact, ResponseFact, SessionFact
from feedback.domain.figures import ParticipantGroup, ProgramFigures, apply, change
from feedback.domain.insights import answer, protect
from feedback.domain.objectives import Objective
from feedback.domain.outcomes import OutcomeKey, OutcomeWindow, Stratum
from feedback.domain.suppression import SuppressionRule

PROGRAM = "p1"
T0 = datetime(2025, 1, 6, 9, tzinfo=UTC)
WINDOW = OutcomeWindow(T0, T0 + timedelta(days=365))


def program_facts(rng: np.random.Generator) -> list[Fact]:
    facts: list[Fact] = []
    for i in range(60):
        role = ParticipantRole.MENTOR if i < 20 else ParticipantRole.MENTEE
        facts.append(
            EnrollmentFact(
                id=f"e{i}",
                program_id=PROGRAM,
                revision=1,
                person_id=f"x{i}",
                role=role,
                joined_at=T0 + timedelta(days=int(rng.integers(0, 30))),
                left_at=T0 + timedelta(days=40) if i % 15 == 0 else None,
                underrepresented=[True, False, None][i % 3] if i != 59 else True,
            )
        )
    for i in range(30):
        status = [MatchStatus.ACTIVE, MatchStatus.COMPLETED, MatchStatus.ENDED][i % 3]
        facts.append(
            MatchFact(
                id=f"m{i}",
                program_id=PROGRAM,
                revision=2,
                status=status,
                accepted_at=T0 + timedelta(days=10),
                activated_at=T0 + timedelta(days=20),
                closed_at=None if status is MatchStatus.ACTIVE else T0 + timedelta(days=90),
            )
        )
    for i in range(120):
        facts.append(
            SessionFact(
                id=f"s{i}",
                program_id=PROGRAM,
                revision=1,
                status=[SessionStatus.COMPLETED, SessionStatus.CANCELLED][int(i % 7 == 0)],
                starts_at=T0 + timedelta(days=int(rng.integers(20, 200))),
            )
        )
    for i in range(90):
        facts.append(
            ResponseFact(
                id=f"r{i}",
                program_id=PROGRAM,
                revision=1,
                submitted_at=T0 + timedelta(days=int(rng.integers(20, 200))),
                rating=int(rng.integers(1, 6)),
                recommend=int(rng.integers(0, 11)),
                goal_progress=None,
            )
        )
    return facts


def outcome_counts(rng: np.random.Generator) -> dict[OutcomeKey, int]:
    counts: Counter[OutcomeKey] = Counter()
    for department, participants in (("Sales", 120), ("Ops", 90), ("Legal", 4)):
        for participant, n in ((True, participants), (False, participants * 8)):
            for _ in range(n):
                level = int(rng.integers(1, 4))
                key = OutcomeKey(
                    Stratum(level, "1-3y", department, False),
                    participant,
                    bool(rng.random() < 0.3),
                    bool(rng.random() < (0.3 if participant else 0.15)),
                    bool(rng.random() < 0.2),
                    bool(rng.random() < 0.9),
                )
                counts[key] += 1
    return dict(counts)


def figures_of(facts: list[Fact]) -> ProgramFigures:
    figures = ProgramFigures(PROGRAM)
    for fact in facts:
        figures = apply(figures, change(fact, None))
    return figures


def test_feedback_insights_equal_what_the_raw_data_says() -> None:
    rng = np.random.default_rng(3)
    facts = program_facts(rng)
    counts = outcome_counts(rng)
    figures = figures_of(facts)
    protected = protect(figures.participants, counts, WINDOW, SuppressionRule(k=5))
    objectives = [
        Objective(
            metric=ObjectiveMetric.PROMOTION_RATE,
            target=0.3,
            baseline=0.15,
            due_on=date(2025, 12, 31),
        ),
        Objective(
            metric=ObjectiveMetric.PARTICIPATION,
            target=0.5,
            baseline=None,
            due_on=date(2025, 12, 31),
        ),
    ]
    as_of = T0 + timedelta(days=200)
    insights = answer(
        figures, protected, objectives, eligible=120, started_on=T0.date(), as_of=as_of
    )

    enrollments = [f for f in facts if isinstance(f, EnrollmentFact) and f.left_at is None]
    mentees = [f for f in enrollments if f.role is ParticipantRole.MENTEE]
    op = insights.operational
    assert op.enrolled_mentees == len(mentees)
    assert op.enrolled_mentors == len(enrollments) - len(mentees)
    assert op.participation_rate == pytest.approx(len(enrollments) / 120)
    assert op.active_matches == 10 and op.completion_rate == pytest.approx(0.5)
    held = [f for f in facts if isinstance(f, SessionFact) and f.status is SessionStatus.COMPLETED]
    assert op.sessions_completed == len(held)
    assert op.sessions_per_active_match == pytest.approx(len(held) / 30)
    responses = [f for f in facts if isinstance(f, ResponseFact)]
    assert op.average_rating == pytest.approx(np.mean([r.rating for r in responses]))
    recommend = [r.recommend for r in responses if r.recommend is not None]
    nps = 100 * (sum(r >= 9 for r in recommend) - sum(r <= 6 for r in recommend)) / len(recommend)
    assert op.nps == pytest.approx(nps) and op.nps_responses == len(recommend)

    # Representation among mentees, of those who said.
    said = Counter(f.underrepresented for f in mentees)
    share = insights.representation.mentees
    assert not share.suppressed
    assert (share.count, share.of) == (said[True], said[True] + said[False])

    # Promotion: participants vs matched comparison, against compare() on the raw counts.
    overall = insights.outcome(OutcomeMetric.PROMOTION)
    assert overall is not None and overall.comparison is not None
    promoted = sum(n for k, n in counts.items() if k.participant and k.promoted)
    everyone = sum(n for k, n in counts.items() if k.participant)
    # Legal's 4 participants have comparisons in their strata, so they count overall ...
    assert overall.comparison.participants.n == everyone
    assert overall.comparison.participants.events == promoted
    assert overall.comparison == compare(counts, OutcomeMetric.PROMOTION, WINDOW)
    assert "coarsened exact matching" in insights.method
    # ... but a department of 4 never shows on its own.
    legal = insights.outcome(OutcomeMetric.PROMOTION, "department=Legal")
    assert legal is not None and legal.suppressed and legal.participants_n is None
    sales = insights.outcome(OutcomeMetric.PROMOTION, "department=Sales")
    assert sales is not None and not sales.suppressed and sales.participants_n == 120

    # Objectives judged on the figures shown.
    by_metric = {p.objective.metric: p for p in insights.objectives}
    promotion = by_metric[ObjectiveMetric.PROMOTION_RATE]
    assert promotion.current == pytest.approx(promoted / everyone)
    assert promotion.standing in (ObjectiveStanding.ON_TRACK, ObjectiveStanding.MET)
    assert by_metric[ObjectiveMetric.PARTICIPATION].current == op.participation_rate


def test_feedback_every_breakdown_shown_is_about_k_or_more() -> None:
    rng = np.random.default_rng(5)
    figures = figures_of(program_facts(rng))
    protected = protect(figures.participants, outcome_counts(rng), WINDOW)
    for suppression in (protected.representation, protected.outcomes):
        assert suppression is not None
        for key, cell in suppression.table.cells.items():
            value = suppression.value(key)
            if value is not None and not cell.exempt:
                assert value >= 5 or (value == 0 and cell.atoms <= suppression.table.zero_safe)
    for row in protected.rows:
        if row.comparison is not None:
            for side in (row.comparison.participants, row.comparison.comparison):
                assert side.events >= 5 and side.n - side.events >= 5


def test_feedback_a_small_representation_group_is_suppressed() -> None:
    groups = {
        ParticipantGroup(ParticipantRole.MENTOR, True, None, None): 3,
        ParticipantGroup(ParticipantRole.MENTOR, False, None, None): 40,
        ParticipantGroup(ParticipantRole.MENTEE, True, None, None): 12,
        ParticipantGroup(ParticipantRole.MENTEE, False, None, None): 30,
    }
    protected = protect(groups, {}, None)
    insights = answer(
        ProgramFigures(PROGRAM, {}, groups),
        protected,
        [],
        eligible=None,
        started_on=T0.date(),
        as_of=T0,
    )
    assert insights.representation.mentors.suppressed  # 3 of 43
    assert insights.representation.mentees.share == pytest.approx(12 / 42)
    assert insights.outcomes == () and insights.window is None
