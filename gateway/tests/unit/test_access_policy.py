"""The authorization policy decides every root field: each Query, Mutation and Subscription
field is either an admin's, decided for end-user tokens (how their own data is selected) or
deliberately forbidden to them — a new field fails here until someone decides. And the policy
names only fields that exist, so a rename cannot silently open one."""

from gateway.access.policy import (
    ADMIN_FIELDS,
    PERSON_FIELDS,
    PERSON_FORBIDDEN,
    PERSON_ROOTS,
    required_scope,
)
from gateway.access.principal import ALL_SCOPES, Scope, parse_scopes, stored_scopes
from gateway.graphql.schema import schema


def root_fields() -> set[str]:
    ours = schema._schema
    found = set()
    for root in (ours.query_type, ours.mutation_type, ours.subscription_type):
        assert root is not None
        found |= {f"{root.name}.{name}" for name in root.fields}
    return found


def test_every_root_field_is_decided_for_end_users() -> None:
    undecided = root_fields() - ADMIN_FIELDS - set(PERSON_ROOTS) - PERSON_FORBIDDEN
    assert not undecided, f"decide who may use these (gateway.access.policy): {undecided}"


def test_the_policy_names_only_fields_that_exist() -> None:
    ours = schema._schema
    roots = root_fields()
    for coordinate in ADMIN_FIELDS | set(PERSON_ROOTS) | PERSON_FORBIDDEN:
        assert coordinate in roots, coordinate
    for coordinate in PERSON_FIELDS:
        type_name, field = coordinate.split(".")
        found = ours.type_map[type_name]
        assert field in getattr(found, "fields", {}), coordinate
    assert not set(PERSON_ROOTS) & ADMIN_FIELDS


def test_keys_need_read_for_queries_write_for_mutations_admin_for_administration() -> None:
    assert required_scope("Query.people") is Scope.READ
    assert required_scope("Mutation.enroll") is Scope.WRITE
    assert required_scope("Mutation.runMatching") is Scope.ADMIN
    assert required_scope("Query.apiKeys") is Scope.ADMIN
    assert required_scope("Subscription.programEvents") is Scope.READ
    assert required_scope("Person.history") is None


def test_scopes_as_stored() -> None:
    assert parse_scopes("*") == ALL_SCOPES  # keys issued before scopes could do everything
    assert parse_scopes(stored_scopes({Scope.READ, Scope.ADMIN})) == {Scope.READ, Scope.ADMIN}
    assert parse_scopes("read nonsense") == {Scope.READ}
