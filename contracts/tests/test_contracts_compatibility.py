"""`breaking_changes` on the real event schemas, edited the way a careless change would."""

import copy
import string
from typing import Any

import pytest
from contracts.compatibility import breaking_changes
from contracts.export import schema_of
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

Schema = dict[str, Any]


def _schema(event_type: str) -> Schema:
    return schema_of(event_type)


def _edited(event_type: str) -> tuple[Schema, Schema]:
    old = _schema(event_type)
    return old, copy.deepcopy(old)


def _snapshot(schema: Schema) -> Schema:
    snapshot: Schema = schema["$defs"]["PersonSnapshot"]
    return snapshot


OPTIONAL_STRING: Schema = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}


@pytest.mark.parametrize(
    "event_type",
    ["hris.change.received", "person.created", "person.updated", "person.terminated"],
)
def test_an_unchanged_schema_has_no_problems(event_type: str) -> None:
    assert breaking_changes(_schema(event_type), _schema(event_type)) == []


def test_adding_an_optional_property_is_compatible() -> None:
    old, new = _edited("person.updated")
    new["properties"]["reason"] = copy.deepcopy(OPTIONAL_STRING)
    _snapshot(new)["properties"]["nickname"] = copy.deepcopy(OPTIONAL_STRING)
    assert breaking_changes(old, new) == []


def test_removing_a_property_is_breaking() -> None:
    old, new = _edited("person.updated")
    del new["properties"]["changedFields"]
    new["required"].remove("changedFields")
    assert breaking_changes(old, new) == ["$.changedFields: field removed or renamed"]


def test_removing_an_optional_nested_property_is_breaking() -> None:
    old, new = _edited("person.created")
    del _snapshot(new)["properties"]["title"]
    assert breaking_changes(old, new) == ["$.person.title: field removed or renamed"]


def test_renaming_a_property_is_breaking() -> None:
    old, new = _edited("person.created")
    snapshot = _snapshot(new)
    snapshot["properties"]["name"] = snapshot["properties"].pop("displayName")
    snapshot["required"] = ["name" if r == "displayName" else r for r in snapshot["required"]]
    problems = breaking_changes(old, new)
    assert "$.person.displayName: field removed or renamed" in problems
    assert "$.person.name: new required field" in problems
    assert len(problems) == 2


def test_renaming_an_optional_property_is_breaking() -> None:
    old, new = _edited("person.created")
    snapshot = _snapshot(new)
    snapshot["properties"]["jobTitle"] = snapshot["properties"].pop("title")
    assert breaking_changes(old, new) == ["$.person.title: field removed or renamed"]


def test_changing_string_to_integer_is_breaking() -> None:
    old, new = _edited("hris.change.received")
    new["properties"]["connectionId"]["type"] = "integer"
    assert sorted(breaking_changes(old, new)) == [
        "$.connectionId: now also accepts integer:",
        "$.connectionId: type string: is no longer accepted",
    ]


def test_changing_string_to_date_time_is_breaking() -> None:
    old, new = _edited("hris.change.received")
    new["properties"]["channel"]["format"] = "date-time"
    assert sorted(breaking_changes(old, new)) == [
        "$.channel: now also accepts string:date-time",
        "$.channel: type string: is no longer accepted",
    ]


def test_changing_date_time_to_date_is_breaking() -> None:
    old, new = _edited("person.terminated")
    new["properties"]["terminatedAt"]["format"] = "date"
    assert sorted(breaking_changes(old, new)) == [
        "$.terminatedAt: now also accepts string:date",
        "$.terminatedAt: type string:date-time is no longer accepted",
    ]


def test_changing_the_type_of_a_nullable_field_is_breaking() -> None:
    old, new = _edited("person.created")
    _snapshot(new)["properties"]["level"]["anyOf"] = [{"type": "string"}, {"type": "null"}]
    assert sorted(breaking_changes(old, new)) == [
        "$.person.level: now also accepts string:",
        "$.person.level: type integer: is no longer accepted",
    ]


def test_dropping_null_from_a_nullable_field_is_breaking() -> None:
    old, new = _edited("person.created")
    _snapshot(new)["properties"]["title"] = {"type": "string", "default": ""}
    assert breaking_changes(old, new) == ["$.person.title: type null: is no longer accepted"]


def test_changing_array_items_is_breaking() -> None:
    old, new = _edited("person.created")
    _snapshot(new)["properties"]["languages"]["items"] = {"type": "integer"}
    assert sorted(breaking_changes(old, new)) == [
        "$.person.languages[]: now also accepts integer:",
        "$.person.languages[]: type string: is no longer accepted",
    ]


def test_adding_a_required_property_is_breaking() -> None:
    old, new = _edited("person.terminated")
    new["properties"]["reason"] = {"type": "string"}
    new["required"].append("reason")
    assert breaking_changes(old, new) == ["$.reason: new required field"]


def test_making_an_optional_property_required_is_breaking() -> None:
    old, new = _edited("person.created")
    _snapshot(new)["required"].append("title")
    assert breaking_changes(old, new) == ["$.person.title: new required field"]


def test_making_a_required_property_optional_is_breaking() -> None:
    old, new = _edited("person.created")
    _snapshot(new)["required"].remove("email")
    assert breaking_changes(old, new) == ["$.person.email: was required, now optional"]


