"""The rules of a well-defined program (pure): cadence, level gaps, objectives, dates, status."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

import pytest
from contracts.problems import Code, FieldError
from contracts.programs import (
    DEFAULT_WEIGHTS,
    MatchingPolicySnapshot,
    MatchingPolicyTerms,
    ObjectiveMetric,
    ParticipantRole,
    ProgramKind,
    ProgramStatus,
)
from dateutil.rrule import rrulestr  # type: ignore[import-untyped]
from hypothesis import example, given, settings
from hypothesis import strategies as st
from profiles.domain.programs import (
    CADENCE_PARTS,
    TRANSITIONS,
    Curriculum,
    Eligibility,
    EnrollmentWindow,
    Objective,
    ProgramDefinition,
    cadence_problem,
    canonical_cadence,
    changed_fields,
    check_edit,
    definition_violations,
    level_gap_fits,
    metric_range,
    opening_violations,
    transition,
    validated,
)
from pydantic import ValidationError
from runtime.problems import field_errors
from runtime.refusals import Refused

TODAY = date(2026, 11, 24)


def definition(**changes: object) -> ProgramDefinition:
    base = ProgramDefinition(
        name="Future Leaders",
        kind=ProgramKind.ONE_ON_ONE,
        curriculum=Curriculum(cadence="FREQ=WEEKLY;BYDAY=TU;COUNT=12", session_minutes=45),
        starts_on=date(2027, 1, 4),
        ends_on=date(2027, 6, 30),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def fields(violations: Sequence[FieldError]) -> list[str | None]:
    return [v.field for v in violations]


def policy(**members: Any) -> MatchingPolicySnapshot:
    """The policy a program's owner gives (Python names), as the program keeps it."""
    return MatchingPolicyTerms(**members).snapshot()


def policy_faults(members: dict[str, Any]) -> set[str | None]:
    """What a ONE_ON_ONE program's policy given as JSON members is refused for, as the API
    names it: the bounds (MatchingPolicyTerms), then the program's rules."""
    try:
        terms = MatchingPolicyTerms.model_validate(members)
    except ValidationError as exc:
        return {f"matchingPolicy.{e['field']}" for e in field_errors(exc)}
    found = definition_violations(definition(matching_policy=terms.snapshot()), TODAY)
    return set(fields(found))


# --- cadence: what we accept, dateutil parses and it yields sessions ---------------------------

_weekdays = st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"])
_day = st.builds(
    lambda ordinal, day: f"{ordinal}{day}",
    st.sampled_from(["", "", "1", "2", "3", "4", "5", "-1", "-2", "+1", "0", "53"]),
    _weekdays | st.sampled_from(["XX", "mo", "M"]),
)
_until = st.one_of(
    st.dates(date(1990, 1, 1), date(2040, 12, 31)).map(lambda d: d.strftime("%Y%m%d")),
    st.datetimes(datetime(1990, 1, 1), datetime(2040, 12, 31)).map(
        lambda d: d.strftime("%Y%m%dT%H%M%SZ")
    ),
    st.sampled_from(["20270230", "2027-06-30", "20270630T120000", "tomorrow", ""]),
)
_part = st.one_of(
    st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", "weekly", ""]).map(
        "FREQ={}".format
    ),
    st.integers(-2, 120).map("INTERVAL={}".format),
    st.integers(-1, 600).map("COUNT={}".format),
    _until.map("UNTIL={}".format),
    st.lists(_day, min_size=1, max_size=4).map(lambda days: "BYDAY=" + ",".join(days)),
    st.sampled_from(
        [
            "BYMONTHDAY=15",
            "BYSETPOS=2",
            "WKST=MO",
            "BYHOUR=9",
            "BYMONTH=3",
            "DTSTART=20270101",
            "FREQ",
            "=WEEKLY",
            "X-NAME=1",
        ]
    ),
)


