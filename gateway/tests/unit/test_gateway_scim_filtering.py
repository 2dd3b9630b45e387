"""Which SCIM filters Cairn answers, and how pages are read."""

import pytest
from gateway.scim.filtering import NO_MATCH, Equals, page, read_filter
from gateway.scim.groups import GROUP_FILTERS
from gateway.scim.service import GroupResource, UserResource
from gateway.scim.users import USER_FILTERS
from hypothesis import given
from hypothesis import strategies as st
from scim2_models import InvalidFilterException


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "Ada"', Equals("user_name", "Ada", case_exact=False)),
        ('USERNAME EQ "Ada"', Equals("user_name", "Ada", case_exact=False)),
        (
            'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "Ada"',
            Equals("user_name", "Ada", case_exact=False),
        ),
        ('externalId eq "E-1"', Equals("external_id", "E-1", case_exact=True)),
        ('id eq "2819c223"', Equals("id", "2819c223", case_exact=True)),
    ],
)
def test_user_filters_read_into_an_equality(expression: str, expected: Equals) -> None:
    assert read_filter(UserResource, expression, USER_FILTERS, lenient=False) == expected


def test_group_filters_read_display_name() -> None:
    assert read_filter(GroupResource, 'displayName eq "Mentors"', GROUP_FILTERS, lenient=False) == (
        Equals("display_name", "Mentors", case_exact=False)
    )


@pytest.mark.parametrize(
    "expression",
    [
        'userName sw "a"',
        'title eq "x"',
        'userName eq "a" or userName eq "b"',
        "not (userName pr)",
        'emails[type eq "work"]',
        'name.givenName eq "Ada"',
        "userName eq 3",
        'nosuch eq "x"',
        "userName eq",
        "((",
    ],
)
def test_other_filters_are_refused_as_invalid(expression: str) -> None:
    with pytest.raises(InvalidFilterException) as refused:
        read_filter(UserResource, expression, USER_FILTERS, lenient=False)
    assert refused.value.scim_type == "invalidFilter"


def test_an_attribute_a_type_lacks_matches_nothing_in_a_search_across_types() -> None:
    assert read_filter(GroupResource, 'userName eq "a"', GROUP_FILTERS, lenient=True) is NO_MATCH
    with pytest.raises(InvalidFilterException):
        read_filter(GroupResource, 'userName eq "a"', GROUP_FILTERS, lenient=False)


@given(
    start=st.one_of(st.none(), st.integers(min_value=-5, max_value=10_000)),
    count=st.one_of(st.none(), st.integers(min_value=-5, max_value=10_000)),
    most=st.integers(min_value=1, max_value=500),
)
def test_pages_start_at_one_and_hold_at_most_the_maximum(
    start: int | None, count: int | None, most: int
) -> None:
    window = page(start, count, most)
    assert window.offset == max(start or 1, 1) - 1
    assert 0 <= window.limit <= most
    if count is None or count >= most:
        assert window.limit == most
    else:
        assert window.limit == max(count, 0)
