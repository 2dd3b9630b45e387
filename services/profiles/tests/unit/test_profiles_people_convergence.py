"""`apply_change`, as properties: changes delivered in any order, patches partial or whole,
replayed or late, converge to the record of version order (merge patches, last writer wins per
field by sourceVersion).
"""

from datetime import date
from typing import Any

from contracts.hris import HrisChange, HrisChangeType
from contracts.people import PersonStatus
from hypothesis import example, given, settings
from hypothesis import strategies as st
from profiles.domain.people import Outcome, PersonRecord, apply_change
from pydantic.alias_generators import to_camel

from services.profiles.tests.unit.people_changes import (
    BOOKKEEPING,
    COMPARED_FIELDS,
    EMPLOYEE_FIELDS,
    EXTERNAL_ID,
    HIRED,
    LEAVE_ENDED,
    LEAVE_STARTED,
    RECORD_FIELDS,
    REHIRED,
    TERMINATED,
    UPDATED,
    change,
    deliver,
    hire,
    same,
)

# --- properties ----------------------------------------------------------------------------

_text = st.text(alphabet="abcXYZ -", max_size=6)
_nonempty = st.text(alphabet="abcXYZ", min_size=1, max_size=6)
# Fields a patch may clear, with their possible values.
_CLEARABLE: dict[str, st.SearchStrategy[Any]] = {
    "given_name": _text,
    "family_name": _text,
    "title": _text,
    "department": _text,
    "location": _text,
    "time_zone": st.sampled_from(["UTC", "Europe/Paris", "Asia/Tokyo"]),
    "level": st.integers(0, 100),
    "manager_external_id": st.sampled_from(["E-0", "E-2", "E-3"]),
    "hire_date": st.dates(date(2000, 1, 1), date(2030, 12, 31)),
    "languages": st.lists(st.sampled_from(["en", "fr", "de"]), max_size=3),
    "underrepresented": st.booleans(),
    "demographics": st.none() | st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3)),
    "user_name": _nonempty,
}
_IDENTITY: dict[str, st.SearchStrategy[Any]] = {
    "email": st.sampled_from(["ann@example.com", "Ann@Example.com", "ann.lee@example.org"]),
    "display_name": _nonempty,
}
_VALUES = {
    **_IDENTITY,
    **{name: st.none() | values for name, values in _CLEARABLE.items()},
}
assert set(_VALUES) == set(EMPLOYEE_FIELDS)

partial_patches = st.fixed_dictionaries({}, optional=_VALUES)
full_patches = st.fixed_dictionaries(_VALUES)
# Updates that can never create the person on their own.
anonymous_patches = st.fixed_dictionaries(
    {}, optional={k: v for k, v in _VALUES.items() if k != "email"}
)

# The status each change type leads to, written independently of the source.
_STATUS_OF = {
    HIRED: PersonStatus.ACTIVE,
    REHIRED: PersonStatus.ACTIVE,
    LEAVE_ENDED: PersonStatus.ACTIVE,
    LEAVE_STARTED: PersonStatus.ON_LEAVE,
    TERMINATED: PersonStatus.TERMINATED,
}
only_updates = st.just(UPDATED)
# Mostly plain updates, some lifecycle changes (which also carry the status).
later_types = st.sampled_from(
    [UPDATED, UPDATED, UPDATED, TERMINATED, REHIRED, LEAVE_STARTED, LEAVE_ENDED]
)


@st.composite
def histories(
    draw: st.DrawFn,
    patches: st.SearchStrategy[dict[str, Any]],
    types: st.SearchStrategy[HrisChangeType] = only_updates,
    lowest: int = 0,
) -> list[HrisChange]:
    """One employee's changes in version order: a hire at the lowest version, then more."""
    versions = sorted(draw(st.sets(st.integers(lowest, 10_000), min_size=1, max_size=6)))
    first = change(versions[0], HIRED, **draw(full_patches))
    return [first, *(change(v, draw(types), **draw(patches)) for v in versions[1:])]


def shuffled(
    patches: st.SearchStrategy[dict[str, Any]],
    types: st.SearchStrategy[HrisChangeType] = only_updates,
) -> st.SearchStrategy[tuple[list[HrisChange], list[HrisChange]]]:
    """(history in version order, the same changes in the order they arrive).

    Versions start at 1; version 0 has its own test."""
    return histories(patches, types, lowest=1).flatmap(
        lambda h: st.tuples(st.just(h), st.permutations(h))
    )


def carried(item: HrisChange) -> dict[str, Any]:
    """What a change sets, normalized as profiles stores it (Python names, status included)."""
    values: dict[str, Any] = {}
    for name, value in item.employee.model_dump(exclude_unset=True).items():
        if name == "external_id":
            continue
        if name == "time_zone" and value is None:
            value = "UTC"
        elif name == "languages":
            value = tuple(value or ())
        elif name == "email":
            value = value.lower()
        values[name] = value
    if item.type in _STATUS_OF:
        values["status"] = _STATUS_OF[item.type]
    return values


def expected_after(history: list[HrisChange]) -> PersonRecord:
    """The merge-patch semantics, written independently: fold the patches in version order,
    each field remembering the version that last set it."""
    values: dict[str, Any] = {}
    versions: dict[str, int] = {}
    for item in sorted(history, key=lambda c: c.source_version):
        sets = carried(item)
        values.update(sets)
        versions.update(dict.fromkeys(sets, item.source_version))
    return PersonRecord(
        external_id=EXTERNAL_ID,
        **values,
        source_version=max(versions.values()),
        field_versions=versions,
    )


