"""How a SCIM User reads as the canonical employee, and the org changes SCIM writes become."""

from datetime import UTC, datetime
from typing import Any

import pytest
from contracts.hris import HrisChangeType
from gateway.scim.mapping import (
    PlannedChange,
    canonical_changes,
    employee_view,
    manager_id,
    person_external_id,
    plan_create,
    plan_delete,
    plan_update,
)
from gateway.scim.service import UserResource
from hypothesis import given
from hypothesis import strategies as st
from scim2_models import InvalidValueException

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def user(**attributes: Any) -> Any:
    payload = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "ada",
        "emails": [{"value": "ada@example.com"}],
        **attributes,
    }
    return UserResource.model_validate(payload)


def test_every_mapped_attribute_lands_in_its_canonical_field() -> None:
    view = employee_view(
        user(
            name={"givenName": "Ada", "familyName": "Lovelace"},
            displayName="Countess Lovelace",
            title="Analyst",
            timezone="Europe/London",
            preferredLanguage="en-GB",
            locale="fr_FR",
            **{ENTERPRISE: {"department": "Engines", "employeeNumber": "7"}},
        ),
        manager_external_id="BABBAGE",
    )
    assert view["email"] == "ada@example.com"
    assert view["display_name"] == "Countess Lovelace"
    assert (view["given_name"], view["family_name"]) == ("Ada", "Lovelace")
    assert view["title"] == "Analyst"
    assert view["department"] == "Engines"
    assert view["time_zone"] == "Europe/London"
    assert view["languages"] == ["en", "fr"]
    assert view["manager_external_id"] == "BABBAGE"
    assert view["user_name"] == "ada"


def test_the_primary_email_wins_else_the_first() -> None:
    emails = [{"value": "home@example.com"}, {"value": "work@example.com", "primary": True}]
    assert employee_view(user(emails=emails), None)["email"] == "work@example.com"
    emails = [{"value": "first@example.com"}, {"value": "second@example.com"}]
    assert employee_view(user(emails=emails), None)["email"] == "first@example.com"


@given(
    display=st.one_of(
        st.none(), st.text("abc ", min_size=1, max_size=8).map(str.strip).filter(bool)
    ),
    formatted=st.one_of(st.none(), st.sampled_from(["Ada L.", "A. Lovelace"])),
    given_name=st.one_of(st.none(), st.sampled_from(["Ada", "Augusta"])),
    family=st.one_of(st.none(), st.sampled_from(["Lovelace", "Byron"])),
)
def test_the_display_name_falls_back_in_order(
    display: str | None, formatted: str | None, given_name: str | None, family: str | None
) -> None:
    name = {"formatted": formatted, "givenName": given_name, "familyName": family}
    view = employee_view(user(displayName=display, name=name), None)
    expected = (
        display
        or formatted
        or " ".join(part for part in (given_name, family) if part)
        or "ada"  # the userName, when nothing else names the person
    )
    assert view["display_name"] == expected


@pytest.mark.parametrize(
    ("attributes", "named"),
    [
        ({"emails": [{"value": "not-an-address"}]}, "emails"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"preferredLanguage": "English please"}, "preferredLanguage"),
        ({"locale": "?"}, "locale"),
    ],
)
def test_bad_values_are_refused_naming_the_scim_attribute(
    attributes: dict[str, Any], named: str
) -> None:
    with pytest.raises(InvalidValueException) as refused:
        employee_view(user(**attributes), None)
    assert refused.value.detail.startswith(named)


def test_the_person_goes_by_external_id_else_employee_number_else_the_scim_id() -> None:
    assert (
        person_external_id(user(externalId="E1", **{ENTERPRISE: {"employeeNumber": "7"}}), "s")
        == "E1"
    )
    assert person_external_id(user(**{ENTERPRISE: {"employeeNumber": "7"}}), "s") == "7"
    assert person_external_id(user(), "abc") == "scim-abc"
    with pytest.raises(InvalidValueException):
        person_external_id(user(externalId="x" * 257), "s")


def test_the_manager_is_named_by_scim_id() -> None:
    assert manager_id(user(**{ENTERPRISE: {"manager": {"value": "m-1"}}})) == "m-1"
    assert manager_id(user()) is None


_VALUES = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))
_VIEWS = st.fixed_dictionaries(
    {
        "email": st.just("x@example.com"),
        "title": _VALUES,
        "department": _VALUES,
        "time_zone": _VALUES,
    }
)


@given(before=_VIEWS, after=_VIEWS, was_active=st.booleans(), active=st.booleans())
def test_an_update_is_a_merge_patch_of_what_differs(
    before: dict[str, Any], after: dict[str, Any], was_active: bool, active: bool
) -> None:
    planned = plan_update(before, was_active, after, active)
    if was_active == active and before == after:
        assert planned == []
        return
    assert len(planned) == 1
    patch = planned[0].employee
    assert set(patch) == {k for k in after if before[k] != after[k]}
    assert {**before, **patch} == after  # merging the patch gives the new state
    expected = (
        HrisChangeType.TERMINATED
        if was_active and not active
        else HrisChangeType.REHIRED
        if active and not was_active
        else HrisChangeType.UPDATED
    )
    assert planned[0].type is expected


def test_a_create_hires_and_an_inactive_one_terminates_right_after() -> None:
    view = {"email": "x@example.com", "display_name": "X", "title": None}
    assert plan_create(view, True) == [
        PlannedChange(HrisChangeType.HIRED, {"email": "x@example.com", "display_name": "X"})
    ]
    assert [p.type for p in plan_create(view, False)] == [
        HrisChangeType.HIRED,
        HrisChangeType.TERMINATED,
    ]
    assert [p.type for p in plan_delete()] == [HrisChangeType.TERMINATED]


@given(first=st.integers(min_value=1, max_value=10_000))
def test_changes_carry_growing_versions_and_unique_ids(first: int) -> None:
    planned = [
        PlannedChange(HrisChangeType.HIRED, {"email": "x@example.com", "display_name": "X"}),
        PlannedChange(HrisChangeType.UPDATED, {"title": None, "department": "D"}),
        PlannedChange(HrisChangeType.TERMINATED),
    ]
    changes = canonical_changes(
        planned, scim_id="s-1", person_external_id="E1", first_version=first, at=AT
    )
    assert [c.source_version for c in changes] == [first, first + 1, first + 2]
    assert len({c.id for c in changes}) == 3
    assert all(c.employee.external_id == "E1" and c.effective_at == AT for c in changes)
    # A cleared field travels as an explicit null; an untouched one not at all.
    assert changes[1].employee.patch() == {"title": None, "department": "D"}
    assert changes[2].employee.patch() == {}
