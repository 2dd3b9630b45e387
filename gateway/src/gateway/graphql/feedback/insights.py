"""A program's insights, named as in api-sketch.graphql (`ProgramInsights`, `ObjectiveProgress`;
a contract: add, never rename): what feedback keeps incrementally, as it answered it
(`ProgramInsightsView`), with its time series, its intervals, its suppression flags, the
method of the comparison, and links to the gateway's chart and export routes.

Every figure is feedback's own: small groups were suppressed there (a suppressed figure is
null with `suppressed` true), never recomputed here. Insights are for the tenant's admins;
a list of programs' insights is one call to feedback (`Loaders.insights_of_program`)."""

from datetime import date, datetime

import strawberry
from contracts.internal.feedback import (
    ChartLinkView,
    GroupRateView,
    InsightsSeriesView,
    IntervalView,
    ObjectiveProgressView,
    OutcomeRowView,
    OutcomeWindowView,
    PeriodView,
    ProgramInsightsView,
)
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import InsightsGrain, ObjectiveStanding, OutcomeMetric, ProgramStatus
from gateway.graphql.errors import NotFound, Unavailable
from gateway.graphql.ids import encode_id
from gateway.graphql.programs.types import Objective

# The gateway's routes for a program's rendered charts and exports (entrypoints.insights_files).
CHART_FORMATS = ("svg", "png", "json")
EXPORT_FORMATS = ("csv", "json")
# Charts drawn over time (the others ignore the grain).
TIMED_CHARTS = frozenset({"adoption", "satisfaction"})


@strawberry.type(description="A 95 % confidence interval")
class Interval:
    low: float
    high: float

    @classmethod
    def of(cls, view: IntervalView | None) -> "Interval | None":
        return None if view is None else cls(low=view.low, high=view.high)


@strawberry.type(
    description="One group's outcome: events among n people, with its Wilson 95 % interval"
)
class GroupRate:
    n: int
    events: int
    rate: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, view: GroupRateView | None) -> "GroupRate | None":
        if view is None:
            return None
        return cls(n=view.n, events=view.events, rate=view.rate, low=view.low, high=view.high)


@strawberry.type(
    description="Participants against the comparison group for one outcome and subgroup; "
    "suppressed (and every figure null) when a group, its count or its complement is under "
    "the minimum group size, or when showing it would let one be recovered"
)
class OutcomeComparison:
    metric: OutcomeMetric
    subgroup: str = strawberry.field(
        description='"all", "underrepresented=yes", "department=Sales", …'
    )
    suppressed: bool
    participants: GroupRate | None
    comparison: GroupRate | None
    difference: float | None = strawberry.field(
        description="Participants' rate minus the comparison group's"
    )
    difference_low: float | None = strawberry.field(description="Newcombe 95 % interval")
    difference_high: float | None

    @classmethod
    def of(cls, view: OutcomeRowView) -> "OutcomeComparison":
        return cls(
            metric=view.metric,
            subgroup=view.subgroup,
            suppressed=view.suppressed,
            participants=GroupRate.of(view.participants),
            comparison=GroupRate.of(view.comparison),
            difference=view.difference,
            difference_low=view.difference_low,
            difference_high=view.difference_high,
        )


@strawberry.type(description="The explicit window career outcomes are counted over")
class OutcomeWindow:
    start: datetime
    end: datetime

    @classmethod
    def of(cls, view: OutcomeWindowView | None) -> "OutcomeWindow | None":
        return None if view is None else cls(start=view.start, end=view.end)


@strawberry.type
class ObjectiveProgress:
    objective: Objective
    current: float | None = strawberry.field(
        description="Null: no data yet, or the figure is suppressed to protect a small group"
    )
    on_track: bool | None = strawberry.field(description="Null: cannot be told yet")
    standing: ObjectiveStanding = strawberry.field(
        description="Against a straight line from the baseline at the program's start to the "
        "target on its due date"
    )

    @classmethod
    def of(cls, view: ObjectiveProgressView) -> "ObjectiveProgress":
        return cls(
            objective=Objective(
                metric=view.metric,
                target=view.target,
                baseline=view.baseline,
                due_on=view.due_on,
                description=view.description,
            ),
            current=view.current,
            on_track=view.on_track,
            standing=view.standing,
        )


