"""Internal REST API of a program's insights (Program.insights, its time series, exports and
charts) and early-warning flags with their thresholds. For the tenant's admins only: to
anyone else a program's insights do not exist."""

import asyncio
import json
from typing import Annotated, Any

from contracts.internal.feedback import (
    ChartName,
    FlagView,
    InsightsGrain,
    InsightsSeriesView,
    ProgramInsightsView,
    WarningThresholdsView,
)
from contracts.pages import Items
from fastapi import APIRouter, Query, Response
from messaging.outbox import UnitOfWork, utcnow
from runtime.refusals import Refused, not_found
from runtime.units import UowDep
from service_auth.dependencies import CallerDep
from sqlmodel import col, select

from feedback.adapters.charts import series as charts
from feedback.adapters.charts.render import render_png, render_svg
from feedback.adapters.tables import KnownProgram, MatchFlagRow
from feedback.domain.periods import Grain
from feedback.entrypoints.dependencies import Access, FeedbackDep
from feedback.entrypoints.insights_views import insights_csv, insights_view, series_view
from feedback.entrypoints.schemas import ProgramsInsightsRequest
from feedback.service_layer.insights import ProgramView, program_insights
from feedback.service_layer.warnings import flag_view, program_thresholds

router = APIRouter(prefix="/internal/feedback", tags=["insights"])

GrainQuery = Annotated[InsightsGrain, Query()]


async def _program(
    uow: UnitOfWork, caller: CallerDep, feedback: FeedbackDep, program_id: str
) -> ProgramView:
    Access.of(caller).require_admin("program")
    return await program_insights(
        uow, caller.tenant_id, program_id, feedback.cache, feedback.minimum_group_size, utcnow()
    )


@router.get("/programs/{program_id}/insights", response_model=ProgramInsightsView)
async def insights(
    program_id: str, caller: CallerDep, uow: UowDep, feedback: FeedbackDep
) -> ProgramInsightsView:
    return insights_view((await _program(uow, caller, feedback, program_id)).insights)


@router.post("/programs/insights/batch", response_model=Items[ProgramInsightsView])
async def insights_batch(
    body: ProgramsInsightsRequest, caller: CallerDep, uow: UowDep, feedback: FeedbackDep
) -> Items[ProgramInsightsView]:
    found = []
    for program_id in dict.fromkeys(body.program_ids):
        try:
            view = await _program(uow, caller, feedback, program_id)
        except Refused:
            continue  # unknown (or not visible) programs are left out
        found.append(insights_view(view.insights))
    return Items[ProgramInsightsView](items=found)


def _series(view: ProgramView, grain: InsightsGrain) -> InsightsSeriesView:
    return series_view(view.figures, grain, view.started_at, view.insights.as_of)


@router.get("/programs/{program_id}/insights/series", response_model=InsightsSeriesView)
async def insights_series(
    program_id: str,
    caller: CallerDep,
    uow: UowDep,
    feedback: FeedbackDep,
    grain: GrainQuery = InsightsGrain.MONTH,
) -> InsightsSeriesView:
    return _series(await _program(uow, caller, feedback, program_id), grain)


@router.get("/programs/{program_id}/insights.json")
async def export_json(
    program_id: str, caller: CallerDep, uow: UowDep, feedback: FeedbackDep
) -> Response:
    view = await _program(uow, caller, feedback, program_id)
    body: dict[str, Any] = {
        "insights": insights_view(view.insights).model_dump(mode="json", by_alias=True),
        "series": _series(view, InsightsGrain.MONTH).model_dump(mode="json", by_alias=True),
        "charts": [_chart(view, name, Grain.MONTH).as_json() for name in ChartName],
    }
    return Response(
        json.dumps(body),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="insights-{program_id}.json"'},
    )


@router.get("/programs/{program_id}/insights.csv")
async def export_csv(
    program_id: str, caller: CallerDep, uow: UowDep, feedback: FeedbackDep
) -> Response:
    view = await _program(uow, caller, feedback, program_id)
    text = insights_csv(insights_view(view.insights), _series(view, InsightsGrain.MONTH))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="insights-{program_id}.csv"'},
    )


def _chart(view: ProgramView, name: ChartName, grain: Grain) -> charts.Chart:
    if name is ChartName.ADOPTION:
        return charts.adoption(view.figures, grain, view.started_at, view.insights.as_of)
    if name is ChartName.SATISFACTION:
        return charts.satisfaction(view.figures, grain, view.started_at, view.insights.as_of)
    return charts.outcomes(view.insights)


_FORMATS = {"svg": "image/svg+xml", "png": "image/png", "json": "application/json"}


@router.get("/programs/{program_id}/charts/{file}")
async def chart(
    program_id: str,
    file: str,
    caller: CallerDep,
    uow: UowDep,
    feedback: FeedbackDep,
    grain: GrainQuery = InsightsGrain.MONTH,
) -> Response:
    """`<name>.svg`, `<name>.png` or `<name>.json` (the chart-ready series)."""
    stem, _, extension = file.rpartition(".")
    known = {n.value: n for n in ChartName}
    if stem not in known or extension not in _FORMATS:
        raise not_found("chart")
    view = await _program(uow, caller, feedback, program_id)
    drawn = _chart(view, known[stem], Grain(grain.value))
    if extension == "json":
        return Response(json.dumps(drawn.as_json()), media_type=_FORMATS["json"])
    # Drawing takes tens of milliseconds of CPU: off the event loop.
    render = render_svg if extension == "svg" else render_png
    return Response(await asyncio.to_thread(render, drawn), media_type=_FORMATS[extension])


async def _flags(uow: UnitOfWork, tenant_id: str, **where: str) -> Items[FlagView]:
    query = select(MatchFlagRow).where(MatchFlagRow.tenant_id == tenant_id)
    for name, value in where.items():
        query = query.where(getattr(MatchFlagRow, name) == value)
    rows = await uow.session.exec(query.order_by(col(MatchFlagRow.flagged_at)))
    return Items[FlagView](items=[flag_view(r) for r in rows])


@router.get("/programs/{program_id}/flags", response_model=Items[FlagView])
async def program_flags(program_id: str, caller: CallerDep, uow: UowDep) -> Items[FlagView]:
    Access.of(caller).require_admin("program")
    return await _flags(uow, caller.tenant_id, program_id=program_id)


@router.get("/matches/{match_id}/flags", response_model=Items[FlagView])
async def match_flags(match_id: str, caller: CallerDep, uow: UowDep) -> Items[FlagView]:
    Access.of(caller).require_admin("match")
    return await _flags(uow, caller.tenant_id, match_id=match_id)


async def _known(uow: UnitOfWork, caller: CallerDep, program_id: str) -> KnownProgram:
    Access.of(caller).require_admin("program")
    row = await uow.session.get(KnownProgram, (caller.tenant_id, program_id))
    if row is None:
        raise not_found("program")
    return row


@router.get("/programs/{program_id}/warning-thresholds", response_model=WarningThresholdsView)
async def thresholds(program_id: str, caller: CallerDep, uow: UowDep) -> WarningThresholdsView:
    return program_thresholds(await _known(uow, caller, program_id))


@router.put("/programs/{program_id}/warning-thresholds", response_model=WarningThresholdsView)
async def set_thresholds(
    program_id: str, body: WarningThresholdsView, caller: CallerDep, uow: UowDep
) -> WarningThresholdsView:
    row = await _known(uow, caller, program_id)
    row.warning_thresholds = body.model_dump(mode="json", by_alias=True)
    return body
