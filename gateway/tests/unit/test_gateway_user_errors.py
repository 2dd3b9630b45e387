"""The one mapping from a service's refusal (problem+json, parsed into `Problem`) to GraphQL
userErrors: every field error becomes one userError under `input`, with the refusal's code."""

from contracts.problems import Code, FieldError, Problem
from gateway.graphql.schema import schema
from gateway.graphql.user_errors import from_problem, not_found
from graphql import GraphQLEnumType, build_schema
from hypothesis import given
from hypothesis import strategies as st

SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789", min_size=1)
FIELD_ERRORS = st.lists(
    st.builds(
        FieldError,
        field=st.none() | st.lists(SEGMENT, min_size=1, max_size=4).map(".".join),
        message=st.text(min_size=1),
    ),
    min_size=1,
    max_size=5,
)


def test_each_field_error_is_a_path_under_input_with_the_refusals_code() -> None:
    problem = Problem.model_validate(
        {
            "title": "Not eligible",
            "status": 422,
            "detail": "levels: only levels 2, 3, 4; curriculum.cadence: no BYSETPOS",
            "code": "INELIGIBLE",
            "errors": [
                {"field": "levels", "message": "only levels 2, 3, 4"},
                {"field": "curriculum.cadence", "message": "no BYSETPOS"},
                {"field": None, "message": "the whole request"},
            ],
        }
    )
    assert [(e.field, e.message, e.code) for e in from_problem(problem)] == [
        (["input", "levels"], "only levels 2, 3, 4", Code.INELIGIBLE),
        (["input", "curriculum", "cadence"], "no BYSETPOS", Code.INELIGIBLE),
        (["input"], "the whole request", Code.INELIGIBLE),
    ]


def test_a_refusal_naming_no_field_is_its_detail_under_input() -> None:
    problem = Problem(title="Conflict", status=409, detail="already open", code=Code.CONFLICT)
    [error] = from_problem(problem)
    assert (error.field, error.message, error.code) == (["input"], "already open", Code.CONFLICT)

    bare = Problem(title="Not allowed in this state", status=409, code=Code.NOT_ALLOWED_IN_STATE)
    assert [e.message for e in from_problem(bare)] == ["Not allowed in this state"]


def test_a_request_the_service_could_not_read_is_invalid() -> None:
    """A validation 422 carries no `code`: the caller's input was invalid."""
    problem = Problem(
        title="Invalid request",
        status=422,
        errors=[FieldError(field="weights.vibes", message="not a criterion")],
    )
    [error] = from_problem(problem)
    assert (error.field, error.code) == (["input", "weights", "vibes"], Code.INVALID)


@given(errors=FIELD_ERRORS, code=st.sampled_from(Code))
def test_nothing_a_refusal_says_is_lost(errors: list[FieldError], code: Code) -> None:
    problem = Problem(title="Refused", status=422, errors=errors, code=code)
    mapped = from_problem(problem)
    assert len(mapped) == len(errors)
    for user_error, error in zip(mapped, errors, strict=True):
        assert user_error.code is code
        assert user_error.message == error.message
        assert user_error.field is not None
        assert user_error.field[0] == "input"
        assert ".".join(user_error.field[1:]) == (error.field or "")


def test_an_id_of_nothing_is_not_found_naming_the_field() -> None:
    [error] = not_found("program", "programId")
    assert (error.field, error.message, error.code) == (
        ["input", "programId"],
        "no such program",
        Code.NOT_FOUND,
    )


def test_user_error_code_is_the_contracts_code_under_its_public_name() -> None:
    enum = build_schema(schema.as_str()).type_map["UserErrorCode"]
    assert isinstance(enum, GraphQLEnumType)
    assert set(enum.values) == {code.value for code in Code}
