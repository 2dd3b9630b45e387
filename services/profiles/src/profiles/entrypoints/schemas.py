"""HTTP shapes of profiles' internal API. Sensitive self-identification comes in here and
never goes out: no response shape has a field for it."""

from datetime import date, datetime
from typing import Annotated, Any

from contracts.base import ContractModel
from contracts.people import PersonStatus
from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from profiles.adapters.tables import OrgChangeRejection, Person, PersonChange
from profiles.domain.profile import distinct


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
    user_name: str | None = None
    bio: str | None = None

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


# --- the org graph ---------------------------------------------------------------------------


class ManagerChainPublic(ContractModel):
    items: list[PersonPublic] = Field(description="Nearest manager first, up to the top")
    pending_manager_external_id: str | None = Field(
        description="The chain names this manager, who is not known yet (it ends there)"
    )


class ReportEdge(ContractModel):
    cursor: str
    depth: int = Field(description="1 for a direct report, 2 for their reports, …")
    node: PersonPublic


class ReportsPage(ContractModel):
    edges: list[ReportEdge]
    total_count: int
    has_next_page: bool


class PersonChangePublic(ContractModel):
    field: str = Field(description="title, level, department or managerExternalId")
    from_value: str | int | None
    to_value: str | int | None
    effective_at: datetime
    source_version: int
    recorded_at: datetime
    change_id: str | None

    @classmethod
    def of(cls, row: PersonChange) -> "PersonChangePublic":
        return cls.model_validate(row, from_attributes=True)


class PersonHistoryPublic(ContractModel):
    items: list[PersonChangePublic] = Field(description="Oldest first, by effective time")


class RejectionPublic(ContractModel):
    id: str
    change_id: str
    change_type: str
    external_id: str
    person_id: str | None
    source_version: int
    effective_at: datetime
    field: str | None = Field(description="The refused part; null when the whole change was")
    reason: str
    rejected_at: datetime

    @classmethod
    def of(cls, row: OrgChangeRejection) -> "RejectionPublic":
        return cls.model_validate({**row.model_dump(), "id": str(row.id)})


class RejectionEdge(ContractModel):
    cursor: str
    node: RejectionPublic


class RejectionsPage(ContractModel):
    edges: list[RejectionEdge]
    total_count: int
    has_next_page: bool


# --- self-service ----------------------------------------------------------------------------

MAX_TAGS = 50
MAX_TAG_LENGTH = 100
MAX_LANGUAGES = 20
MAX_BIO_LENGTH = 2000
MAX_DEMOGRAPHICS = 20

Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TAG_LENGTH)
]
# A BCP 47 language tag, as the HRIS sends them: "en", "pt-BR", "zh-Hant".
LanguageTag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
    ),
]
Bio = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_BIO_LENGTH)]


class ProfileEdit(ContractModel):
    """A merge patch of the profile: an absent field stays, null clears it."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not a no-op

    skills: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    interests: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    languages: list[LanguageTag] | None = Field(default=None, max_length=MAX_LANGUAGES)
    bio: Bio | None = None

    @field_validator("skills", "interests", "languages")
    @classmethod
    def _once_each(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(distinct(values))

    def values(self) -> dict[str, Any]:
        """The fields this edit sets, as stored (cleared lists are empty, a blank bio none)."""
        out: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name == "bio":
                out[name] = value or None
            else:
                out[name] = list(value or ())
        return out


DemographicValue = (
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
    | StrictBool
    | StrictInt
    | None
)


class SelfIdentificationRequest(ContractModel):
    """Opt-in answers used only for fair matching and aggregate reporting."""

    model_config = ConfigDict(extra="forbid")

    consented: StrictBool
    underrepresented: StrictBool | None = None
    demographics: (
        dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], DemographicValue]
        | None
    ) = Field(default=None, max_length=MAX_DEMOGRAPHICS)

    @field_validator("underrepresented", "demographics")
    @classmethod
    def _only_with_consent(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("consented") is False:
            raise PydanticCustomError(
                "consent_required",
                "must be null when consented is false (withdrawing consent clears the answers)",
            )
        return value
