"""The HTTP shapes of matching's internal API (camelCase JSON), and refusals as problem+json."""

from typing import Any

from contracts.matches import MatchRunSnapshot, MatchSnapshot
from contracts.programs import MatchObjective
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, field_validator
from pydantic.alias_generators import to_camel
from runtime.problems import PROBLEM_JSON

from matching.adapters.tables import MatchRunPair, MatchRunRow
from matching.domain.model import Suggestion
from matching.service_layer.cohorts import CRITERIA
from matching.service_layer.matches import reasons_json
from matching.service_layer.refusals import Code, Refused
from matching.service_layer.runs import run_snapshot


class Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class PolicyTrial(Shape):
    """A matching policy a dry run tries instead of the program's, in the program's policy
    shape; what it leaves out takes the defaults a new program would get."""

    mentors_per_mentee: int = Field(default=1, ge=1, le=10)
    group_size: int | None = Field(default=None, ge=2, le=100)
    min_level_gap: int | None = Field(default=None, ge=-20, le=20)
    max_level_gap: int | None = Field(default=None, ge=-20, le=20)
    cross_department: bool = True
    prioritize_underrepresented: bool = False
    weights: dict[str, FiniteFloat] = Field(default_factory=dict, max_length=20)
    objective: MatchObjective = MatchObjective.BEST_TOTAL

    @field_validator("weights")
    @classmethod
    def _known_criteria(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(CRITERIA))
        if unknown:
            raise ValueError(f"not criteria: {', '.join(unknown)} (known: {', '.join(CRITERIA)})")
        return weights


class RunRequest(Shape):
    dry_run: bool = False
    policy: PolicyTrial | None = Field(
        default=None, description="Dry runs only: try this policy instead of the program's"
    )


class ChoiceRequest(Shape):
    mentee_id: str = Field(min_length=1, max_length=64)
    mentor_id: str = Field(min_length=1, max_length=64)


class DecisionRequest(Shape):
    person_id: str | None = Field(default=None, max_length=64)
    reason: str | None = None


class ReasonOut(Shape):
    criterion: str
    contribution: float
    explanation: str


class MatchList(Shape):
    items: list[MatchSnapshot]


class MatchEdge(Shape):
    node: MatchSnapshot
    cursor: str


class MatchPage(Shape):
    edges: list[MatchEdge]
    has_next_page: bool
    total_count: int


class RunOut(MatchRunSnapshot):
    """A run as the API shows it: its event snapshot, with who was left unmatched and why;
    the aggregates only once it completed."""

    by_group: dict[str, Any] | None  # type: ignore[assignment]
    unmatched: list[dict[str, Any]]

    @classmethod
    def of(cls, run: MatchRunRow) -> "RunOut":
        fields = dict(run_snapshot(run))
        fields["by_group"] = run.by_group if run.status == "COMPLETED" else None
        return cls(**fields, unmatched=list(run.unmatched))


class PairOut(Shape):
    mentor_id: str
    mentee_ids: list[str]
    score: float
    reasons: list[ReasonOut]
    cursor: str

    @classmethod
    def of(cls, pair: MatchRunPair) -> "PairOut":
        return cls(
            mentor_id=pair.mentor_id,
            mentee_ids=list(pair.mentee_ids),
            score=pair.score,
            reasons=[ReasonOut.model_validate(r) for r in pair.reasons],
            cursor=str(pair.position),
        )


class PairPage(Shape):
    items: list[PairOut]
    has_next_page: bool


class SuggestionOut(Shape):
    mentor_id: str
    score: float
    rank_score: float
    reasons: list[ReasonOut]

    @classmethod
    def of(cls, s: Suggestion) -> "SuggestionOut":
        return cls(
            mentor_id=s.mentor_id,
            score=round(s.score, 4),
            rank_score=s.rank_score,
            reasons=[ReasonOut.model_validate(r) for r in reasons_json(s.reasons)],
        )


class SuggestionList(Shape):
    items: list[SuggestionOut]


class CohortOut(Shape):
    """What matching knows of a program's pool (to see the replicas caught up)."""

    program_id: str
    status: str
    mentors: int
    mentees: int
    unknown_people: int


_STATUS = {
    Code.INVALID: 422,
    Code.NOT_FOUND: 404,
    Code.CONFLICT: 409,
    Code.NOT_ALLOWED_IN_STATE: 409,
    Code.CAPACITY_REACHED: 409,
    Code.INELIGIBLE: 422,
}
_TITLE = {
    Code.INVALID: "Invalid request",
    Code.NOT_FOUND: "Not Found",
    Code.CONFLICT: "Conflict",
    Code.NOT_ALLOWED_IN_STATE: "Not allowed in this state",
    Code.CAPACITY_REACHED: "Capacity reached",
    Code.INELIGIBLE: "Not eligible",
}


def refusal(refused: Refused) -> JSONResponse:
    """RFC 9457 problem+json naming the field, with the extension member `code` (the
    gateway's userError code). NOT_FOUND of an id in the body is a 422, of the path a 404."""
    status = _STATUS[refused.code]
    if refused.code is Code.NOT_FOUND and refused.field is not None:
        status = 422
    body = {
        "type": "about:blank",
        "title": _TITLE[refused.code],
        "status": status,
        "detail": f"{refused.field}: {refused.message}" if refused.field else refused.message,
        "errors": [{"field": refused.field, "message": refused.message}],
        "code": refused.code.value,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
