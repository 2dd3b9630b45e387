"""Who may enroll, in which role, and when (pure)."""

from datetime import UTC, datetime, timedelta

import pytest
from contracts.enrollments import EnrollmentStatus
from contracts.people import PersonStatus
from contracts.problems import Code
from contracts.programs import ParticipantRole, ProgramKind, ProgramStatus
from hypothesis import given
from hypothesis import strategies as st
from profiles.domain.enrollments import (
    DEFAULT_MENTOR_CAPACITY,
    Candidate,
    EnrollmentTerms,
    ProgramTerms,
    check_active,
    check_open,
    cleaned_goals,
    ineligibility,
    terms_for,
)
from profiles.domain.programs import Eligibility, EnrollmentWindow, roles_of
from runtime.refusals import Refused

NOW = datetime(2027, 1, 10, 12, tzinfo=UTC)
ACTIVE = Candidate(status=PersonStatus.ACTIVE, level=4, department="Sales")


def view(
    status: ProgramStatus = ProgramStatus.ENROLLING,
    window: EnrollmentWindow | None = None,
    kind: ProgramKind = ProgramKind.ONE_ON_ONE,
) -> ProgramTerms:
    return ProgramTerms(
        kind=kind, status=status, window=window or EnrollmentWindow(), eligibility=Eligibility()
    )


@given(kind=st.sampled_from(list(ProgramKind)), role=st.sampled_from(list(ParticipantRole)))
def test_the_role_must_fit_the_kind(kind: ProgramKind, role: ParticipantRole) -> None:
    fits = (
        role is ParticipantRole.PEER
        if kind is ProgramKind.PEER
        else role is not ParticipantRole.PEER
    )
    assert (role in roles_of(kind)) == fits
    try:
        terms = terms_for(kind, EnrollmentTerms(role=role))
    except Refused as refused:
        assert not fits
        assert refused.code is Code.INVALID
        assert [v.field for v in refused.errors] == ["role"]
        return
    assert fits
    assert terms.role is role


@given(
    role=st.sampled_from([ParticipantRole.MENTOR, ParticipantRole.MENTEE]),
    capacity=st.none() | st.integers(1, 50),
)
def test_only_mentors_have_a_capacity(role: ParticipantRole, capacity: int | None) -> None:
    terms = EnrollmentTerms(role=role, capacity=capacity)
    if role is ParticipantRole.MENTEE and capacity is not None:
        with pytest.raises(Refused) as caught:
            terms_for(ProgramKind.GROUP, terms)
        assert [v.field for v in caught.value.errors] == ["capacity"]
        return
    stored = terms_for(ProgramKind.GROUP, terms)
    if role is ParticipantRole.MENTOR:
        assert stored.capacity == (capacity or DEFAULT_MENTOR_CAPACITY)
    else:
        assert stored.capacity is None


@given(goals=st.lists(st.text(max_size=12), max_size=10))
def test_goals_are_trimmed_and_kept_once(goals: list[str]) -> None:
    cleaned = cleaned_goals(tuple(goals))
    assert all(goal and goal == goal.strip() for goal in cleaned)
    assert len({goal.casefold() for goal in cleaned}) == len(cleaned)
    assert {g.casefold() for g in cleaned} == {g.strip().casefold() for g in goals if g.strip()}
    assert cleaned_goals(cleaned) == cleaned


@given(
    status=st.sampled_from(list(ProgramStatus)),
    opens=st.none() | st.integers(-5, 5),
    closes=st.none() | st.integers(-5, 5),
)
def test_people_enroll_while_enrolling_inside_the_window(
    status: ProgramStatus, opens: int | None, closes: int | None
) -> None:
    window = EnrollmentWindow(
        opens_at=None if opens is None else NOW + timedelta(hours=opens),
        closes_at=None if closes is None else NOW + timedelta(hours=closes),
    )
    open_now = (
        status is ProgramStatus.ENROLLING
        and (opens is None or opens <= 0)
        and (closes is None or closes > 0)
    )
    try:
        check_open(view(status, window), NOW)
    except Refused as refused:
        assert not open_now
        assert refused.code is Code.NOT_ALLOWED_IN_STATE
        return
    assert open_now


def test_the_refusal_says_when_the_window_opens_or_closed() -> None:
    later = EnrollmentWindow(opens_at=NOW + timedelta(days=1))
    with pytest.raises(Refused, match="opens at 2027-01-11"):
        check_open(view(window=later), NOW)
    over = EnrollmentWindow(closes_at=NOW)
    with pytest.raises(Refused, match="closed at 2027-01-10"):
        check_open(view(window=over), NOW)
    with pytest.raises(Refused, match="DRAFT"):
        check_open(view(ProgramStatus.DRAFT), NOW)


_levels = st.lists(st.integers(0, 10), max_size=4)
_departments = st.lists(st.sampled_from(["Sales", "R&D", "Legal"]), max_size=3)


@given(
    levels=_levels,
    departments=_departments,
    roles=st.lists(st.sampled_from(list(ParticipantRole)), max_size=2),
    role=st.sampled_from(list(ParticipantRole)),
    level=st.none() | st.integers(0, 10),
    department=st.none() | st.sampled_from(["Sales", "R&D", "Legal"]),
    status=st.sampled_from(list(PersonStatus)),
)
def test_eligibility_binds_the_roles_it_names(
    levels: list[int],
    departments: list[str],
    roles: list[ParticipantRole],
    role: ParticipantRole,
    level: int | None,
    department: str | None,
    status: PersonStatus,
) -> None:
    rule = Eligibility(levels=tuple(levels), departments=tuple(departments), roles=tuple(roles))
    person = Candidate(status=status, level=level, department=department)
    reason = ineligibility(rule, role, person)
    bound = not roles or role in roles
    fits = (not levels or level in levels) and (not departments or department in departments)
    assert (reason is None) == (status is PersonStatus.ACTIVE and (not bound or fits))


def test_ineligibility_reasons_name_what_is_missing() -> None:
    rule = Eligibility(levels=(5, 3), departments=("R&D",))
    assert ineligibility(rule, ParticipantRole.MENTEE, ACTIVE) == (
        "the program takes levels 3, 5; the person has level 4"
    )
    at_level = Candidate(status=PersonStatus.ACTIVE, level=3, department=None)
    assert ineligibility(rule, ParticipantRole.MENTEE, at_level) == (
        "the program takes people from R&D; the person is in no department"
    )
    away = Candidate(status=PersonStatus.ON_LEAVE, level=3, department="R&D")
    assert "ON_LEAVE" in (ineligibility(rule, ParticipantRole.MENTEE, away) or "")


@pytest.mark.parametrize("status", list(EnrollmentStatus))
def test_only_an_active_enrollment_changes(status: EnrollmentStatus) -> None:
    if status is EnrollmentStatus.ACTIVE:
        check_active(status)
        return
    with pytest.raises(Refused) as caught:
        check_active(status)
    assert caught.value.code is Code.NOT_ALLOWED_IN_STATE
    assert status.value in str(caught.value)
