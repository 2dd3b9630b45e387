"""feedback's answers: requests, responses, program insights with their time series and
charts, and early-warning flags. Comments appear only in answers to a tenant's admins."""

from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, Field

from contracts.base import ContractModel
from contracts.feedback import (
    FeedbackRequestKind,
    FeedbackRequestSnapshot,
    FlagEvidence,
    FlagReason,
)
from contracts.programs import ObjectiveMetric


class FeedbackRequestStatus(StrEnum):
    PENDING = "PENDING"
    ANSWERED = "ANSWERED"
    EXPIRED = "EXPIRED"
    WITHDRAWN = "WITHDRAWN"  # the person left the organization before answering


class ObjectiveStanding(StrEnum):
    ON_TRACK = "ON_TRACK"
    BEHIND = "BEHIND"
    MET = "MET"
    MISSED = "MISSED"
    UNKNOWN = "UNKNOWN"


class OutcomeMetric(StrEnum):
    PROMOTION = "PROMOTION"  # promoted in the window ÷ in the group at its start
    INTERNAL_MOBILITY = "INTERNAL_MOBILITY"  # made an internal move ÷ in the group at its start
    RETENTION = "RETENTION"  # still in the org at its end ÷ in the group at its start


class InsightsGrain(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"


class ChartName(StrEnum):
    ADOPTION = "adoption"
    SATISFACTION = "satisfaction"
    OUTCOMES = "outcomes"


class FeedbackRequestView(FeedbackRequestSnapshot):
    due_at: AwareDatetime
    status: FeedbackRequestStatus
    response_id: str | None = None


class PersonFeedbackRequests(ContractModel):
    """One person's requests (one of a batch: the gateway's DataLoaders)."""

    person_id: str
    items: list[FeedbackRequestView]


class FeedbackView(ContractModel):
    id: str
    request_id: str
    program_id: str
    kind: FeedbackRequestKind
    match_id: str | None = None
    session_id: str | None = None
    respondent_id: str
    rating: int
    recommend_score: int | None = None
    goal_progress: int | None = None
    tags: list[str] = Field(default_factory=list)
    comment: str | None = Field(default=None, description="Only in answers to tenant admins")
    revision: int
    submitted_at: AwareDatetime
    updated_at: AwareDatetime
    editable_until: AwareDatetime


class IntervalView(ContractModel):
    low: float
    high: float


class ShareView(ContractModel):
    """Under-represented people among a group (of those who said), or suppressed."""

    count: int | None = None
    of: int | None = None
    share: float | None = None
    suppressed: bool = False


class RepresentationView(ContractModel):
    mentees: ShareView
    mentors: ShareView
    promoted: ShareView


class GroupRateView(ContractModel):
    n: int
    events: int
    rate: float | None = None
    low: float | None = None
    high: float | None = None


class OutcomeRowView(ContractModel):
    metric: OutcomeMetric
    subgroup: str = Field(description='"all", "underrepresented=yes", "department=Sales"')
    suppressed: bool
    participants: GroupRateView | None = None
    comparison: GroupRateView | None = None
    difference: float | None = None
    difference_low: float | None = None
    difference_high: float | None = None


class OutcomeWindowView(ContractModel):
    start: AwareDatetime
    end: AwareDatetime


class ObjectiveProgressView(ContractModel):
    metric: ObjectiveMetric
    target: float
    baseline: float | None = None
    due_on: date
    description: str | None = None
    current: float | None = None
    standing: ObjectiveStanding
    on_track: bool | None = None


class ChartLinkView(ContractModel):
    name: ChartName
    title: str
    svg: str = Field(description="Path on the gateway: /programs/{id}/charts/{name}.svg")
    png: str


class ProgramInsightsView(ContractModel):
    program_id: str
    as_of: AwareDatetime
    minimum_group_size: int
    enrolled_mentors: int
    enrolled_mentees: int
    enrolled_peers: int
    eligible: int | None = None
    participation_rate: float | None = None
    open_matches: int
    active_matches: int
    sessions_completed: int
    sessions_per_active_match: float | None = None
    completion_rate: float | None = None
    average_rating: float | None = None
    rating_interval: IntervalView | None = None
    rating_responses: int
    nps: float | None = None
    nps_interval: IntervalView | None = None
    nps_responses: int
    requests: int
    response_rate: float | None = None
    mean_goal_progress: float | None = None
    representation: RepresentationView
    promotion_rate: float | None = None
    internal_mobility_rate: float | None = None
    outcome_window: OutcomeWindowView | None = None
    outcomes: list[OutcomeRowView]
    participants_unmatched: int | None = None
    method: str
    objectives: list[ObjectiveProgressView]
    charts: list[ChartLinkView]


class PeriodView(ContractModel):
    period: str = Field(description='"2025-W07" or "2025-03" (UTC)')
    starts_on: date
    enrolled_mentors: int
    enrolled_mentees: int
    active_matches: int
    matches_started: int
    sessions_completed: int
    responses: int
    average_rating: float | None = None
    rating_interval: IntervalView | None = None
    rating_responses: int
    nps: float | None = None
    nps_interval: IntervalView | None = None
    nps_responses: int
    requests: int
    response_rate: float | None = None


class InsightsSeriesView(ContractModel):
    program_id: str
    grain: InsightsGrain
    periods: list[PeriodView]


class FlagView(ContractModel):
    id: str
    match_id: str
    program_id: str
    reason_code: FlagReason
    reason: str
    flagged_by: str
    flagged_at: datetime
    evidence: list[FlagEvidence]


class WarningThresholdsView(ContractModel):
    """A program's early-warning thresholds (defaults in ARCHITECTURE, feedback section);
    durations in days, fractions allowed."""

    low_session_rating: int = Field(default=2, ge=1, le=5)
    low_pulse_rating: int = Field(default=2, ge=1, le=5)
    misses_in_a_row: int = Field(default=2, ge=1, le=50)
    misses_in_window: int = Field(default=3, ge=1, le=50)
    miss_window_days: float = Field(default=60, gt=0, le=730)
    silence_days: float = Field(default=30, gt=0, le=730)
    trend_length: int = Field(default=3, ge=2, le=20)
    trend_min_drop: int = Field(default=2, ge=1, le=4)
    rating_lookback_days: float = Field(default=60, gt=0, le=730)
