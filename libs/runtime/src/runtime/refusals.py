"""The one way a use case says no: raise `Refused` with a `Code` and the fields at fault. Its
transaction is never committed, so a refused request has changed nothing. Every service's API
answers it as problem+json (`runtime.problems`); the gateway as GraphQL userErrors.

Pure: domain code raises it too, so this module imports nothing of the web stack."""

from collections.abc import Sequence

from contracts.problems import Code, FieldError


class Refused(Exception):
    def __init__(self, code: Code, field: str | None, message: str) -> None:
        self.code = code
        self.errors = [FieldError(field=field, message=message)]
        super().__init__(self.describe())

    @classmethod
    def many(cls, code: Code, errors: Sequence[FieldError]) -> "Refused":
        """One refusal naming several fields (e.g. every bad member of a definition)."""
        if not errors:
            raise ValueError("a refusal names at least one reason")
        refused = cls(code, errors[0].field, errors[0].message)
        refused.errors = list(errors)
        refused.args = (refused.describe(),)
        return refused

    @property
    def field(self) -> str | None:
        return self.errors[0].field

    @property
    def message(self) -> str:
        return self.errors[0].message

    def describe(self) -> str:
        return "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in self.errors)


def not_found(what: str, field: str | None = None) -> Refused:
    """NOT_FOUND of the addressed resource (no field: a 404), or of an id the request names
    (the field: a 422). Another tenant's object is not found either: existence never leaks."""
    return Refused(Code.NOT_FOUND, field, f"no such {what}")


def invalid(field: str | None, message: str) -> Refused:
    return Refused(Code.INVALID, field, message)
