"""The mutation convention: a payload with `userErrors` for what the caller can fix. A
mutation that returns userErrors has changed nothing."""

from enum import Enum

import strawberry


@strawberry.enum
class UserErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    NOT_ALLOWED_IN_STATE = "NOT_ALLOWED_IN_STATE"
    CAPACITY_REACHED = "CAPACITY_REACHED"
    INELIGIBLE = "INELIGIBLE"


@strawberry.type
class UserError:
    field: list[str] | None
    message: str
    code: UserErrorCode


def user_error(message: str, code: UserErrorCode, *path: str) -> UserError:
    return UserError(field=list(path) or None, message=message, code=code)


def from_problem(problem: dict[str, object], default_field: str = "input") -> list[UserError]:
    """A service's 4xx problem+json as userErrors: each `errors[].field` (dotted, camelCase)
    becomes a path under `input`; the code comes from the problem's `code` when it has one."""
    code_name = str(problem.get("code") or "INVALID")
    code = (
        UserErrorCode[code_name]
        if code_name in UserErrorCode.__members__
        else UserErrorCode.INVALID
    )
    errors = problem.get("errors")
    if isinstance(errors, list) and errors:
        return [
            user_error(
                str(e.get("message", "invalid")),
                code,
                *(["input", *str(e["field"]).split(".")] if e.get("field") else [default_field]),
            )
            for e in errors
            if isinstance(e, dict)
        ]
    return [
        user_error(
            str(problem.get("detail") or problem.get("title") or "invalid"), code, default_field
        )
    ]
