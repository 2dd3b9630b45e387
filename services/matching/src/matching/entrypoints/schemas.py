"""The requests matching's internal API accepts (camelCase JSON). Its answers are the
contracts' views (`contracts.matches`, `contracts.internal.matching`, `contracts.pages`)."""

from typing import Annotated

from contracts.internal.matching import ProposedPair
from contracts.pages import Items
from contracts.programs import MatchingPolicyTerms
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel


class Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class RunRequest(Shape):
    dry_run: bool = False
    policy: MatchingPolicyTerms | None = Field(
        default=None,
        description="Dry runs only: try this policy instead of the program's; what it leaves "
        "out takes the defaults a new program would get",
    )


class ChoiceRequest(Shape):
    mentee_id: str = Field(min_length=1, max_length=64)
    mentor_id: str = Field(min_length=1, max_length=64)


class PeopleMatchesRequest(Shape):
    """The people of a page, asked about together (the gateway's DataLoaders)."""

    person_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        max_length=500
    )
    status: list[str] = Field(default_factory=list, max_length=20)


class MatchesRequest(Shape):
    """Matches by id, asked about together (the gateway's DataLoaders)."""

    ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        max_length=500
    )


class DecisionRequest(Shape):
    person_id: str | None = Field(default=None, max_length=64)
    reason: str | None = None


class ProposedPairs(Items[ProposedPair]):
    """A run's pairs, one page at a time: each pair's cursor leads to the ones that follow."""

    has_next_page: bool