@strawberry.type(description="A rendered chart of the program, served by the gateway")
class ChartLink:
    name: str = strawberry.field(description="adoption, satisfaction or outcomes")
    title: str
    svg: str = strawberry.field(description="Absolute URL of the SVG (send the API key)")
    png: str
    data: str = strawberry.field(
        description="Absolute URL of the chart-ready series (JSON: values, denominators, "
        "intervals, suppression flags)"
    )


@strawberry.type(description="Where the program's insights download as files (send the API key)")
class InsightsExports:
    csv: str = strawberry.field(
        description="One row per figure: section, figure, subgroup, period, value, n, low, "
        "high, suppressed"
    )
    json: str


@strawberry.type(description="One period's figures (program-wide, so shown as they are)")
class InsightsPeriod:
    period: str = strawberry.field(description='"2025-W07" or "2025-03" (UTC)')
    starts_on: date
    enrolled_mentors: int
    enrolled_mentees: int
    active_matches: int
    matches_started: int
    sessions_completed: int
    responses: int
    average_rating: float | None
    rating_interval: Interval | None
    rating_responses: int
    nps: float | None
    nps_interval: Interval | None
    nps_responses: int
    requests: int
    response_rate: float | None

    @classmethod
    def of(cls, view: PeriodView) -> "InsightsPeriod":
        return cls(
            period=view.period,
            starts_on=view.starts_on,
            enrolled_mentors=view.enrolled_mentors,
            enrolled_mentees=view.enrolled_mentees,
            active_matches=view.active_matches,
            matches_started=view.matches_started,
            sessions_completed=view.sessions_completed,
            responses=view.responses,
            average_rating=view.average_rating,
            rating_interval=Interval.of(view.rating_interval),
            rating_responses=view.rating_responses,
            nps=view.nps,
            nps_interval=Interval.of(view.nps_interval),
            nps_responses=view.nps_responses,
            requests=view.requests,
            response_rate=view.response_rate,
        )


@strawberry.type
class InsightsSeries:
    grain: InsightsGrain
    periods: list[InsightsPeriod]

    @classmethod
    def of(cls, view: InsightsSeriesView) -> "InsightsSeries":
        return cls(grain=view.grain, periods=[InsightsPeriod.of(p) for p in view.periods])


def program_path(base_url: str, program_id: str) -> str:
    """Where the gateway serves a program's files: on the public base URL, by its public id."""
    return f"{base_url}/programs/{encode_id('Program', program_id)}"


def chart_link(
    base_url: str, view: ChartLinkView, program_id: str, grain: InsightsGrain
) -> ChartLink:
    name = view.name.value
    query = f"?grain={grain.value}" if name in TIMED_CHARTS else ""
    at = f"{program_path(base_url, program_id)}/charts/{name}"
    return ChartLink(
        name=name,
        title=view.title,
        svg=f"{at}.svg{query}",
        png=f"{at}.png{query}",
        data=f"{at}.json{query}",
    )


