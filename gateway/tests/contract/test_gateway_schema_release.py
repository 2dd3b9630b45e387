"""The schema against the last release (`gateway/schema.release.graphql`, committed when a
release is cut): a breaking change (a field removed, a type changed, an argument made
required) fails; a dangerous one (an enum value or an optional argument added) is printed for
the release notes. `make test` runs it with the contract tests."""

from pathlib import Path

from gateway.graphql.schema import schema
from graphql import build_schema, find_breaking_changes, find_dangerous_changes

RELEASED = Path(__file__).resolve().parents[2] / "schema.release.graphql"


def test_no_breaking_change_since_the_last_release() -> None:
    released = build_schema(RELEASED.read_text())
    breaking = find_breaking_changes(released, schema._schema)
    assert not breaking, "\n".join(f"{c.type.name}: {c.description}" for c in breaking)
    for change in find_dangerous_changes(released, schema._schema):
        print(f"dangerous: {change.type.name}: {change.description}")


def test_a_removed_field_would_fail() -> None:
    released = build_schema("type Query { a: Int b: String }")
    current = build_schema("type Query { a: Int }")
    assert [c.description for c in find_breaking_changes(released, current)] == [
        "Field Query.b was removed."
    ]
