"""The domain's insights as the API answers them (`contracts.internal.feedback`), and as CSV:
one row per figure, with what it rests on, its interval and whether it was suppressed."""

import csv
import io
from datetime import datetime

from contracts.internal.feedback import (
    ChartLinkView,
    ChartName,
    GroupRateView,
    InsightsGrain,
    InsightsSeriesView,
    IntervalView,
    ObjectiveProgressView,
    OutcomeMetric,
    OutcomeRowView,
    OutcomeWindowView,
    PeriodView,
    ProgramInsightsView,
    RepresentationView,
    ShareView,
)

from feedback.domain.comparison import GroupRate
from feedback.domain.figures import ProgramFigures
from feedback.domain.insights import OutcomeRow, ProgramInsights, Share
from feedback.domain.intervals import Interval
from feedback.domain.periods import Grain
from feedback.domain.timeline import timeline

CHART_TITLES = {
    ChartName.ADOPTION: "Adoption over time",
    ChartName.SATISFACTION: "Rating and NPS over time",
    ChartName.OUTCOMES: "Outcomes against the comparison group",
}


def interval(found: Interval | None) -> IntervalView | None:
    return None if found is None else IntervalView(low=found.low, high=found.high)


def _share(share: Share) -> ShareView:
    return ShareView(count=share.count, of=share.of, share=share.share, suppressed=share.suppressed)


def _group(rate: GroupRate) -> GroupRateView:
    low, high = (None, None) if rate.interval is None else (rate.interval.low, rate.interval.high)
    return GroupRateView(n=rate.n, events=rate.events, rate=rate.rate, low=low, high=high)


def _outcome(row: OutcomeRow) -> OutcomeRowView:
    found = row.comparison
    if found is None:
        return OutcomeRowView(metric=row.metric, subgroup=row.subgroup, suppressed=row.suppressed)
    gap = found.difference_interval
    return OutcomeRowView(
        metric=row.metric,
        subgroup=row.subgroup,
        suppressed=row.suppressed,
        participants=_group(found.participants),
        comparison=_group(found.comparison),
        difference=found.difference,
        difference_low=None if gap is None else gap.low,
        difference_high=None if gap is None else gap.high,
    )


def _rate(insights: ProgramInsights, metric: OutcomeMetric) -> float | None:
    row = insights.outcome(metric)
    return None if row is None or row.comparison is None else row.comparison.participants.rate


def chart_links(program_id: str) -> list[ChartLinkView]:
    return [
        ChartLinkView(
            name=name,
            title=CHART_TITLES[name],
            svg=f"/programs/{program_id}/charts/{name.value}.svg",
            png=f"/programs/{program_id}/charts/{name.value}.png",
        )
        for name in ChartName
    ]


def insights_view(insights: ProgramInsights) -> ProgramInsightsView:
    o, shares = insights.operational, insights.representation
    window = insights.window
    return ProgramInsightsView(
        program_id=insights.program_id,
        as_of=insights.as_of,
        minimum_group_size=insights.k,
        enrolled_mentors=o.enrolled_mentors,
        enrolled_mentees=o.enrolled_mentees,
        enrolled_peers=o.enrolled_peers,
        eligible=o.eligible,
        participation_rate=o.participation_rate,
        open_matches=o.open_matches,
        active_matches=o.active_matches,
        sessions_completed=o.sessions_completed,
        sessions_per_active_match=o.sessions_per_active_match,
        completion_rate=o.completion_rate,
        average_rating=o.average_rating,
        rating_interval=interval(o.rating_interval),
        rating_responses=o.rating_responses,
        nps=o.nps,
        nps_interval=interval(o.nps_interval),
        nps_responses=o.nps_responses,
        requests=o.requests,
        response_rate=o.response_rate,
        mean_goal_progress=o.mean_goal_progress,
        representation=RepresentationView(
            mentees=_share(shares.mentees),
            mentors=_share(shares.mentors),
            promoted=_share(shares.promoted),
        ),
        promotion_rate=_rate(insights, OutcomeMetric.PROMOTION),
        internal_mobility_rate=_rate(insights, OutcomeMetric.INTERNAL_MOBILITY),
        outcome_window=None
        if window is None
        else OutcomeWindowView(start=window.start, end=window.end),
        outcomes=[_outcome(r) for r in insights.outcomes],
        participants_unmatched=insights.participants_unmatched,
        method=insights.method,
        objectives=[
            ObjectiveProgressView(
                metric=p.objective.metric,
                target=p.objective.target,
                baseline=p.objective.baseline,
                due_on=p.objective.due_on,
                description=p.objective.description,
                current=p.current,
                standing=p.standing,
                on_track=p.on_track,
            )
            for p in insights.objectives
        ],
        charts=chart_links(insights.program_id),
    )


