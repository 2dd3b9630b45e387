"""The static cost of a query (GitHub's node-limit model): connections cost their `first`,
nested lists multiply, objects cost 1, scalars 0; fragments count where they are spread. Read
on the real schema, parsed from its printed SDL."""

from typing import Any

import pytest
from gateway.graphql.cost import ASSUMED_LIST_SIZE, CostUnknown, query_cost
from gateway.graphql.schema import schema
from graphql import build_schema, parse
from hypothesis import given, settings
from hypothesis import strategies as st

SCHEMA = build_schema(schema.as_str())
BOMB_PERSON = "history{field} managers{id} matches{id} reports(first:100){totalCount}"
# Finding 2 of issue 9: 30 aliases, inside the depth, alias and token limits.
BOMB = (
    "{"
    + " ".join(f"a{i}: people(first:100){{edges{{node{{{BOMB_PERSON}}}}}}}" for i in range(30))
    + "}"
)


def cost(query: str, variables: dict[str, Any] | None = None, name: str | None = None) -> int:
    return query_cost(SCHEMA, parse(query), name, variables)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ people(first: 1) { totalCount } }", 1),
        ("{ people { totalCount } }", 20),  # the default page
        ("{ people(first: null) { totalCount } }", 20),
        ("{ people(first: 100) { edges { cursor node { id displayName } } } }", 100),
        ("{ people(first: 100) { pageInfo { hasNextPage } totalCount } }", 101),
        # A person's manager: one object per node.
        ("{ people(first: 100) { edges { node { manager { id } } } } }", 100 + 100),
        # A list without `first`: its assumed size, each item an object.
        ("{ people(first: 10) { edges { node { history { field } } } } }", 10 + 10 * 10),
        ('{ person(externalId: "x") { id email skills } }', 1),
        ('{ person(externalId: "x") { managers { id } } }', 1 + ASSUMED_LIST_SIZE),
        ('{ person(externalId: "x") { reports(first: 5) { edges { depth node { id } } } } }', 6),
        ('{ matchRun(id: "x") { pairs(first: 7) { mentees { id } } } }', 1 + 7 * (1 + 10)),
        ('{ suggestMentors(programId: "p", menteeId: "m") { score } }', 5),  # its default
        ("{ __typename }", 0),
        ("{ programs { name } }", ASSUMED_LIST_SIZE),
        # Sessions: a match's series is a year of fortnightly sessions, each with its lists.
        ('{ match(id: "x") { sessions { id } } }', 1 + 26),
        ('{ match(id: "x") { sessions { agenda { text } } } }', 1 + 26 * (1 + 10)),
        ("{ sessions(first: 50) { id host { id } } }", 50 * 2),
        ("{ sessions { id } }", 20),  # the default page
        ("{ sessionsPage(first: 5) { edges { node { attendees { id } } } } }", 5 + 5 * 10),
        ('{ person(id: "x") { sessions(first: 3) { matches { id } } } }', 1 + 3 * (1 + 10)),
        (
            "{ people(first: 10) { edges { node { sessions { id } workingHours { days { end } } "
            "} } } }",
            10 + 10 * (20 + 1 + 10),
        ),
        # Feedback: a person's requests are a list (its assumed size), each naming a match.
        (
            "{ people(first: 10) { edges { node { feedbackRequests { id match { id } } } } } }",
            10 + 10 * 10 * (1 + 1),
        ),
        # Insights: one object per program, its outcome rows and chart links lists.
        (
            "{ programs { insights { nps outcomes { participants { n } } charts { svg } } } }",
            10 * (1 + 1 + 10 * (1 + 1) + 10),
        ),
        ('{ match(id: "x") { flags { evidence { kind } } } }', 1 + 10 * (1 + 10)),
    ],
)
def test_what_a_query_costs(query: str, expected: int) -> None:
    assert cost(query) == expected


def test_the_cost_bomb_of_issue_9_costs_what_it_asks() -> None:
    assert len(BOMB) > 3000
    # Per alias: 100 people, each 10 history + 10 managers + 10 matches + a page of 100.
    assert cost(BOMB) == 30 * (100 + 100 * (10 + 10 + 10 + 100))


