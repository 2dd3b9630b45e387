"""The one error vocabulary between the services and the gateway: why a use case changed
nothing (`Code`), and the RFC 9457 problem+json body every internal API refuses with. The
gateway parses a refusal into `Problem` once and answers it as GraphQL `userErrors`."""

from enum import StrEnum

from pydantic import Field

from contracts.base import ContractModel


class Code(StrEnum):
    """Why a request was refused; GraphQL reports it as the userError code."""

    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    NOT_ALLOWED_IN_STATE = "NOT_ALLOWED_IN_STATE"
    CAPACITY_REACHED = "CAPACITY_REACHED"
    INELIGIBLE = "INELIGIBLE"


class FieldError(ContractModel):
    field: str | None = Field(
        default=None, description="Dotted camelCase path (`curriculum.cadence`); null: the whole"
    )
    message: str


class Problem(ContractModel):
    """RFC 9457 problem details, with `errors` naming each bad field and the extension member
    `code` (absent on errors that are not refusals, such as a 401)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] = Field(default_factory=list)
    code: Code | None = None