def test_removing_an_enum_value_is_breaking() -> None:
    old, new = _edited("person.created")
    new["$defs"]["PersonStatus"]["enum"].remove("ON_LEAVE")
    problems = breaking_changes(old, new)
    assert problems == ["$.person.status: enum values removed: ['ON_LEAVE']"]


def test_removing_a_change_type_is_breaking() -> None:
    old, new = _edited("hris.change.received")
    new["$defs"]["HrisChangeType"]["enum"].remove("employee.rehired")
    assert breaking_changes(old, new) == [
        "$.change.type: enum values removed: ['employee.rehired']"
    ]


def test_adding_an_enum_value_is_compatible() -> None:
    old, new = _edited("person.created")
    new["$defs"]["PersonStatus"]["enum"].append("SUSPENDED")
    assert breaking_changes(old, new) == []


def test_replacing_an_enum_by_a_plain_string_is_breaking() -> None:
    old, new = _edited("person.created")
    _snapshot(new)["properties"]["status"] = {"type": "string"}
    assert sorted(breaking_changes(old, new)) == [
        "$.person.status: now also accepts string:",
        "$.person.status: type enum is no longer accepted",
    ]


def test_a_change_inside_a_def_is_reported_at_its_path() -> None:
    old, new = _edited("person.created")
    _snapshot(new)["properties"]["email"] = {"type": "integer"}
    assert sorted(breaking_changes(old, new)) == [
        "$.person.email: now also accepts integer:",
        "$.person.email: type string: is no longer accepted",
    ]


def test_a_change_two_defs_deep_is_reported_at_its_path() -> None:
    old, new = _edited("hris.change.received")
    new["$defs"]["EmployeeRecord"]["properties"]["level"]["anyOf"][0]["type"] = "number"
    assert sorted(breaking_changes(old, new)) == [
        "$.change.employee.level: now also accepts number:",
        "$.change.employee.level: type integer: is no longer accepted",
    ]


def test_every_problem_is_reported() -> None:
    old, new = _edited("person.created")
    snapshot = _snapshot(new)
    del snapshot["properties"]["location"]
    snapshot["properties"]["email"] = {"type": "integer"}
    new["$defs"]["PersonStatus"]["enum"].remove("TERMINATED")
    assert sorted(breaking_changes(old, new)) == [
        "$.person.email: now also accepts integer:",
        "$.person.email: type string: is no longer accepted",
        "$.person.location: field removed or renamed",
        "$.person.status: enum values removed: ['TERMINATED']",
    ]


class _Node(BaseModel):
    name: str
    children: list["_Node"] = []


def test_recursive_schemas_terminate() -> None:
    old = _Node.model_json_schema()
    assert breaking_changes(old, copy.deepcopy(old)) == []
    new = copy.deepcopy(old)
    new["$defs"]["_Node"]["properties"]["name"]["type"] = "integer"
    assert sorted(breaking_changes(old, new)) == [
        "$.name: now also accepts integer:",
        "$.name: type string: is no longer accepted",
    ]


# --- properties ------------------------------------------------------------------------------

_names = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12).map(lambda s: "x" + s)


@settings(max_examples=100, deadline=None)
@given(
    top=st.sets(_names, max_size=5),
    nested=st.sets(_names, max_size=5),
    event_type=st.sampled_from(["person.created", "person.updated", "person.terminated"]),
)
def test_adding_optional_string_properties_is_never_breaking(
    top: set[str], nested: set[str], event_type: str
) -> None:
    old, new = _edited(event_type)
    for name in top:
        new["properties"][name] = copy.deepcopy(OPTIONAL_STRING)
    for name in nested:
        _snapshot(new)["properties"][name] = {"type": "string", "default": ""}
    assert breaking_changes(old, new) == []


_SNAPSHOT_FIELDS = sorted(_snapshot(schema_of("person.created"))["properties"])


@settings(max_examples=100, deadline=None)
@given(removed=st.sets(st.sampled_from(_SNAPSHOT_FIELDS), min_size=1))
def test_every_removed_property_is_named(removed: set[str]) -> None:
    old, new = _edited("person.created")
    snapshot = _snapshot(new)
    for name in removed:
        del snapshot["properties"][name]
    snapshot["required"] = [r for r in snapshot["required"] if r not in removed]
    assert sorted(breaking_changes(old, new)) == sorted(
        f"$.person.{name}: field removed or renamed" for name in removed
    )


def test_making_a_required_field_nullable_is_breaking() -> None:
    old, new = _edited("person.created")
    _snapshot(new)["properties"]["email"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert breaking_changes(old, new) == ["$.person.email: now also accepts null:"]


def test_widening_an_optional_field_to_another_type_is_breaking() -> None:
    old, new = _edited("person.created")
    _snapshot(new)["properties"]["level"]["anyOf"].insert(1, {"type": "string"})
    assert breaking_changes(old, new) == ["$.person.level: now also accepts string:"]


def test_widening_array_items_is_breaking() -> None:
    old, new = _edited("person.created")
    items = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    _snapshot(new)["properties"]["languages"]["items"] = items
    assert breaking_changes(old, new) == ["$.person.languages[]: now also accepts null:"]


def test_every_newly_accepted_type_is_named_once() -> None:
    old, new = _edited("hris.change.received")
    new["properties"]["channel"] = {
        "anyOf": [{"type": "string"}, {"type": "null"}, {"type": "integer"}, {"type": "null"}]
    }
    assert breaking_changes(old, new) == [
        "$.channel: now also accepts integer:",
        "$.channel: now also accepts null:",
    ]
