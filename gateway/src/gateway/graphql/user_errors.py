"""The mutation convention: a payload with `userErrors` for what the caller can fix. A
mutation that returns userErrors has changed nothing.

The one mapping from a service's refusal (`contracts.problems.Problem`) to userErrors; the
code is the refusal's own (`Code`, known to GraphQL as UserErrorCode)."""

import strawberry
from contracts.problems import Problem

from gateway.graphql.enums import Code

INPUT = "input"


@strawberry.type
class UserError:
    field: list[str] | None
    message: str
    code: Code


def user_error(message: str, code: Code, *path: str) -> UserError:
    return UserError(field=list(path) or None, message=message, code=code)


def not_found(what: str, field: str) -> list[UserError]:
    """The mutation's input names an id (`field`) of nothing the caller may see."""
    return [user_error(f"no such {what}", Code.NOT_FOUND, INPUT, field)]


def from_problem(problem: Problem) -> list[UserError]:
    """A refusal as userErrors: each `errors[].field` (dotted camelCase) becomes a path under
    `input`, an error naming no field `input` itself; a refusal without a code is INVALID
    (a request the service could not read)."""
    code = problem.code or Code.INVALID
    if not problem.errors:
        return [user_error(problem.detail or problem.title, code, INPUT)]
    return [
        user_error(error.message, code, INPUT, *(error.field.split(".") if error.field else ()))
        for error in problem.errors
    ]
