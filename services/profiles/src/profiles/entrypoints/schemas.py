"""What profiles' people API takes in (its answers are the contract views, `views`). Sensitive
self-identification comes in here and never goes out: no view has a field for it."""

from typing import Annotated, Any

from contracts.base import ContractModel
from contracts.pages import DEFAULT_PAGE, MAX_PAGE
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

from profiles.domain.profile import distinct


class PeopleBatchRequest(ContractModel):
    ids: list[str] = Field(default_factory=list, max_length=500)
    external_ids: list[str] = Field(default_factory=list, max_length=500)
    # Case-insensitively: how the gateway finds the person an end-user token names by email.
    emails: list[str] = Field(default_factory=list, max_length=500)


PersonId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class PersonIdsBatch(ContractModel):
    """The people of a page, asked about together (the gateway's DataLoaders)."""

    model_config = ConfigDict(extra="forbid")

    person_ids: list[PersonId] = Field(max_length=500)


class ReportsBatch(PersonIdsBatch):
    first: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    recursive: bool = False


class DirectReportsBatch(PersonIdsBatch):
    first: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)


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
