"""What importing a snapshot changes (`plan`, `reconcile`): only real changes, as corrections
that keep every field's sourceVersion; missing people reported, terminated only when asked.
"""

import csv
import io
from dataclasses import fields, replace
from datetime import date
from typing import Any

import pytest
from contracts.hris import HrisChange, HrisChangeType
from contracts.people import PersonStatus
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from profiles.domain.org_snapshot import (
    COLUMNS,
    ImportPlan,
    InvalidSnapshot,
    manager_cycles,
    parse_csv,
    plan,
    reconcile,
)
from profiles.domain.people import Outcome, PersonRecord, apply_change
from pydantic.alias_generators import to_camel, to_snake

FIELDS = [to_snake(column) for column in COLUMNS]  # what a snapshot row sets
CHANGEABLE = [name for name in FIELDS if name != "external_id"]

names = (
    st.text(
        alphabet=st.characters(categories=("L", "N"), include_characters=' ,"-'),
        min_size=1,
        max_size=16,
    )
    .map(str.strip)
    .filter(bool)
)
zones = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"])
language_lists = st.lists(st.sampled_from(["en", "de", "fr", "ja"]), max_size=3).map(tuple)
versions = st.integers(min_value=0, max_value=50)


@st.composite
def orgs(draw: st.DrawFn, min_size: int = 1, max_size: int = 12) -> dict[str, PersonRecord]:
    """People as profiles holds them; managers come earlier in the list (no loops), some
    named managers are not known yet, every field has some sourceVersion."""
    size = draw(st.integers(min_value=min_size, max_value=max_size))
    people: dict[str, PersonRecord] = {}
    for index in range(size):
        external_id = f"E{index}"
        manager = draw(st.none() | st.sampled_from([f"E{i}" for i in range(index)] + ["X-unknown"]))
        record = PersonRecord(
            external_id=external_id,
            email=f"p{index}@example.com",
            display_name=draw(names),
            time_zone=draw(zones),
            given_name=draw(st.none() | names),
            family_name=draw(st.none() | names),
            title=draw(st.none() | names),
            department=draw(st.none() | names),
            location=draw(st.none() | names),
            level=draw(st.none() | st.integers(min_value=0, max_value=100)),
            manager_external_id=manager,
            hire_date=draw(st.none() | st.dates(date(1990, 1, 1), date(2030, 1, 1))),
            languages=draw(language_lists),
            status=draw(st.sampled_from(PersonStatus)),
        )
        field_versions = {name: draw(versions) for name in FIELDS if draw(st.booleans())}
        people[external_id] = replace(
            record,
            field_versions=field_versions,
            source_version=max(field_versions.values(), default=0) + draw(versions),
        )
    return people