def test_the_expected_record_is_not_vacuous() -> None:
    history = [hire(1, title="A"), change(2, TERMINATED, title="B"), change(3, department="D")]
    assert same(
        expected_after(history),
        PersonRecord(
            EXTERNAL_ID,
            "ann@example.com",
            "Ann",
            title="B",
            department="D",
            status=PersonStatus.TERMINATED,
            source_version=3,
            field_versions={
                "email": 1,
                "display_name": 1,
                "title": 2,
                "status": 2,
                "department": 3,
            },
        ),
    )
    assert same(deliver(history[::-1]), expected_after(history))


@settings(max_examples=100, deadline=None)
@given(history=histories(partial_patches, later_types))
def test_changes_in_version_order_apply_as_merge_patches(history: list[HrisChange]) -> None:
    record: PersonRecord | None = None
    for item in history:
        applied = apply_change(record, item)
        if not carried(item):
            # An update carrying no field has nothing to apply.
            assert applied.outcome is Outcome.STALE
            assert applied.record is record
            continue
        assert applied.outcome not in (Outcome.STALE, Outcome.REJECTED)
        assert applied.record is not None
        assert applied.record.source_version == item.source_version
        record = applied.record
    assert same(record, expected_after(history))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), scenario=shuffled(partial_patches, later_types))
def test_replaying_an_applied_change_is_stale(
    data: st.DataObject, scenario: tuple[list[HrisChange], list[HrisChange]]
) -> None:
    history, arrivals = scenario
    record = deliver(arrivals)
    again = data.draw(st.sampled_from(history))
    applied = apply_change(record, again)
    assert applied.outcome is Outcome.STALE
    assert applied.record is record


@settings(max_examples=100, deadline=None)
@given(
    current=histories(partial_patches, later_types).map(expected_after),
    patch=partial_patches,
    newer=st.booleans(),
    version=st.integers(1, 10_000),  # version 0 has its own test
)
def test_an_update_sets_exactly_the_fields_it_is_newer_for(
    current: PersonRecord, patch: dict[str, Any], newer: bool, version: int
) -> None:
    if newer:
        version = current.source_version + 1
    item = change(version, **patch)
    fresh = {
        name: value
        for name, value in carried(item).items()
        if current.field_versions.get(name, 0) < version
    }
    applied = apply_change(current, item)
    if not fresh:
        assert applied.outcome is Outcome.STALE
        assert applied.record is current
        return
    after = applied.record
    assert after is not None
    for name in RECORD_FIELDS:
        if name in fresh:
            assert getattr(after, name) == fresh[name], f"{name} not set"
        elif name not in BOOKKEEPING:
            assert getattr(after, name) == getattr(current, name), f"{name} moved"
    assert after.external_id == current.external_id
    assert after.field_versions == {**current.field_versions, **dict.fromkeys(fresh, version)}
    assert after.source_version == max(current.source_version, version)
    differing = {to_camel(n) for n in COMPARED_FIELDS if getattr(after, n) != getattr(current, n)}
    assert set(applied.changed_fields) == differing
    assert list(applied.changed_fields) == sorted(applied.changed_fields)
    assert (applied.outcome is Outcome.UNCHANGED) is (not differing)


@settings(max_examples=100, deadline=None)
@given(scenario=shuffled(partial_patches, later_types))
def test_versions_never_go_back_whatever_the_order(
    scenario: tuple[list[HrisChange], list[HrisChange]],
) -> None:
    _, arrivals = scenario
    record: PersonRecord | None = None
    for item in arrivals:
        applied = apply_change(record, item)
        if applied.outcome is Outcome.STALE:
            assert applied.record is record
        elif applied.record is not None:
            after = applied.record
            if record is not None:
                assert after.source_version >= record.source_version
                for name, version in record.field_versions.items():
                    assert after.field_versions[name] >= version, f"{name} went back"
            assert after.source_version == max(after.field_versions.values())
            record = after
    assert record is not None  # the hire is complete, whenever it arrives


@settings(max_examples=100, deadline=None)
@given(scenario=shuffled(full_patches, later_types))
def test_full_snapshots_converge_in_any_order(
    scenario: tuple[list[HrisChange], list[HrisChange]],
) -> None:
    history, arrivals = scenario
    expected = expected_after(history)
    assert same(deliver(arrivals), expected)
    assert same(deliver(history), expected)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), history=histories(anonymous_patches, later_types))
def test_a_late_hire_loses_no_parked_update(data: st.DataObject, history: list[HrisChange]) -> None:
    hire_first, *updates = history
    arrivals = list(updates)
    arrivals.insert(data.draw(st.integers(0, len(updates))), hire_first)
    assert same(deliver(arrivals), expected_after(history))


_LOST_UPDATE = [hire(1), change(2, title="Engineer"), change(3, department="R&D")]
_LATE_HIRE = [
    hire(1, title="Engineer", department="R&D"),
    change(2, TERMINATED),
    change(3, email="ann.lee@example.com", display_name="Ann Lee", title="CTO"),
]


@settings(max_examples=150, deadline=None)
@example(scenario=(_LOST_UPDATE, [_LOST_UPDATE[0], _LOST_UPDATE[2], _LOST_UPDATE[1]]))
@example(scenario=(_LATE_HIRE, _LATE_HIRE[::-1]))
@given(scenario=shuffled(partial_patches, later_types))
def test_partial_patches_converge_in_any_order(
    scenario: tuple[list[HrisChange], list[HrisChange]],
) -> None:
    history, arrivals = scenario
    assert same(deliver(arrivals), expected_after(history))
