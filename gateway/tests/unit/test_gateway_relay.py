"""Relay connections as the public API shows them, built from a service's page, under the one
page-size rule."""

import pytest
from contracts.pages import DEFAULT_PAGE, MAX_PAGE
from contracts.pages import Connection as ConnectionView
from contracts.pages import Edge as EdgeView
from gateway.graphql.errors import BadUserInput
from gateway.graphql.relay import Connection, connection, page_size
from gateway.graphql.schema import schema
from graphql import build_schema
from hypothesis import given
from hypothesis import strategies as st

KEYS = st.lists(st.text(min_size=1, max_size=8), max_size=12, unique=True)


def page_of(keys: list[str], *, total: int, more: bool) -> ConnectionView[EdgeView[str]]:
    return ConnectionView[EdgeView[str]].model_validate(
        {
            "edges": [{"cursor": f"c-{key}", "node": key} for key in keys],
            "totalCount": total,
            "hasNextPage": more,
        }
    )


def test_nodes_are_shown_as_asked_and_cursors_pass_through() -> None:
    built = connection(page_of(["a", "b", "c"], total=9, more=True), str.upper)
    assert [(e.node, e.cursor) for e in built.edges] == [("A", "c-a"), ("B", "c-b"), ("C", "c-c")]
    assert built.page_info.has_next_page is True
    assert built.page_info.end_cursor == "c-c"
    assert built.total_count == 9


def test_an_empty_page_has_no_end_cursor() -> None:
    built = connection(page_of([], total=0, more=False), str.upper)
    assert built.edges == []
    assert built.page_info.end_cursor is None
    assert built.page_info.has_next_page is False
    empty: Connection[str] = Connection.empty()
    assert (empty.edges, empty.total_count, empty.page_info.end_cursor) == ([], 0, None)


@given(keys=KEYS, more=st.booleans())
def test_a_page_keeps_its_order_and_ends_at_its_last_cursor(keys: list[str], more: bool) -> None:
    built = connection(page_of(keys, total=len(keys) + 5, more=more), lambda key: key)
    assert [e.node for e in built.edges] == keys
    assert built.page_info.end_cursor == (f"c-{keys[-1]}" if keys else None)
    assert built.page_info.has_next_page is more


def test_the_page_size_rule_is_the_projects() -> None:
    assert page_size(None) == DEFAULT_PAGE
    assert page_size(1) == 1
    assert page_size(MAX_PAGE) == MAX_PAGE


@pytest.mark.parametrize("first", [0, -1, MAX_PAGE + 1, 500])
def test_a_page_size_out_of_bounds_is_bad_user_input_naming_first(first: int) -> None:
    with pytest.raises(BadUserInput) as raised:
        page_size(first)
    assert raised.value.extensions == {"code": "BAD_USER_INPUT", "field": "first"}
    assert raised.value.message == f"first must be between 1 and {MAX_PAGE}"


def test_generic_connections_keep_their_public_names() -> None:
    types = build_schema(schema.as_str()).type_map
    for node in ("Person", "Enrollment", "Match", "OrgChangeRejection"):
        assert f"{node}Connection" in types
        assert f"{node}Edge" in types
    assert "ReportConnection" in types  # its edges say more (their depth)
