"""HTTP shapes of profiles' internal API. Sensitive self-identification never leaves here."""

from datetime import date

from contracts.base import ContractModel
from contracts.people import PersonStatus
from pydantic import Field

from profiles.adapters.tables import Person


class PersonPublic(ContractModel):
    id: str
    external_id: str | None
    email: str
    display_name: str
    given_name: str | None
    family_name: str | None
    title: str | None
    department: str | None
    location: str | None
    time_zone: str
    level: int | None
    manager_external_id: str | None
    hire_date: date | None
    status: PersonStatus
    languages: list[str]
    skills: list[str] = Field(default_factory=list)
    interests: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, row: Person) -> "PersonPublic":
        return cls.model_validate(row, from_attributes=True)


class PersonEdge(ContractModel):
    cursor: str
    node: PersonPublic


class PeoplePage(ContractModel):
    edges: list[PersonEdge]
    total_count: int
    has_next_page: bool


class PeopleBatchRequest(ContractModel):
    ids: list[str] = Field(default_factory=list, max_length=500)
    external_ids: list[str] = Field(default_factory=list, max_length=500)


class PeopleBatch(ContractModel):
    items: list[PersonPublic]