def series_view(
    figures: ProgramFigures, grain: InsightsGrain, start: datetime, end: datetime
) -> InsightsSeriesView:
    periods = timeline(figures, Grain(grain.value), start, end)
    return InsightsSeriesView(
        program_id=figures.program_id,
        grain=grain,
        periods=[
            PeriodView(
                period=p.period,
                starts_on=p.starts_on,
                enrolled_mentors=p.enrolled_mentors,
                enrolled_mentees=p.enrolled_mentees,
                active_matches=p.active_matches,
                matches_started=p.matches_started,
                sessions_completed=p.sessions_completed,
                responses=p.responses,
                average_rating=p.average_rating,
                rating_interval=interval(p.rating_interval),
                rating_responses=p.rating_responses,
                nps=p.nps,
                nps_interval=interval(p.nps_interval),
                nps_responses=p.nps_responses,
                requests=p.requests,
                response_rate=p.response_rate,
            )
            for p in periods
        ],
    )


CSV_HEADER = ("section", "figure", "subgroup", "period", "value", "n", "low", "high", "suppressed")


def insights_csv(view: ProgramInsightsView, series: InsightsSeriesView) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)

    def row(
        section: str,
        figure: str,
        value: object,
        n: object = "",
        *,
        subgroup: str = "all",
        period: str = "",
        low: object = None,
        high: object = None,
        suppressed: bool = False,
    ) -> None:
        writer.writerow(
            (
                section,
                figure,
                subgroup,
                period,
                "" if value is None else value,
                "" if n is None else n,
                "" if low is None else low,
                "" if high is None else high,
                "true" if suppressed else "false",
            )
        )

    rating, nps = view.rating_interval, view.nps_interval
    row("participation", "enrolled_mentors", view.enrolled_mentors)
    row("participation", "enrolled_mentees", view.enrolled_mentees)
    row("participation", "enrolled_peers", view.enrolled_peers)
    row("participation", "participation_rate", view.participation_rate, view.eligible)
    row("engagement", "active_matches", view.active_matches)
    row("engagement", "sessions_completed", view.sessions_completed)
    row(
        "engagement",
        "sessions_per_active_match",
        view.sessions_per_active_match,
        view.active_matches,
    )
    row("engagement", "completion_rate", view.completion_rate)
    row(
        "satisfaction",
        "average_rating",
        view.average_rating,
        view.rating_responses,
        low=rating and rating.low,
        high=rating and rating.high,
    )
    row(
        "satisfaction",
        "nps",
        view.nps,
        view.nps_responses,
        low=nps and nps.low,
        high=nps and nps.high,
    )
    row("satisfaction", "response_rate", view.response_rate, view.requests)
    for group, share in (
        ("mentees", view.representation.mentees),
        ("mentors", view.representation.mentors),
        ("promoted", view.representation.promoted),
    ):
        row(
            "representation",
            "underrepresented_share",
            share.share,
            share.of,
            subgroup=group,
            suppressed=share.suppressed,
        )
    for outcome in view.outcomes:
        for side, rate in (
            ("participants", outcome.participants),
            ("comparison", outcome.comparison),
        ):
            row(
                "outcomes",
                f"{outcome.metric.value.lower()}_{side}",
                None if rate is None else rate.rate,
                None if rate is None else rate.n,
                subgroup=outcome.subgroup,
                low=rate and rate.low,
                high=rate and rate.high,
                suppressed=outcome.suppressed,
            )
    for objective in view.objectives:
        row(
            "objectives",
            objective.metric.value.lower(),
            objective.current,
            subgroup=objective.standing.value,
        )
    for p in series.periods:
        row("series", "sessions_completed", p.sessions_completed, period=p.period)
        row("series", "average_rating", p.average_rating, p.rating_responses, period=p.period)
        row("series", "nps", p.nps, p.nps_responses, period=p.period)
        row("series", "enrolled_mentees", p.enrolled_mentees, period=p.period)
    return out.getvalue()