def _spelled(parts: list[str], prefix: str, lower: bool) -> str:
    text = prefix + ";".join(parts)
    return text.lower() if lower else text


_rules = st.builds(
    _spelled,
    st.lists(_part, min_size=0, max_size=5),
    st.sampled_from(["", "RRULE:", "rrule:"]),
    st.booleans(),
)
_starts = st.dates(date(2000, 1, 1), date(2035, 12, 31))


def _first_occurrence(rule: str, starts: date) -> datetime | None:
    aware = "Z" in rule.partition("UNTIL=")[2].partition(";")[0]
    dtstart = datetime.combine(starts, time(), tzinfo=UTC if aware else None)
    found: datetime | None = next(islice(rrulestr(rule, dtstart=dtstart), 1), None)
    return found


@settings(max_examples=400)  # about one generated rule in eight is acceptable
@given(rule=_rules, starts=_starts)
def test_any_cadence_we_accept_parses_with_dateutil_and_yields_sessions(
    rule: str, starts: date
) -> None:
    if cadence_problem(rule, starts) is not None:
        return
    canonical = canonical_cadence(rule)
    names = [part.partition("=")[0] for part in canonical.split(";")]
    assert set(names) <= set(CADENCE_PARTS)
    assert "FREQ" in names
    first = _first_occurrence(canonical, starts)
    assert first is not None
    assert first.date() >= starts


_well_formed = _part.filter(lambda part: all(part.partition("=")))
_unsupported = st.sampled_from(
    ["BYMONTHDAY=15", "BYSETPOS=2", "WKST=MO", "BYHOUR=9", "BYMONTH=3", "X-NAME=1"]
)


@given(
    before=st.lists(_well_formed, max_size=3),
    bad=_unsupported,
    after=st.lists(_well_formed, max_size=3),
    starts=_starts,
)
def test_an_unsupported_part_is_always_refused_by_name(
    before: list[str], bad: str, after: list[str], starts: date
) -> None:
    problem = cadence_problem(";".join([*before, bad, *after]), starts)
    assert problem is not None
    assert bad.partition("=")[0] in problem
    assert "is not supported" in problem


_supported = st.one_of(
    st.builds(
        lambda interval, count: f"FREQ=DAILY;INTERVAL={interval};COUNT={count}",
        st.integers(1, 99),
        st.integers(1, 520),
    ),
    st.builds(
        lambda interval, days, count: (
            f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={','.join(days)};COUNT={count}"
        ),
        st.integers(1, 99),
        st.lists(_weekdays, min_size=1, max_size=7, unique=True),
        st.integers(1, 520),
    ),
    st.builds(
        lambda ordinal, days: f"FREQ=MONTHLY;BYDAY={','.join(ordinal + d for d in days)}",
        st.sampled_from(["1", "2", "3", "4", "-1"]),
        st.lists(_weekdays, min_size=1, max_size=3, unique=True),
    ),
)


@given(rule=_supported, starts=_starts)
def test_every_shape_both_calendars_express_is_accepted(rule: str, starts: date) -> None:
    assert cadence_problem(rule, starts) is None
    assert _first_occurrence(rule, starts) is not None


