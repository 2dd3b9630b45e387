"""The requests feedback's internal API accepts (camelCase JSON). Its answers are the
contracts' views (`contracts.internal.feedback`, `contracts.pages`); the API is described in
ARCHITECTURE (feedback section). Ranges are checked by the domain (`domain.responses`), so
every bad field is named in one refusal, not by pydantic one at a time."""

from typing import Annotated

from contracts.internal.feedback import FeedbackRequestStatus
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class SubmitFeedbackRequest(Shape):
    """Exactly one of `requestId` / `sessionId` (the respondent's SESSION request of it)."""

    request_id: Id | None = None
    session_id: Id | None = None
    respondent_id: Id | None = Field(
        default=None, description="Required for API keys; a person submits as themselves"
    )
    rating: int | None = None
    recommend_score: int | None = None
    comment: str | None = None
    tags: list[str] = Field(default_factory=list)
    goal_progress: int | None = None


class EditFeedbackRequest(Shape):
    """The fields given are changed; the others keep their value."""

    respondent_id: Id | None = None
    rating: int | None = None
    recommend_score: int | None = None
    comment: str | None = None
    tags: list[str] | None = None
    goal_progress: int | None = None


class PeopleRequestsRequest(Shape):
    """The people of a page, asked about together (the gateway's DataLoaders)."""

    person_ids: list[Id] = Field(max_length=500)
    status: list[FeedbackRequestStatus] = Field(default_factory=list, max_length=4)


class ProgramsInsightsRequest(Shape):
    program_ids: list[Id] = Field(max_length=100)


class ResponsesRequest(Shape):
    ids: list[Id] = Field(max_length=500)
