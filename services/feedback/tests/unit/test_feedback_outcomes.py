"""Career outcomes from org history, and participants against a matched comparison group:
definitions on hand-made histories, the stratum weighting by hand and against per-person
weights, and on synthetic orgs a planted effect is recovered while no effect is not invented."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from contracts.internal.feedback import OutcomeMetric
from contracts.people import OrgFieldChange
from feedback.domain.comparison import compare
from feedback.domain.org_history import (
    OrgField,
    OrgMove,
    PersonHistory,
    department_at,
    is_promotion,
    level_at,
    move_days,
    org_move,
)
from feedback.domain.outcomes import (
    Coarsening,
    OutcomeKey,
    OutcomeWindow,
    Stratum,
    apply_counts,
    count_records,
    outcome_record,
    record_change,
)
from hypothesis import given, settings
from hypothesis import strategies as st

START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW = OutcomeWindow(START, datetime(2026, 1, 1, tzinfo=UTC))
COARSE = Coarsening()


def at(days: int) -> datetime:
    return START + timedelta(days=days)


def move(
    field: OrgField, before: object, after: object, days: int, marked: bool = False
) -> OrgMove:
    return OrgMove(
        field=field,
        from_value=before,
        to_value=after,
        effective_at=at(days),
        marked_promotion=marked,  # type: ignore[arg-type]
    )


def person(moves: list[OrgMove], **kw: object) -> PersonHistory:
    base: dict[str, object] = {
        "person_id": "x",
        "hired_on": date(2020, 6, 1),
        "left_at": None,
        "underrepresented": False,
        "level": 3,
        "department": "Sales",
        "moves": tuple(moves),
    }
    return PersonHistory(**(base | kw))  # type: ignore[arg-type]


def test_feedback_what_counts_as_a_promotion() -> None:
    assert is_promotion(move(OrgField.LEVEL, 2, 3, 10))
    assert is_promotion(move(OrgField.LEVEL, "2", "3", 10))  # HRIS strings
    assert not is_promotion(move(OrgField.LEVEL, 3, 2, 10))  # a demotion
    assert not is_promotion(move(OrgField.LEVEL, None, 3, 10))  # first known level
    assert not is_promotion(move(OrgField.TITLE, "Engineer", "Senior Engineer", 10))
    assert is_promotion(move(OrgField.TITLE, "Engineer", "Senior Engineer", 10, marked=True))


def test_feedback_what_counts_as_an_internal_move() -> None:
    assert move_days([move(OrgField.DEPARTMENT, "Sales", "Legal", 5)]) == {at(5).date()}
    assert move_days([move(OrgField.DEPARTMENT, None, "Legal", 5)]) == set()
    # A manager change alone is a reorg, not a move; with a new title it is a new role.
    assert move_days([move(OrgField.MANAGER, "E1", "E2", 5)]) == set()
    role = [move(OrgField.MANAGER, "E1", "E2", 5), move(OrgField.TITLE, "Analyst", "Buyer", 5)]
    assert move_days(role) == {at(5).date()}
    promoted = [move(OrgField.MANAGER, "E1", "E2", 5), move(OrgField.TITLE, "A", "B", 5, True)]
    assert move_days(promoted) == set()  # a promotion in place


def test_feedback_values_at_a_moment_come_from_history() -> None:
    history = person([move(OrgField.LEVEL, 2, 3, -100), move(OrgField.LEVEL, 3, 4, 50)], level=4)
    assert level_at(history, at(-200)) == 2
    assert level_at(history, at(0)) == 3
    assert level_at(history, at(60)) == 4
    assert department_at(history, at(0)) == "Sales"  # no change recorded: the current value


def test_feedback_an_org_change_is_read_from_the_contract() -> None:
    change = OrgFieldChange(
        field="level", from_value=2, to_value=3, effective_at=at(3), source_version=4
    )
    assert org_move(change) == move(OrgField.LEVEL, 2, 3, 3)
    with pytest.raises(ValueError, match="'salary' is not one of"):
        org_move(OrgFieldChange(field="salary", effective_at=at(3), source_version=1))


def test_feedback_an_outcome_record_over_the_window() -> None:
    history = person(
        [
            move(OrgField.LEVEL, 2, 3, -200),  # promoted in the prior year
            move(OrgField.LEVEL, 3, 4, 100),  # and again in the window
            move(OrgField.DEPARTMENT, "Sales", "Legal", 200),
        ],
        level=4,
        department="Legal",
        left_at=at(300),  # left before the end: still in the denominator
    )
    record = outcome_record(history, WINDOW, participant=True, coarsening=COARSE)
    assert record is not None
    assert record.key == OutcomeKey(
        stratum=Stratum(3, "3-5y", "Sales", True),
        participant=True,
        underrepresented=False,
        promoted=True,
        moved=True,
        retained=False,
    )
    hired_later = person([], hired_on=date(2025, 3, 1))
    assert outcome_record(hired_later, WINDOW, True, COARSE) is None
    left_before = person([], left_at=at(-1))
    assert outcome_record(left_before, WINDOW, True, COARSE) is None
    unknown_level = person([], level=None)
    unknown = outcome_record(unknown_level, WINDOW, False, COARSE)
    assert unknown is not None and unknown.key.stratum is None


def test_feedback_a_person_whose_history_changes_replaces_their_record() -> None:
    before = outcome_record(person([]), WINDOW, True, COARSE)
    after = outcome_record(person([move(OrgField.LEVEL, 3, 4, 30)], level=4), WINDOW, True, COARSE)
    counts = apply_counts({}, record_change(before, None))
    counts = apply_counts(counts, record_change(after, before))
    assert counts == count_records([after])
    assert record_change(after, after) == {}


def key(stratum: str, participant: bool, promoted: bool) -> OutcomeKey:
    return OutcomeKey(Stratum(1, "0-1y", stratum, False), participant, None, promoted, False, True)


def test_feedback_strata_weights_on_a_hand_made_org() -> None:
    counts = {
        key("A", True, True): 2,
        key("A", True, False): 1,  # A: 3 participants, 2 promoted
        key("A", False, True): 2,
        key("A", False, False): 8,  # A: 10 others, 2 promoted
        key("B", True, False): 1,  # B: 1 participant
        key("B", False, True): 15,
        key("B", False, False): 15,  # B: 30 others, 15 promoted
        key("C", True, True): 2,  # C: participants only: dropped
        key("D", False, True): 5,  # D: others only: not used
    }
    result = compare(counts, OutcomeMetric.PROMOTION, WINDOW)
    assert (result.participants.n, result.participants.events) == (4, 2)
    assert result.participants.rate == 0.5
    assert (result.comparison.n, result.comparison.events) == (40, 17)
    # Mirrors the participants' strata: 3/4 of stratum A's rate, 1/4 of stratum B's.
    assert result.comparison.rate == pytest.approx(3 / 4 * 2 / 10 + 1 / 4 * 15 / 30)
    # Weights 3 (A) and 1/3 (B): n_eff = 40² / (10·3² + 30·(1/3)²).
    assert result.comparison.effective_n == pytest.approx(1600 / (90 + 30 / 9))
    assert (result.strata_matched, result.strata_dropped, result.participants_dropped) == (2, 1, 2)
    assert result.difference == pytest.approx(0.5 - 0.275)
    assert (
        result.difference_interval is not None and result.difference in result.difference_interval
    )
    assert "coarsened exact matching" in result.method


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("ABCDE"), st.booleans(), st.booleans()),
        st.integers(1, 30),
        min_size=1,
    )
)
def test_feedback_weighted_rate_equals_per_person_weights(
    raw: dict[tuple[str, bool, bool], int],
) -> None:
    counts = {key(s, t, p): n for (s, t, p), n in raw.items()}
    result = compare(counts, OutcomeMetric.PROMOTION, WINDOW)
    people = [(s, t, p) for (s, t, p), n in raw.items() for _ in range(n)]
    strata = {s for s, _, _ in people}
    matched = {
        s
        for s in strata
        if any(x == s and t for x, t, _ in people) and any(x == s and not t for x, t, _ in people)
    }
    treated = [(s, p) for s, t, p in people if t and s in matched]
    control = [(s, p) for s, t, p in people if not t and s in matched]
    assert result.participants.n == len(treated)
    if not treated:
        assert result.participants.rate is None and result.comparison.rate is None
        return
    share = {s: sum(x == s for x, _ in treated) / len(treated) for s in matched}
    pool = {s: sum(x == s for x, _ in control) / len(control) for s in matched}
    weights = [share[s] / pool[s] for s, _ in control]
    assert sum(weights) == pytest.approx(len(control))
    rate = sum(w * p for w, (_, p) in zip(weights, control, strict=True)) / sum(weights)
    assert result.comparison.rate == pytest.approx(rate)
    assert result.comparison.effective_n == pytest.approx(
        sum(weights) ** 2 / sum(w * w for w in weights)
    )
    assert (
        result.comparison.interval is not None
        and result.comparison.rate in result.comparison.interval
    )
    assert (
        result.participants.interval is not None
        and result.participants.rate in result.participants.interval
    )


def synthetic_org(
    seed: int, effect: float, people: int = 4000
) -> tuple[dict[OutcomeKey, int], float]:
    """Promotion chances rise with level, and so does participation (the selection bias a
    naive comparison falls for); participants get `effect` on top. Returns the counts and the
    naive difference (participants vs all non-participants, unmatched)."""
    rng = np.random.default_rng(seed)
    level = rng.integers(1, 5, people)
    department = rng.choice(np.array(["A", "B", "C"]), people)
    tenure = rng.choice(np.array(["0-1y", "1-3y", "3-5y"]), people)
    prior = rng.random(people) < 0.2
    participant = rng.random(people) < 0.1 * level - 0.05
    chance = 0.05 * level + 0.05 * prior + effect * participant
    promoted = rng.random(people) < chance
    counts: dict[OutcomeKey, int] = {}
    for i in range(people):
        k = OutcomeKey(
            Stratum(int(level[i]), str(tenure[i]), str(department[i]), bool(prior[i])),
            bool(participant[i]),
            None,
            bool(promoted[i]),
            False,
            True,
        )
        counts[k] = counts.get(k, 0) + 1
    naive = promoted[participant].mean() - promoted[~participant].mean()
    return counts, float(naive)


def test_feedback_a_planted_effect_is_recovered() -> None:
    covered = significant = 0
    for seed in range(40):
        counts, _ = synthetic_org(seed, effect=0.15)
        result = compare(counts, OutcomeMetric.PROMOTION, WINDOW)
        interval = result.difference_interval
        assert interval is not None
        covered += 0.15 in interval
        significant += interval.low > 0
    assert covered >= 35  # 95 % intervals: about 38 of 40
    assert significant == 40


def test_feedback_no_effect_is_not_invented_where_a_naive_comparison_would() -> None:
    overlapping = 0
    naive_differences, matched_differences = [], []
    for seed in range(100, 140):
        counts, naive = synthetic_org(seed, effect=0.0)
        result = compare(counts, OutcomeMetric.PROMOTION, WINDOW)
        assert result.participants.interval is not None and result.comparison.interval is not None
        overlapping += result.participants.interval.overlaps(result.comparison.interval)
        assert result.difference is not None
        matched_differences.append(result.difference)
        naive_differences.append(naive)
    assert overlapping >= 38
    # Participants sit at higher levels, where promotions are likelier anyway.
    assert np.mean(naive_differences) > 0.03
    assert abs(np.mean(matched_differences)) < 0.015
