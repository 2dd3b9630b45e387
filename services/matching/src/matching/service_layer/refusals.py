"""Why a use case changed nothing: a code the gateway reports as the userError code, and the
field at fault (None: the addressed resource itself)."""

from enum import StrEnum


class Code(StrEnum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    NOT_ALLOWED_IN_STATE = "NOT_ALLOWED_IN_STATE"
    CAPACITY_REACHED = "CAPACITY_REACHED"
    INELIGIBLE = "INELIGIBLE"


class Refused(Exception):
    def __init__(self, code: Code, field: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message


def not_found(what: str, field: str | None = None) -> Refused:
    return Refused(Code.NOT_FOUND, field, f"no such {what}")