def test_nested_lists_multiply() -> None:
    one = cost('{ person(externalId: "x") { directReports(first: 10) { totalCount } } }')
    two = cost(
        '{ person(externalId: "x") { directReports(first: 10) { edges { node { '
        "directReports(first: 10) { totalCount } } } } } }"
    )
    three = cost(
        '{ person(externalId: "x") { directReports(first: 10) { edges { node { '
        "directReports(first: 10) { edges { node { directReports(first: 10) { totalCount } "
        "} } } } } } } }"
    )
    assert (one, two, three) == (1 + 10, 1 + 10 + 100, 1 + 10 + 100 + 1000)


def test_variables_are_resolved_from_the_request() -> None:
    query = "query($n: Int) { people(first: $n) { totalCount } }"
    assert cost(query, {"n": 3}) == 3
    assert cost(query, {}) == 20  # not given: the field's default
    assert cost("query($n: Int = 7) { people(first: $n) { totalCount } }", {}) == 7
    # Beyond what a page may be, the resolver refuses `first` itself.
    assert cost(query, {"n": 10_000}) == 100
    assert cost(query, {"n": -5}) == 0


def test_the_operation_named_is_the_one_costed() -> None:
    query = "query Small { people(first: 1) { totalCount } } query Big { people { totalCount } }"
    assert cost(query, name="Small") == 1
    assert cost(query, name="Big") == 20


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query A { __typename } query B { __typename }", {}),  # which one?
        ("query($n: Int!) { people(first: $n) { totalCount } }", {}),
        ("query($n: Int) { people(first: $n) { totalCount } }", {"n": "many"}),
    ],
)
def test_a_request_execution_would_refuse_is_not_costed(
    query: str, variables: dict[str, Any]
) -> None:
    with pytest.raises(CostUnknown):
        cost(query, variables)


def test_fragments_count_where_they_are_spread() -> None:
    plain = cost(f"{{ people(first: 100) {{ edges {{ node {{ {BOMB_PERSON} }} }} }} }}")
    hidden = (
        f"fragment P on Person {{ {BOMB_PERSON} }} "
        "fragment Page on PersonConnection { edges { node { ...P } } } "
        "fragment Q on Query { people(first: 100) { ...Page } } "
        "{ ...Q }"
    )
    assert cost(hidden) == plain
    assert cost(hidden.replace("{ ...Q }", "{ ...Q ... on Query { ...Q } }")) == 2 * plain
    inline = f"{{ ... on Query {{ people(first: 100) {{ edges {{ ... on PersonEdge {{ node {{ ... {{ {BOMB_PERSON} }} }} }} }} }} }} }}"  # noqa: E501
    assert cost(inline) == plain


def test_a_fragment_named_like_introspection_is_still_counted() -> None:
    # graphql-armor's cost-limit bypass (GHSA-733v-p3h5-qpq7): a fragment named `__schema`.
    query = (
        f"fragment __schema on Person {{ {BOMB_PERSON} }} "
        "{ people(first: 100) { edges { node { ...__schema } } } }"
    )
    assert cost(query) == 100 + 100 * 130


def test_a_fragment_spread_in_many_places_is_costed_once_and_counted_each_time() -> None:
    # Each level doubles what the query asks: 2^40 persons' worth, costed in no time.
    levels = 40
    fragments = " ".join(
        f"fragment F{i} on Person {{ manager {{ ...F{i + 1} }} m: manager {{ ...F{i + 1} }} }}"
        for i in range(levels)
    )
    query = f'{fragments} fragment F{levels} on Person {{ id }} {{ person(externalId: "x") {{ ...F0 }} }}'  # noqa: E501
    assert cost(query) == 1 + sum(2**i for i in range(1, levels + 1))


def test_introspection_is_costed_like_any_other_query() -> None:
    # __schema, 10 types, each with 10 fields, each field's type an object.
    assert cost("{ __schema { types { name fields { name type { name } } } } }") == (
        1 + 10 * (1 + 10 * (1 + 1))
    )


def test_a_mutation_costs_its_payload() -> None:
    mutation = (
        'mutation { closeProgram(input: {programId: "x"}) { program { name } '
        "userErrors { field message } } }"
    )
    assert cost(mutation) == 1 + 1 + ASSUMED_LIST_SIZE


@settings(max_examples=50, deadline=None)
@given(
    aliases=st.integers(min_value=1, max_value=30), first=st.integers(min_value=1, max_value=100)
)
def test_aliases_add_up(aliases: int, first: int) -> None:
    one = f"people(first: {first}) {{ edges {{ node {{ managers {{ id }} }} }} }}"
    query = "{" + " ".join(f"a{i}: {one}" for i in range(aliases)) + "}"
    assert cost(query) == aliases * (first + first * ASSUMED_LIST_SIZE)