def snapshot_csv(people: list[PersonRecord]) -> str:
    """The file a talent team would export for these people."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for person in people:
        cells = []
        for name in FIELDS:
            value = getattr(person, name)
            if value is None or value == ():
                cells.append("")
            elif isinstance(value, tuple):
                cells.append(";".join(value))
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return out.getvalue()


def planned(
    held: dict[str, PersonRecord], listed: list[PersonRecord], *, terminate_missing: bool = False
) -> ImportPlan:
    return plan(held, parse_csv(snapshot_csv(listed)), terminate_missing=terminate_missing)


def same_versions(a: PersonRecord, b: PersonRecord) -> bool:
    return a.field_versions == b.field_versions and a.source_version == b.source_version


@settings(max_examples=80, deadline=None)
@given(orgs())
def test_a_snapshot_of_what_is_held_changes_nothing(held: dict[str, PersonRecord]) -> None:
    result = planned(held, list(held.values()), terminate_missing=True)
    assert result.changes == ()
    assert result.unchanged == len(held)
    assert result.missing == ()
    assert result.created_ids == frozenset()


@st.composite
def one_change(draw: st.DrawFn) -> tuple[dict[str, PersonRecord], str, str, Any]:
    held = draw(orgs())
    external_id = draw(st.sampled_from(sorted(held)))
    name = draw(st.sampled_from(CHANGEABLE))
    index = int(external_id[1:])
    candidates = {
        "email": st.just(f"moved.{index}@example.org"),
        "display_name": names,
        "given_name": names,
        "family_name": names,
        "title": st.none() | names,
        "department": st.none() | names,
        "location": st.none() | names,
        "time_zone": zones,
        "level": st.none() | st.integers(min_value=0, max_value=100),
        # Someone above in the list, nobody, or someone not known yet: never a loop.
        "manager_external_id": st.sampled_from([None, "X-later", *(f"E{i}" for i in range(index))]),
        "hire_date": st.none() | st.dates(date(1990, 1, 1), date(2030, 1, 1)),
        "languages": language_lists,
    }
    value = draw(candidates[name])
    assume(value != getattr(held[external_id], name))
    return held, external_id, name, value


@settings(max_examples=150, deadline=None)
@given(one_change())
def test_any_single_field_change_is_exactly_that_change(
    case: tuple[dict[str, PersonRecord], str, str, Any],
) -> None:
    held, external_id, name, value = case
    before = held[external_id]
    listed = [
        replace(p, **{name: value}) if p.external_id == external_id else p for p in held.values()
    ]
    result = planned(held, listed)
    (only,) = result.changes
    assert only.external_id == external_id
    assert only.reconciled.outcome is Outcome.UPDATED
    expected = {to_camel(name)}
    if name == "manager_external_id":
        expected.add("managerId")  # events carry the resolved manager id too
    assert set(only.reconciled.changed_fields) == expected
    after = only.reconciled.record
    assert getattr(after, name) == value
    assert after.status is before.status  # a snapshot never moves anyone's status
    assert same_versions(after, before)  # a correction, not a new version
    assert result.unchanged == len(held) - 1


@settings(max_examples=80, deadline=None)
@given(orgs(min_size=2), st.data())
def test_missing_people_are_reported_and_terminated_only_when_asked(
    held: dict[str, PersonRecord], data: st.DataObject
) -> None:
    dropped = data.draw(
        st.sets(st.sampled_from(sorted(held)), min_size=1, max_size=len(held) - 1),
        label="dropped",
    )
    listed = [p for p in held.values() if p.external_id not in dropped]
    still_employed = sorted(e for e in dropped if held[e].status is not PersonStatus.TERMINATED)

    kept = planned(held, listed)
    assert kept.missing == tuple(still_employed)
    assert kept.changes == ()  # reported, nothing more

    ended = planned(held, listed, terminate_missing=True)
    assert ended.missing == tuple(still_employed)
    assert sorted(item.external_id for item in ended.changes) == still_employed
    for item in ended.changes:
        assert item.reconciled.outcome is Outcome.TERMINATED
        assert item.reconciled.record.status is PersonStatus.TERMINATED
        assert same_versions(item.reconciled.record, held[item.external_id])


@settings(max_examples=80, deadline=None)
@given(orgs())
def test_new_people_are_created_at_version_zero_managers_first(
    org: dict[str, PersonRecord],
) -> None:
    # Listed bottom-up, so the plan has to reorder them.
    result = planned({}, list(reversed(org.values())))
    order = [item.external_id for item in result.changes]
    assert sorted(order) == sorted(org)
    assert result.created_ids == frozenset(org)
    for position, item in enumerate(result.changes):
        record = item.reconciled.record
        assert item.reconciled.outcome is Outcome.CREATED
        assert record.source_version == 0
        assert set(record.field_versions.values()) == {0}
        assert record.status is PersonStatus.ACTIVE
        manager = record.manager_external_id
        if manager in org:
            assert order.index(manager) < position
    expected_unknown = (
        ("X-unknown",) if any(p.manager_external_id == "X-unknown" for p in org.values()) else ()
    )
    assert result.unknown_managers == expected_unknown


@settings(max_examples=80, deadline=None)
@given(orgs(), st.sampled_from(CHANGEABLE), st.data())
def test_a_later_hris_change_still_applies_after_a_correction(
    held: dict[str, PersonRecord], name: str, data: st.DataObject
) -> None:
    """The import did not use up a version: the next one from the HRIS wins, an older one
    does what it would have done without the import."""
    current = data.draw(st.sampled_from(list(held.values())))
    done = reconcile(current, _employee(replace(current, title="Imported title")))
    corrected = done.record
    assert same_versions(corrected, current)
    next_version = current.source_version + 1
    hris = HrisChange(
        id="chg",
        type=HrisChangeType.UPDATED,
        effective_at="2026-01-01T00:00:00Z",
        source_version=next_version,
        employee={"external_id": current.external_id, "title": "From the HRIS"},
    )
    applied = apply_change(corrected, hris)
    assert applied.record is not None and applied.record.title == "From the HRIS"
    older = current.field_versions.get("title", -1)
    if older >= 0:
        stale = hris.model_copy(update={"source_version": older})
        assert apply_change(corrected, stale).outcome is Outcome.STALE


def _employee(record: PersonRecord) -> Any:
    (row,) = parse_csv(snapshot_csv([record])).rows
    return row.employee


def test_a_held_report_is_linked_to_a_manager_the_import_creates() -> None:
    held = {"E1": PersonRecord("E1", "a@example.com", "A", manager_external_id="M1")}
    boss = PersonRecord("M1", "m@example.com", "Boss")
    result = planned(held, [*held.values(), boss])
    created, linked = result.changes
    assert (created.external_id, created.reconciled.outcome) == ("M1", Outcome.CREATED)
    assert linked.external_id == "E1"
    assert linked.reconciled.outcome is Outcome.UPDATED
    assert linked.reconciled.changed_fields == ("managerId",)
    assert result.unchanged == 0  # E1 gets an event, so it is not counted unchanged
    # Also when the snapshot does not list them.
    unlisted = planned(held, [boss])
    assert [i.external_id for i in unlisted.changes] == ["M1", "E1"]
    assert unlisted.missing == ("E1",)


def test_people_listed_keep_their_status_and_the_terminated_are_not_missing() -> None:
    gone = PersonRecord("E1", "a@example.com", "A", status=PersonStatus.TERMINATED)
    away = PersonRecord("E2", "b@example.com", "B", status=PersonStatus.ON_LEAVE)
    result = planned({"E1": gone, "E2": away}, [away], terminate_missing=True)
    assert result.missing == ()
    assert result.changes == ()
    retitled = planned({"E1": gone}, [replace(gone, title="Adviser")])
    (only,) = retitled.changes
    assert only.reconciled.record.status is PersonStatus.TERMINATED


def test_a_manager_loop_made_by_the_snapshot_is_refused_naming_its_rows() -> None:
    people = [
        PersonRecord("E1", "a@example.com", "A", manager_external_id="E3"),
        PersonRecord("E2", "b@example.com", "B", manager_external_id="E1"),
        PersonRecord("E3", "c@example.com", "C", manager_external_id="E2"),
        PersonRecord("E4", "d@example.com", "D", manager_external_id="E4"),
    ]
    with pytest.raises(InvalidSnapshot) as caught:
        planned({}, people)
    errors = {e.field: e.message for e in caught.value.errors}
    assert set(errors) == {f"rows.{n}.managerExternalId" for n in (1, 2, 3, 4)}
    assert errors["rows.1.managerExternalId"] == (
        "makes a manager loop: E1 → E3 → E2 → E1 (rows.1, rows.3, rows.2)"
    )
    assert errors["rows.4.managerExternalId"] == "makes a manager loop: E4 → E4 (rows.4)"


def test_a_loop_through_someone_held_but_not_listed_is_refused() -> None:
    held = {"B": PersonRecord("B", "b@example.com", "B", manager_external_id="A")}
    with pytest.raises(InvalidSnapshot) as caught:
        planned(held, [PersonRecord("A", "a@example.com", "A", manager_external_id="B")])
    assert [e.field for e in caught.value.errors] == ["rows.1.managerExternalId"]


def test_a_loop_already_held_is_not_the_snapshots_fault() -> None:
    held = {
        "A": PersonRecord("A", "a@example.com", "A", manager_external_id="B"),
        "B": PersonRecord("B", "b@example.com", "B", manager_external_id="A"),
    }
    result = planned(held, [PersonRecord("C", "c@example.com", "C")])
    assert [item.external_id for item in result.changes] == ["C"]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda n: st.lists(st.none() | st.integers(0, n), min_size=n, max_size=n)
    )
)
def test_manager_cycles_finds_each_loop_once(targets: list[int | None]) -> None:
    links = {f"P{i}": (f"P{t}" if t is not None else None) for i, t in enumerate(targets)}
    found = manager_cycles(links)
    # Brute force: someone is on a loop when walking up from them comes back to them.
    on_loops = set()
    for start in links:
        person = links[start]
        for _ in range(len(links)):
            if person is None or person not in links:
                break
            if person == start:
                on_loops.add(start)
                break
            person = links[person]
    assert {p for cycle in found for p in cycle} == on_loops
    assert sum(len(cycle) for cycle in found) == len(on_loops)  # each loop once
    for cycle in found:
        for person, nxt in zip(cycle, (*cycle[1:], cycle[0]), strict=True):
            assert links[person] == nxt


def test_record_fields_a_snapshot_sets_are_all_record_fields() -> None:
    # If PersonRecord renames a field, the import must notice.
    assert set(FIELDS) <= {f.name for f in fields(PersonRecord)}
