"""PATCH as identity providers send it, Microsoft Entra's shapes included."""

from typing import Any

import pytest
from gateway.scim.patching import apply_patch, read_patch
from gateway.scim.service import GroupResource, UserResource
from pydantic import ValidationError
from scim2_models import SCIMException

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def ada() -> Any:
    return UserResource.model_validate(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": "ada",
            "active": True,
            "emails": [{"value": "ada@example.com", "type": "work", "primary": True}],
            ENTERPRISE: {"department": "Engines", "manager": {"value": "m-1"}},
        }
    )


def patched(resource: Any, *operations: dict[str, Any]) -> Any:
    model = type(resource)
    return apply_patch(
        resource, read_patch(model, {"schemas": [PATCH_OP], "Operations": list(operations)})
    )


def test_replace_with_a_path_and_without_one() -> None:
    user = patched(
        ada(),
        {"op": "replace", "path": "title", "value": "Analyst"},
        {"op": "Replace", "value": {"displayName": "Ada L.", "name.givenName": "Ada"}},
    )
    assert (user.title, user.display_name, user.name.given_name) == ("Analyst", "Ada L.", "Ada")


def test_entra_string_booleans_deactivate() -> None:
    user = patched(ada(), {"op": "Replace", "path": "active", "value": "False"})
    assert user.active is False
    user = patched(user, {"op": "Replace", "value": {"active": "True"}})
    assert user.active is True


def test_entra_enterprise_attributes_by_full_urn_and_manager_as_a_bare_id() -> None:
    user = patched(
        ada(),
        {"op": "Add", "value": {f"{ENTERPRISE}:department": "Looms"}},
        {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": "m-2"},
    )
    extension = user[type(user).get_extension_models()[ENTERPRISE]]
    assert extension.department == "Looms"
    assert extension.manager.value == "m-2"
    user = patched(user, {"op": "Replace", "value": {f"{ENTERPRISE}:manager": "m-3"}})
    assert user[type(user).get_extension_models()[ENTERPRISE]].manager.value == "m-3"


def test_a_filter_that_matches_no_email_yet_creates_it_as_entra_expects() -> None:
    user = patched(
        ada(), {"op": "replace", "path": 'emails[type eq "home"].value', "value": "a@home.example"}
    )
    assert {(e.type, e.value) for e in user.emails} == {
        ("work", "ada@example.com"),
        ("home", "a@home.example"),
    }


def test_members_added_and_removed_by_value() -> None:
    group = GroupResource.model_validate(
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Mentors"}
    )
    group = patched(
        group, {"op": "Add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}
    )
    assert [m.value for m in group.members] == ["u1", "u2"]
    group = patched(group, {"op": "Remove", "path": "members", "value": [{"value": "u1"}]})
    assert [m.value for m in group.members] == ["u2"]
    group = patched(group, {"op": "remove", "path": 'members[value eq "u2"]'})
    assert not group.members


def test_a_required_attribute_cannot_be_removed() -> None:
    with pytest.raises(ValidationError, match="required"):
        read_patch(
            UserResource,
            {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "emails"}]},
        )


def test_a_failing_operation_leaves_the_resource_as_it_was() -> None:
    original = ada()
    patch = read_patch(
        UserResource,
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "replace", "path": "title", "value": "Changed"},
                {
                    "op": "replace",
                    "path": 'emails[type eq "work" and value pr].display',
                    "value": 1,
                },
            ],
        },
    )
    with pytest.raises((SCIMException, ValidationError)):
        apply_patch(original, patch)
    assert original.title is None


def test_an_attribute_no_schema_declares_is_dropped_not_refused() -> None:
    # Entra's custom attribute mappings must not fail a whole provisioning cycle.
    original = ada()
    assert patched(original, {"op": "replace", "path": "nosuch", "value": 1}) == original


@pytest.mark.parametrize(
    "body",
    [
        {"schemas": [PATCH_OP], "Operations": []},
        {"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "title"}]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "id", "value": "x"}]},
        ["not", "an", "object"],
    ],
)
def test_malformed_patches_are_refused(body: Any) -> None:
    with pytest.raises((ValidationError, SCIMException)):
        read_patch(UserResource, body)
