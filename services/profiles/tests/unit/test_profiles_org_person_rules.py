"""The person rules added for the org graph and self-service: a refused manager move leaves the
rest of the change applied, org moves are recognised, self-service lists keep each value once,
and self-identification is kept only with consent."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from contracts.hris import HrisChange, HrisChangeType
from hypothesis import given, settings
from hypothesis import strategies as st
from profiles.domain.history import TRACKED, Move, moves
from profiles.domain.people import (
    Outcome,
    PersonRecord,
    apply_change,
    keep_manager,
    moved_manager,
)
from profiles.domain.profile import (
    distinct,
    self_identification,
    withheld_from_hris,
    without_self_identification,
)

EXTERNAL_ID = "E-1"
REASON = "managerExternalId 'E-1' would make E-1 their own manager"


def change(version: int, kind: str = "employee.updated", **employee: Any) -> HrisChange:
    return HrisChange(
        id=f"chg-{version}",
        type=HrisChangeType(kind),
        effective_at=datetime(2024, 1, 1, tzinfo=UTC),
        source_version=version,
        employee={"external_id": EXTERNAL_ID, **employee},
    )


def hired(**employee: Any) -> PersonRecord:
    applied = apply_change(
        None, change(1, "employee.hired", email="ann@example.com", display_name="Ann", **employee)
    )
    assert applied.record is not None
    return applied.record


def test_a_hire_carries_the_user_name() -> None:
    record = hired(user_name="ann.lee")
    assert record.user_name == "ann.lee"
    applied = apply_change(record, change(2, user_name="ann"))
    assert applied.changed_fields == ("userName",)
    assert applied.record is not None
    assert applied.record.user_name == "ann"


def test_a_refused_manager_keeps_the_previous_one_and_the_rest_applies() -> None:
    current = hired(manager_external_id="E-0", title="Engineer")
    applied = apply_change(current, change(3, manager_external_id="E-9", title="Lead"))
    assert moved_manager(current, applied) == "E-9"
    kept = keep_manager(current, applied, REASON)
    assert kept.outcome is Outcome.UPDATED
    assert kept.refused == (REASON,)
    assert kept.changed_fields == ("title",)
    assert kept.record is not None
    assert kept.record.manager_external_id == "E-0"
    assert kept.record.title == "Lead"
    assert kept.record.field_versions["manager_external_id"] == 1
    assert kept.record.field_versions["title"] == 3
    # The refusal is not a newer manager: an older change may still set it.
    later = apply_change(kept.record, change(2, manager_external_id="E-5"))
    assert later.outcome is Outcome.UPDATED
    assert later.changed_fields == ("managerExternalId",)


def test_a_change_of_only_the_refused_manager_changes_nothing() -> None:
    current = hired(manager_external_id="E-0")
    kept = keep_manager(current, apply_change(current, change(4, manager_external_id="E-9")), "x")
    assert kept.outcome is Outcome.UNCHANGED
    assert kept.changed_fields == ()
    assert kept.record is not None
    assert kept.record.manager_external_id == "E-0"
    assert kept.refused == ("x",)


def test_a_new_person_whose_manager_is_refused_starts_without_one() -> None:
    applied = apply_change(
        None,
        change(
            2, "employee.hired", email="a@example.com", display_name="A", manager_external_id="X"
        ),
    )
    kept = keep_manager(None, applied, "loop")
    assert kept.outcome is Outcome.CREATED
    assert kept.record is not None
    assert kept.record.manager_external_id is None
    assert "manager_external_id" not in kept.record.field_versions
    assert "managerExternalId" not in kept.changed_fields
    assert "displayName" in kept.changed_fields


def test_only_a_new_non_empty_manager_is_a_move_to_check() -> None:
    current = hired(manager_external_id="E-0")
    assert moved_manager(current, apply_change(current, change(2, title="X"))) is None
    assert (
        moved_manager(current, apply_change(current, change(2, manager_external_id=None))) is None
    )
    assert moved_manager(current, apply_change(current, change(0, manager_external_id="Z"))) is None
    assert moved_manager(None, apply_change(None, change(2, manager_external_id="Z"))) is None


_values = st.one_of(st.none(), st.sampled_from(["A", "B"]))
patches = st.fixed_dictionaries(
    {},
    optional={
        "title": _values,
        "department": _values,
        "level": st.none() | st.integers(0, 3),
        "manager_external_id": st.none() | st.sampled_from(["M1", "M2"]),
        "location": _values,
    },
)


@settings(max_examples=200, deadline=None)
@given(start=patches, patch=patches, version=st.integers(0, 5))
def test_refusing_the_manager_is_the_change_without_its_manager(
    start: dict[str, Any], patch: dict[str, Any], version: int
) -> None:
    base = hired()
    current = apply_change(base, change(2, **start)).record or base
    applied = apply_change(current, change(version, **patch))
    if moved_manager(current, applied) is None:
        return
    kept = keep_manager(current, applied, "loop")
    without = {k: v for k, v in patch.items() if k != "manager_external_id"}
    expected = apply_change(current, change(version, **without))
    assert kept.record is not None and expected.record is not None
    # The same record, but the change's version still counts as seen.
    assert kept.record == replace(expected.record, source_version=kept.record.source_version)
    assert kept.record.source_version == max(current.source_version, version)
    assert kept.record.field_versions == expected.record.field_versions
    assert set(kept.changed_fields) == set(expected.changed_fields)


def test_moves_are_the_tracked_fields_that_differ() -> None:
    before = hired(title="Engineer", level=3, department="R&D", manager_external_id="E-0")
    after = apply_change(before, change(2, level=4, department="Sales", location="Oslo")).record
    assert after is not None
    assert moves(before, after) == (
        Move("level", 3, 4),
        Move("department", "R&D", "Sales"),
    )


def test_a_new_person_moves_from_nothing_into_what_they_start_with() -> None:
    record = hired(title="Engineer", manager_external_id="E-0")
    assert moves(None, record) == (
        Move("title", None, "Engineer"),
        Move("managerExternalId", None, "E-0"),
    )


@settings(max_examples=200, deadline=None)
@given(start=patches, patch=patches)
def test_moves_name_exactly_the_tracked_changes(
    start: dict[str, Any], patch: dict[str, Any]
) -> None:
    base = hired()
    before = apply_change(base, change(2, **start)).record or base
    after = apply_change(before, change(3, **patch)).record or before
    found = {m.field: (m.from_value, m.to_value) for m in moves(before, after)}
    for name, public in TRACKED.items():
        old, new = getattr(before, name), getattr(after, name)
        if old == new:
            assert public not in found
        else:
            assert found[public] == (old, new)


# --- self-service ---------------------------------------------------------------------------


def test_distinct_keeps_the_first_spelling_in_order() -> None:
    assert distinct(["Go", "python", "go", "Python", "Rust"]) == ("Go", "python", "Rust")
    assert distinct([]) == ()


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.sampled_from(["a", "A", "b", "B", "ß", "SS", "ss", "c"]), max_size=10))
def test_distinct_lists_each_value_once_in_first_seen_order(values: list[str]) -> None:
    out = distinct(values)
    keys = [v.casefold() for v in out]
    assert len(keys) == len(set(keys))
    assert set(keys) == {v.casefold() for v in values}
    # Each kept value is the first of its kind, and the order is that of first sight.
    firsts = [
        v for i, v in enumerate(values) if all(w.casefold() != v.casefold() for w in values[:i])
    ]
    assert list(out) == firsts
    assert distinct(out) == out


def test_self_identification_is_kept_only_with_consent() -> None:
    assert self_identification(True, True, {"gender": "f"}) == (True, {"gender": "f"})
    assert self_identification(True, None, {}) == (None, None)
    assert self_identification(False, True, {"gender": "f"}) == (None, None)


def test_a_withdrawal_in_cairn_outranks_the_hris() -> None:
    assert withheld_from_hris(False) is True
    assert withheld_from_hris(True) is False
    assert withheld_from_hris(None) is False


def test_without_self_identification_drops_only_those_fields() -> None:
    sent = change(4, title="Lead", underrepresented=True, demographics={"a": 1}, level=None)
    kept = without_self_identification(sent)
    assert kept.employee.patch() == {"title": "Lead", "level": None}
    assert (kept.id, kept.type, kept.source_version, kept.effective_at) == (
        sent.id,
        sent.type,
        sent.source_version,
        sent.effective_at,
    )
    only_sensitive = without_self_identification(change(5, demographics={}))
    assert apply_change(hired(), only_sensitive).outcome is Outcome.STALE