@pytest.mark.parametrize(
    ("rule", "needle"),
    [
        ("", "empty"),
        ("FREQ=YEARLY", "FREQ=YEARLY is not supported"),
        ("FREQ=WEEKLY;BYSETPOS=-1", "BYSETPOS is not supported"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "BYMONTHDAY is not supported"),
        ("INTERVAL=2", "FREQ is missing"),
        ("FREQ=WEEKLY;FREQ=DAILY", "FREQ appears twice"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "cannot both"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT"),
        ("FREQ=WEEKLY;INTERVAL=100", "INTERVAL"),
        ("FREQ=WEEKLY;UNTIL=2027-01-01", "UNTIL"),
        ("FREQ=WEEKLY;UNTIL=20270231", "UNTIL"),
        ("FREQ=DAILY;BYDAY=MO", "FREQ=DAILY"),
        ("FREQ=WEEKLY;BYDAY=2TU", "plain weekdays"),
        ("FREQ=MONTHLY;BYDAY=WE", "position"),
        ("FREQ=MONTHLY;BYDAY=5WE", "position"),
        ("FREQ=MONTHLY;BYDAY=1MO,2TU", "position"),
        ("FREQ=WEEKLY;BYDAY=TU,TU", "twice"),
        ("FREQ=WEEKLY;BYDAY=XY", "not a weekday"),
        ("FREQ=WEEKLY;UNTIL=20261201", "yields no session"),
        ("FREQ=WEEKLY", None),
        ("rrule:freq=monthly;byday=-1fr", None),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20270630T235959Z", None),
    ],
)
def test_cadence_problems_are_named(rule: str, needle: str | None) -> None:
    problem = cadence_problem(rule, date(2027, 1, 1))
    if needle is None:
        assert problem is None
    else:
        assert problem is not None and needle in problem, problem


def test_a_cadence_must_yield_a_session_before_the_program_ends() -> None:
    rule = "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3"
    assert cadence_problem(rule, date(2027, 1, 1), date(2027, 1, 31)) is None
    problem = cadence_problem(rule, date(2027, 1, 1), date(2027, 1, 20))
    assert problem is not None and "program's end" in problem


def test_validated_keeps_the_cadence_in_canonical_form() -> None:
    program = definition(
        curriculum=Curriculum(cadence=" rrule:freq=weekly;byday=tu ", session_minutes=30)
    )
    assert validated(program, TODAY).curriculum.cadence == "FREQ=WEEKLY;BYDAY=TU"


# --- level gaps --------------------------------------------------------------------------------

_gap = st.none() | st.integers(-100, 100)
_mentoring = st.sampled_from([ProgramKind.ONE_ON_ONE, ProgramKind.GROUP, ProgramKind.REVERSE])


def _gap_fields(kind: ProgramKind, low: int | None, high: int | None) -> list[str | None]:
    given = policy(
        min_level_gap=low, max_level_gap=high, group_size=6 if kind is ProgramKind.GROUP else None
    )
    found = definition_violations(definition(kind=kind, matching_policy=given), TODAY)
    return [f for f in fields(found) if f and f.endswith("LevelGap")]


@given(kind=_mentoring, low=_gap, high=_gap)
def test_mentoring_gaps_are_accepted_exactly_when_a_positive_gap_fits(
    kind: ProgramKind, low: int | None, high: int | None
) -> None:
    given = policy(min_level_gap=low, max_level_gap=high)
    some_positive_gap_fits = any(level_gap_fits(kind, given, gap) for gap in range(1, 102))
    assert (_gap_fields(kind, low, high) == []) == some_positive_gap_fits


@given(low=_gap, high=_gap)
def test_peer_gaps_use_the_maximum_only(low: int | None, high: int | None) -> None:
    found = _gap_fields(ProgramKind.PEER, low, high)
    assert ("matchingPolicy.minLevelGap" in found) == (low is not None)
    assert ("matchingPolicy.maxLevelGap" in found) == (high is not None and high < 0)
    if not found:
        # Peers of one level always fit.
        assert level_gap_fits(ProgramKind.PEER, policy(max_level_gap=high), 0)


@given(high=st.integers(0, 20), gap=st.integers(-40, 40))
def test_a_peer_gap_is_read_either_way(high: int, gap: int) -> None:
    given = policy(max_level_gap=high)
    assert level_gap_fits(ProgramKind.PEER, given, gap) == level_gap_fits(
        ProgramKind.PEER, given, -gap
    )


def test_min_above_max_is_named_on_the_minimum() -> None:
    assert _gap_fields(ProgramKind.ONE_ON_ONE, 4, 2) == ["matchingPolicy.minLevelGap"]
    assert _gap_fields(ProgramKind.REVERSE, None, 0) == ["matchingPolicy.maxLevelGap"]


# --- the rest of the policy --------------------------------------------------------------------


def test_group_programs_and_only_they_have_a_group_size() -> None:
    group = definition_violations(definition(kind=ProgramKind.GROUP), TODAY)
    assert fields(group) == ["matchingPolicy.groupSize"]
    assert "need a groupSize" in group[0].message
    other = definition(matching_policy=policy(group_size=5))
    assert fields(definition_violations(other, TODAY)) == ["matchingPolicy.groupSize"]
    fine = definition(kind=ProgramKind.GROUP, matching_policy=policy(group_size=5))
    assert definition_violations(fine, TODAY) == []


@example(weights=dict.fromkeys(DEFAULT_WEIGHTS, 0.0))
@given(
    weights=st.dictionaries(
        st.sampled_from([*DEFAULT_WEIGHTS, "vibes", "salary"]),
        st.floats(-2, 5) | st.sampled_from([float("nan"), float("inf"), float("-inf")]),
        max_size=8,
    )
)
def test_weights_are_known_criteria_with_finite_non_negative_values(
    weights: dict[str, float],
) -> None:
    found = policy_faults({"weights": weights})
    bad = {
        f"matchingPolicy.weights.{name}"
        for name, value in weights.items()
        if name not in DEFAULT_WEIGHTS or not (value >= 0 and value != float("inf"))
    }
    assert found - {"matchingPolicy.weights"} == bad
    if not bad:
        # Criteria left out keep their default weight.
        kept = {**DEFAULT_WEIGHTS, **weights}
        assert ("matchingPolicy.weights" in found) == (not any(v > 0 for v in kept.values()))


def test_peer_programs_pair_one_peer_with_one() -> None:
    peer = definition(kind=ProgramKind.PEER, matching_policy=policy(mentors_per_mentee=2))
    assert fields(definition_violations(peer, TODAY)) == ["matchingPolicy.mentorsPerMentee"]


# --- objectives and dates ----------------------------------------------------------------------


@given(
    metric=st.sampled_from(list(ObjectiveMetric)),
    target=st.floats(-1, 6, allow_nan=False),
    baseline=st.none() | st.floats(-1, 6, allow_nan=False),
)
def test_objective_values_stay_in_their_metrics_range(
    metric: ObjectiveMetric, target: float, baseline: float | None
) -> None:
    objective = Objective(metric=metric, target=target, baseline=baseline, due_on=date(2027, 3, 1))
    found = fields(definition_violations(definition(objectives=(objective,)), TODAY))
    low, high = metric_range(metric)
    assert ("objectives.0.target" in found) == (not low <= target <= high)
    assert ("objectives.0.baseline" in found) == (
        baseline is not None and not low <= baseline <= high
    )


def test_satisfaction_is_a_mean_rating_and_shares_are_fractions() -> None:
    assert metric_range(ObjectiveMetric.SATISFACTION) == (1.0, 5.0)
    for metric in set(ObjectiveMetric) - {ObjectiveMetric.SATISFACTION}:
        assert metric_range(metric) == (0.0, 1.0)


@given(
    starts=st.none() | st.dates(date(2026, 1, 1), date(2028, 12, 31)),
    length=st.integers(-60, 400),
    due=st.dates(date(2025, 6, 1), date(2030, 1, 1)),
)
def test_dates_hold_together(starts: date | None, length: int, due: date) -> None:
    ends = starts + timedelta(days=length) if starts else None
    objective = Objective(metric=ObjectiveMetric.PARTICIPATION, target=0.5, due_on=due)
    program = definition(
        starts_on=starts,
        ends_on=ends,
        objectives=(objective,),
        curriculum=Curriculum(cadence="FREQ=DAILY;COUNT=3", session_minutes=30),
    )
    found = fields(definition_violations(program, TODAY))
    assert ("endsOn" in found) == (starts is not None and ends is not None and ends < starts)
    outside = (starts is not None and due < starts) or (ends is not None and due > ends)
    assert ("objectives.0.dueOn" in found) == outside


def test_enrollment_window_and_eligible_roles() -> None:
    moment = datetime(2027, 1, 1, tzinfo=UTC)
    window = EnrollmentWindow(opens_at=moment, closes_at=moment)
    assert fields(definition_violations(definition(enrollment_window=window), TODAY)) == [
        "enrollmentWindow.closesAt"
    ]
    peers = definition(
        eligibility=Eligibility(roles=(ParticipantRole.MENTEE, ParticipantRole.PEER))
    )
    assert fields(definition_violations(peers, TODAY)) == ["eligibility.roles.1"]


def test_validated_refuses_with_every_violation() -> None:
    broken = definition(ends_on=date(2026, 1, 1), kind=ProgramKind.GROUP)
    with pytest.raises(Refused) as caught:
        validated(broken, TODAY)
    assert caught.value.code is Code.INVALID
    assert fields(caught.value.errors) == [
        "endsOn",
        "curriculum.cadence",  # no session fits between the dates either
        "matchingPolicy.groupSize",
    ]


def test_changed_fields_are_camel_case() -> None:
    before = definition()
    after = replace(before, name="New", starts_on=date(2027, 2, 1))
    assert changed_fields(before, after) == ["name", "startsOn"]
    assert changed_fields(before, before) == []


# --- status ------------------------------------------------------------------------------------


@given(steps=st.lists(st.sampled_from(list(ProgramStatus)), max_size=12))
def test_status_moves_only_along_the_lifecycle(steps: list[ProgramStatus]) -> None:
    status = ProgramStatus.DRAFT
    for target in steps:
        try:
            moved = transition(status, target)
        except Refused as refused:
            assert refused.code is Code.NOT_ALLOWED_IN_STATE
            assert target not in TRANSITIONS[status]
            continue
        assert target in TRANSITIONS[status]
        assert status is not ProgramStatus.CLOSED
        status = moved


def test_only_a_draft_opens_and_any_open_program_closes() -> None:
    assert transition(ProgramStatus.DRAFT, ProgramStatus.ENROLLING) is ProgramStatus.ENROLLING
    for status in set(ProgramStatus) - {ProgramStatus.DRAFT}:
        with pytest.raises(Refused):
            transition(status, ProgramStatus.ENROLLING)
    for status in set(ProgramStatus) - {ProgramStatus.CLOSED}:
        assert transition(status, ProgramStatus.CLOSED) is ProgramStatus.CLOSED


def test_edits_after_publication_keep_the_kind_and_a_closed_program_is_final() -> None:
    before = definition()
    check_edit(ProgramStatus.DRAFT, before, replace(before, kind=ProgramKind.PEER))
    check_edit(ProgramStatus.ENROLLING, before, replace(before, name="Renamed"))
    with pytest.raises(Refused) as kind:
        check_edit(ProgramStatus.ENROLLING, before, replace(before, kind=ProgramKind.PEER))
    assert fields(kind.value.errors) == ["kind"]
    with pytest.raises(Refused) as closed:
        check_edit(ProgramStatus.CLOSED, before, replace(before, name="Renamed"))
    assert closed.value.code is Code.NOT_ALLOWED_IN_STATE


def test_a_window_that_closed_keeps_the_draft_from_opening() -> None:
    now = datetime(2027, 1, 10, tzinfo=UTC)
    closed = definition(enrollment_window=EnrollmentWindow(closes_at=now))
    assert fields(opening_violations(closed, now)) == ["enrollmentWindow.closesAt"]
    later = definition(enrollment_window=EnrollmentWindow(closes_at=now + timedelta(seconds=1)))
    assert opening_violations(later, now) == []