@strawberry.type(
    description="How the program is doing. Program-wide operational figures (enrolled, "
    "matches, sessions, average rating and NPS with their response counts) are shown as they "
    "are; anything broken down by a group of people is suppressed below minimumGroupSize, and "
    "so is whatever would let it be recovered. For the tenant's admins."
)
class ProgramInsights:
    view: strawberry.Private[ProgramInsightsView]
    base_url: strawberry.Private[str]
    enrolled_mentors: int
    enrolled_mentees: int
    participation_rate: float | None = strawberry.field(description="Enrolled / eligible")
    active_matches: int
    sessions_completed: int
    sessions_per_active_match: float | None
    average_rating: float | None = strawberry.field(description="Mean rating, 1..5")
    nps: float | None = strawberry.field(
        description="Net promoter score, -100..100: promoters answer 9-10, detractors 0-6"
    )
    representation: JSON | None = strawberry.field(
        description="Under-represented people among the mentees, the mentors and the "
        "participants promoted in the window: {count, of, share, suppressed} each, of those "
        "who said; aggregates only, suppressed below the minimum group size"
    )
    internal_mobility_rate: float | None = strawberry.field(
        description="Participants' rate over the window (see outcomes for the comparison)"
    )
    promotion_rate: float | None = strawberry.field(
        description="Participants' rate over the window (see outcomes for the comparison)"
    )
    objectives: list[ObjectiveProgress]
    as_of: datetime
    minimum_group_size: int = strawberry.field(
        description="k: no figure about fewer people is shown"
    )
    enrolled_peers: int
    eligible: int | None
    open_matches: int
    completion_rate: float | None
    rating_interval: Interval | None
    rating_responses: int = strawberry.field(description="Answers the average rating rests on")
    nps_interval: Interval | None
    nps_responses: int = strawberry.field(description="Answers the NPS rests on")
    requests: int = strawberry.field(description="Feedback requests sent")
    response_rate: float | None = strawberry.field(description="Answered / requested")
    mean_goal_progress: float | None
    outcome_window: OutcomeWindow | None
    outcomes: list[OutcomeComparison] = strawberry.field(
        description="Promotion, internal mobility and retention: participants against a "
        "comparison group of non-participants matched on level, tenure band, department and "
        "prior-year promotion, overall and by subgroup"
    )
    participants_unmatched: int | None = strawberry.field(
        description="Participants no comparable non-participant matched (null: suppressed)"
    )
    method: str = strawberry.field(description="How the comparison group was built")

    @classmethod
    def of(cls, view: ProgramInsightsView, base_url: str) -> "ProgramInsights":
        return cls(
            view=view,
            base_url=base_url,
            enrolled_mentors=view.enrolled_mentors,
            enrolled_mentees=view.enrolled_mentees,
            participation_rate=view.participation_rate,
            active_matches=view.active_matches,
            sessions_completed=view.sessions_completed,
            sessions_per_active_match=view.sessions_per_active_match,
            average_rating=view.average_rating,
            nps=view.nps,
            representation=JSON(view.representation.model_dump(mode="json", by_alias=True)),
            internal_mobility_rate=view.internal_mobility_rate,
            promotion_rate=view.promotion_rate,
            objectives=[ObjectiveProgress.of(o) for o in view.objectives],
            as_of=view.as_of,
            minimum_group_size=view.minimum_group_size,
            enrolled_peers=view.enrolled_peers,
            eligible=view.eligible,
            open_matches=view.open_matches,
            completion_rate=view.completion_rate,
            rating_interval=Interval.of(view.rating_interval),
            rating_responses=view.rating_responses,
            nps_interval=Interval.of(view.nps_interval),
            nps_responses=view.nps_responses,
            requests=view.requests,
            response_rate=view.response_rate,
            mean_goal_progress=view.mean_goal_progress,
            outcome_window=OutcomeWindow.of(view.outcome_window),
            outcomes=[OutcomeComparison.of(o) for o in view.outcomes],
            participants_unmatched=view.participants_unmatched,
            method=view.method,
        )

    @strawberry.field(description="Rendered charts: adoption, satisfaction, outcomes")
    def charts(self, grain: InsightsGrain = InsightsGrain.MONTH) -> list[ChartLink]:
        return [chart_link(self.base_url, c, self.view.program_id, grain) for c in self.view.charts]

    @strawberry.field(description="The insights as files")
    def exports(self) -> InsightsExports:
        at = program_path(self.base_url, self.view.program_id)
        return InsightsExports(csv=f"{at}/insights.csv", json=f"{at}/insights.json")

    @strawberry.field(description="Program-wide figures per week or month, with denominators")
    async def series(
        self, info: Info[CairnContext, None], grain: InsightsGrain = InsightsGrain.MONTH
    ) -> InsightsSeries:
        found = await info.context.loaders.insights_series_of_program.load(
            (self.view.program_id, grain)
        )
        if found is None:
            raise _not_ready()
        return InsightsSeries.of(found)


def _not_ready() -> Unavailable:
    return Unavailable("feedback has not caught up with this program yet; retry shortly")


async def insights_of_program(
    context: CairnContext, program_id: str, status: ProgramStatus
) -> ProgramInsights:
    """For `Program.insights` (`program_id` is profiles' id). Admins only: anyone else is
    answered as if there were no such program. Feedback learns of a program when it opens
    enrollment: a draft has no insights yet."""
    if not context.is_admin:
        raise NotFound("no such program")
    if status is ProgramStatus.DRAFT:
        raise NotFound("a program has insights once it opened enrollment")
    found = await context.loaders.insights_of_program.load(program_id)
    if found is None:
        raise _not_ready()
    return ProgramInsights.of(found, context.public_base_url)
